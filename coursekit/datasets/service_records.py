"""``service_records``: a messy extract from a benefits case-management system, taken after two
old systems were migrated into a new one, with a census reference table.

The story: in mid-2023 a benefits office moved from two old systems into a new one. Analysts now
want to use the extract (January 2024) to build a model. Before anyone does, the data has to be
checked against the six dimensions of the UK Government Data Quality Framework.

Planted, and recorded with realised values in the manifest:
- people recorded twice (one record from each old system), mostly with spelling variants of
  their names, so exact matching on name and birth date misses most of them;
- missing employment status and income concentrated among non-citizens;
- impossible birth dates (a 1900-01-01 placeholder, birth dates in the future) and decisions
  dated before their application;
- three spellings of the same region codes, one per system, plus stray variants;
- income in one old system recorded per year in a column meant to hold fortnightly income (the
  Robodebt shape, where annual income was averaged into fortnights);
- a second-nationality column that the retention schedule said to delete in 2021;
- a column that only exists when the outcome is positive (a leak);
- people aged 65 and over under-represented against the census.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coursekit.datasets import places
from coursekit.datasets._common import Column, Datasheet, Table, categorical, exact_choice, r4, rate

NAME = "service_records"
TITLE = "Case-management extract after a system migration"
SEED = 20240115
CASE_KEYS = ("robodebt", "midas", "toeslagen", "ofqual")

SYSTEMS = ("old_system_a", "old_system_b", "new_system")
AGE_LIMITS = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 92))


@dataclass(frozen=True)
class Extract:
    """Everything that makes one extract differ from another: the office, the period, the sizes of
    the planted faults and which system carries which fault. Other extracts of the same system
    (for an exercise, say) reuse ``generate_extract`` and ``extract_facts`` with their own values."""

    name: str
    seed: int
    n_people: int
    n_duplicated: int
    exact_name_share: float  # of duplicated people, share whose two records spell the name identically
    extract_date: str
    extract_label: str  # how the data dictionary names the extract, e.g. "January 2024"
    migration_date: str
    migration_label: str
    first_application: str
    retention_deadline: str
    placeholder_dob: str
    n_placeholder_dob: int
    n_future_dob: int
    n_decision_before_application: int
    annual_system: str  # the old system whose income field holds yearly amounts
    region_style: tuple[tuple[str, str], ...]  # system -> "upper", "code" or "canonical"
    code_prefix: str  # the coded system's region codes: prefix + 01..06 in the order of places.REGIONS
    stray_rate: float  # share of new-system records with a stray spelling (lower case or a trailing space)
    under_represented: str
    missing_group: str
    missing_rate: tuple[float, float]  # in the missing group, elsewhere
    nationality_share: tuple[float, float, float]
    system_share: tuple[float, float, float]
    record_age_share: tuple[float, ...]
    census_age_share: tuple[float, ...]
    census_total: int
    region_codes: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        codes = {r: f"{self.code_prefix}{i:02d}" for i, r in enumerate(places.REGIONS, start=1)}
        object.__setattr__(self, "region_codes", codes)


EXTRACT = Extract(
    name=NAME, seed=SEED, n_people=6_000, n_duplicated=240, exact_name_share=0.25,
    extract_date="2024-01-15", extract_label="January 2024", migration_date="2023-07-01", migration_label="July 2023",
    first_application="2019-01-02", retention_deadline="2021-01-31", placeholder_dob="1900-01-01",
    n_placeholder_dob=35, n_future_dob=12, n_decision_before_application=60, annual_system="old_system_b",
    region_style=(("old_system_a", "upper"), ("old_system_b", "code"), ("new_system", "canonical")),
    code_prefix="R", stray_rate=0.04, under_represented="65+", missing_group="non_citizen", missing_rate=(0.30, 0.03),
    nationality_share=(0.74, 0.13, 0.13), system_share=(0.45, 0.25, 0.30),
    record_age_share=(0.14, 0.24, 0.22, 0.19, 0.14, 0.07), census_age_share=(0.10, 0.16, 0.16, 0.17, 0.17, 0.24),
    census_total=4_200_000,
)
# The lesson extract's values under their historical names.
N_PEOPLE = EXTRACT.n_people
N_DUPLICATED = EXTRACT.n_duplicated
EXTRACT_DATE = EXTRACT.extract_date
MIGRATION_DATE = EXTRACT.migration_date
RETENTION_DEADLINE = EXTRACT.retention_deadline
PLACEHOLDER_DOB = EXTRACT.placeholder_dob
REGION_CODE_B = EXTRACT.region_codes
UNDER_REPRESENTED = EXTRACT.under_represented
MISSING_GROUP = EXTRACT.missing_group

FIRST_F = ("Anna", "Sophie", "Emma", "Julia", "Fatima", "Aisha", "Katarzyna", "Maria", "Elif", "Amina",
           "Hanna", "Lotte", "Sara", "Noor", "Zeynep", "Agnieszka", "Ingrid", "Leila", "Helena", "Hodan",
           "Yasmin", "Eva", "Marta", "Olga", "Ruth", "Mirjam", "Saba", "Linda", "Ewa", "Iman")
FIRST_M = ("Jan", "Pieter", "Thomas", "Lukas", "Mohammed", "Ahmed", "Piotr", "Mehmet", "Daniel", "Omar",
           "Johan", "Bram", "Yusuf", "Tomasz", "Erik", "Hussein", "Abdullahi", "Mark", "Samuel", "Karim",
           "David", "Hamza", "Marek", "Willem", "Ali", "Robert", "Tesfay", "Emre", "Paul", "Stefan")
LAST = ("Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
        "Bos", "Vos", "Peters", "Hendriks", "Dekker", "Brouwer", "Nowak", "Kowalski", "Wojcik", "Yilmaz",
        "Kaya", "Demir", "Ozturk", "El Amrani", "Benali", "Haddad", "Mohamud", "Abdi", "Hussein",
        "Tesfaye", "Haile", "Schmidt", "Fischer", "Andersen", "Nielsen", "Lindqvist", "Rossi", "Garcia",
        "Murphy", "Kelly", "Novak")
VARIANTS = {
    "Mohammed": ("Mohamed", "Muhammad", "Mohammad"), "Ahmed": ("Ahmad",), "Fatima": ("Fatma", "Fatimah"),
    "Aisha": ("Aischa", "Ayesha"), "Katarzyna": ("Katarzina", "Katharina"), "Sophie": ("Sofie", "Sophia"),
    "Hussein": ("Husein", "Hussain"), "Abdullahi": ("Abdulahi",), "Yusuf": ("Youssef", "Yousef"),
    "Piotr": ("Peter",), "Tomasz": ("Thomas",), "Mehmet": ("Mehmed",), "Zeynep": ("Zeynap",),
    "Jansen": ("Janssen", "Jansens"), "de Vries": ("De Vries", "deVries"), "van den Berg": ("Van den Berg", "vd Berg"),
    "Bakker": ("Baker",), "de Boer": ("De Boer", "deBoer"), "Nowak": ("Nowack",), "Kowalski": ("Kowalsky",),
    "Wojcik": ("Wójcik",), "Yilmaz": ("Yılmaz",), "Ozturk": ("Öztürk",), "El Amrani": ("Elamrani", "El-Amrani"),
    "Mohamud": ("Mohamoud", "Mahmoud"), "Tesfaye": ("Tesfay",), "Haile": ("Hayle",), "Schmidt": ("Schmitt",),
    "Lindqvist": ("Lindquist",), "Nielsen": ("Nielson",),
}
COUNTRIES = ("Morocco", "Turkey", "Suriname", "Poland", "Somalia", "Eritrea", "Germany", "Belgium", "Indonesia",
             "Syria", "Iraq", "Ghana", "Portugal", "Italy", "Spain", "Brazil")

def tables(x: Extract) -> dict:
    """The main table and the census table of extract ``x``."""
    main = Table(x.name, None, (
    f"One row per record in the {x.extract_label} extract of the case-management system, as migrated: "
    "records from both old systems and from the new one."
), (
    Column("record_id", "str", "Record number in the new system (assigned at migration).", unique=True, pattern=r"^SR-\d{6}$"),
    Column("source_system", "str", f"System the record came from: one of the two old systems, or created in the new one after the migration ({x.migration_label}).",
           values=SYSTEMS),
    Column("personal_number", "str", "The person's national identification number (synthetic).", pattern=r"^[1-9]\d{8}$"),
    Column("first_name", "str", "First name as typed into the system the record came from (invented names)."),
    Column("last_name", "str", "Family name as typed into the system the record came from (invented names)."),
    Column("date_of_birth", "date", "Date of birth as recorded."),
    Column("sex", "str", "Sex as recorded.", values=("female", "male")),
    Column("age_band", "str", "Age band on the extract date, from the age recorded by the source system.", values=places.AGE_BANDS),
    Column("nationality_status", "str", "Citizen, dual national or non-citizen resident (needed for the residence test).",
           values=places.NATIONALITY),
    Column("second_nationality", "str", "A dual national's other nationality, carried over from an old system.", nullable=True,
           values=COUNTRIES),
    Column("region", "str", "Region of the address, as coded by the source system."),
    Column("postcode_district", "str", "Postcode district of the address (invented codes).", values=places.ALL_DISTRICTS),
    Column("household_size", "int", "People in the household.", min=1, max=9),
    Column("employment_status", "str", "Employment status at application.", nullable=True,
           values=("employed", "self_employed", "unemployed", "retired", "unable_to_work")),
    Column("income_fortnightly_eur", "float", "Household income per fortnight in euros, as held in the income field.",
           nullable=True, decimals=2, min=0),
    Column("application_date", "date", "Date the application was received."),
    Column("decision_date", "date", "Date of the decision; empty while the case is pending.", nullable=True),
    Column("decision", "str", "Decision on the application; empty while pending.", nullable=True, values=("awarded", "refused")),
    Column("overpayment_found", "bool", "A later review found the person had been overpaid (the outcome analysts want to predict)."),
    Column("debt_recovery_ref", "str", "Reference of the debt-recovery file, if one was opened.", nullable=True, pattern=r"^DR-\d{6}$"),
))
    census = Table(x.name, "census", (
    "Reference population: adults (18 and over) living in each region by age band and sex, from the "
    "(invented) 2021 census, rounded to tens."
), (
    Column("region", "str", "Region (canonical name).", values=places.REGIONS),
    Column("age_band", "str", "Age band.", values=places.AGE_BANDS),
    Column("sex", "str", "Sex.", values=("female", "male")),
    Column("population", "int", "Adults in the cell, rounded to the nearest 10.", min=0),
))
    return {None: main, "census": census}


TABLES = tables(EXTRACT)
MAIN = TABLES[None]
CENSUS = TABLES["census"]
CENSUS_AGE_SHARE = EXTRACT.census_age_share
RECORD_AGE_SHARE = EXTRACT.record_age_share

DATASHEET = Datasheet(
    motivation="""
Most failures of public-sector algorithms begin in the data, long before any model. This extract
lets learners practise the checks a data practitioner or an auditor should run before data is
used for a model or a decision: uniqueness, completeness, validity, consistency, accuracy and
timeliness (the six dimensions of the UK Government Data Quality Framework), plus whether the
data may lawfully be held at all and whether it represents the population it will be used on.
It was made for the course's data-quality module.
""",
    composition="""
`service_records.csv`: {f[rows]:,} records of benefit applications from the case-management
system of an invented benefits office, extracted on {f[extract_date]}, after the records of
two old systems (`old_system_a`, `old_system_b`) were migrated into a new one in July 2023.
Each record holds the person's identification number, name, birth date, sex, age band,
nationality status, address region and postcode district, household size, employment and
income, the application and decision, and whether an overpayment was later found.

`service_records_census.csv`: the adult population by region, age band and sex (72 rows), to
compare the extract with the population it serves.

All names are invented combinations of common first and family names from many languages, and
the identification numbers are random. Real extracts like this are personal data; some columns
here (nationality, a second nationality) can reveal ethnic origin and need a clear lawful basis
and a retention limit.
""",
    known_issues="""
The extract has the faults that system migrations typically leave behind. Learners should find:
- people recorded twice, usually with their names spelled differently;
- gaps in employment and income that are far more common in one group;
- impossible birth dates and decisions dated before their applications;
- the same regions coded three different ways, plus stray spellings;
- an income column whose unit is not what its name says for part of the records;
- a column that should have been deleted under the retention schedule;
- a column that gives the outcome away;
- an age group under-represented against the census.
""",
    collection="""
Nothing was collected: a seeded generator made every record. People are drawn first (nationality,
sex, name, age, address, household, employment, income); their applications get dates, a
decision and an outcome. Then the generator does what a careless migration does: it copies some
people from both old systems (retyping their names), writes a placeholder where a birth date was
missing, keeps the old systems' region codes, keeps old system B's yearly income in the
fortnightly field, carries over a field that should have been deleted, and lets some dates slip.

The faults follow real cases: income handled at the wrong time scale in Australia's Robodebt
(yearly tax income averaged into fortnights); data-migration problems behind Michigan's MiDAS fraud findings; the Dutch tax
authority keeping dual-nationality data it should have deleted; and a model applied to a
population its data did not represent (the 2020 A-level grades).
""",
    preprocessing="""
None: the faults are the point. Incomes are written with two decimals and dates in ISO 8601;
empty fields are missing values. The census counts are rounded to tens. Do not clean the
committed file: exercises clean a copy.
""",
    uses="""
Intended: teaching and practising data-quality checks with pandas and pandera, record linkage
and de-duplication, comparing a sample with a census, spotting leakage and retention breaches,
and writing a data-quality report for a decision maker.
""",
)


def _variant(rng, name: str) -> str:
    if name in VARIANTS and rng.random() < 0.8:
        options = VARIANTS[name]
        return options[int(rng.integers(len(options)))]
    kind = int(rng.integers(3))
    if kind == 0:
        return name.upper()
    if kind == 1 and len(name) > 3:  # two letters swapped, a typing slip
        i = int(rng.integers(1, len(name) - 2))
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    return name[:-1] if len(name) > 3 else name + name[-1]


def generate() -> dict:
    return generate_extract(EXTRACT)


def _region_spelling(style: str, canonical: np.ndarray, codes: dict) -> np.ndarray:
    if style == "upper":
        return np.char.upper(canonical.astype(str)).astype(object)
    if style == "code":
        return np.array([codes[r] for r in canonical], dtype=object)
    return canonical


def generate_extract(x: Extract) -> dict:
    """The columns of one extract's tables (main and census), drawn from its seed."""
    rng = np.random.default_rng(x.seed)
    n = x.n_people
    extract = np.datetime64(x.extract_date)
    nat = categorical(rng, places.NATIONALITY, x.nationality_share, n)
    sex = np.where(rng.random(n) < 0.55, "female", "male").astype(object)
    first = np.where(sex == "female", categorical(rng, FIRST_F, np.ones(len(FIRST_F)), n),
                     categorical(rng, FIRST_M, np.ones(len(FIRST_M)), n)).astype(object)
    last = categorical(rng, LAST, np.ones(len(LAST)), n)
    band_idx = rng.choice(len(places.AGE_BANDS), size=n, p=x.record_age_share)
    lo = np.array([a for a, _ in AGE_LIMITS])[band_idx]
    hi = np.array([b for _, b in AGE_LIMITS])[band_idx]
    age_days = (rng.uniform(lo, hi + 1) * 365.25).astype(np.int64)
    dob = extract - age_days.astype("timedelta64[D]")
    age_band = np.array(places.AGE_BANDS, dtype=object)[band_idx]
    personal = 100_000_000 + rng.choice(900_000_000, size=n, replace=False)

    district = categorical(rng, places.ALL_DISTRICTS, np.ones(len(places.ALL_DISTRICTS)), n)
    region = np.array([places.REGION_OF[d] for d in district], dtype=object)
    household = np.minimum(1 + rng.poisson(1.3, n), 9)
    employment = np.where(band_idx == 5, "retired",
                          categorical(rng, ("employed", "self_employed", "unemployed", "unable_to_work"),
                                      (0.42, 0.10, 0.36, 0.12), n)).astype(object)
    fortnightly = np.select(
        [employment == "employed", employment == "self_employed", employment == "retired"],
        [np.exp(rng.normal(np.log(1050), 0.35, n)), np.exp(rng.normal(np.log(900), 0.6, n)),
         np.exp(rng.normal(np.log(820), 0.25, n))],
        rng.uniform(0, 180, n))
    fortnightly = np.round(fortnightly, 2)

    source = categorical(rng, SYSTEMS, x.system_share, n)
    new = source == "new_system"
    migration = np.datetime64(x.migration_date)
    first_app = np.datetime64(x.first_application)
    start = np.where(new, migration, first_app)
    span = np.where(new, (extract - migration).astype(int) - 20, (migration - first_app).astype(int))
    application = start + (rng.random(n) * span).astype(np.int64).astype("timedelta64[D]")
    pending = rng.random(n) < np.where(new, 0.15, 0.01)
    decision_date = application + (7 + rng.gamma(2.0, 12.0, n)).astype(np.int64).astype("timedelta64[D]")
    decision_date = np.minimum(decision_date, extract - np.timedelta64(1, "D"))
    decision_date = np.where(pending, np.datetime64("NaT"), decision_date)
    awarded = rng.random(n) < 0.78
    decision = np.where(pending, None, np.where(awarded, "awarded", "refused")).astype(object)
    over_p = np.where(employment == "self_employed", 0.20, 0.08)
    overpaid = (decision == "awarded") & (rng.random(n) < over_p)
    recovery = np.full(n, None, dtype=object)
    recovery[overpaid] = [f"DR-{v:06d}" for v in 100000 + rng.choice(900000, size=int(overpaid.sum()), replace=False)]

    # Retention breach: the old systems kept dual nationals' other nationality.
    second = np.where((nat == "dual_national") & ~new, categorical(rng, COUNTRIES, np.linspace(2.0, 0.5, len(COUNTRIES)), n),
                      None).astype(object)

    # Missingness concentrated among non-citizens (the old forms were only in the national language).
    miss = rng.random(n) < np.where(nat == x.missing_group, *x.missing_rate)
    employment = np.where(miss, None, employment).astype(object)
    income = np.where(miss, np.nan, fortnightly)

    # Duplicates: some people of old system A were also in old system B and got migrated twice.
    old = np.flatnonzero(source != "new_system")
    dup_people = old[exact_choice(rng, old.size, x.n_duplicated)]
    exact_names = exact_choice(rng, x.n_duplicated, round(x.exact_name_share * x.n_duplicated))
    rows = np.concatenate([np.arange(n), dup_people])
    dup_first = first[dup_people].copy()
    dup_last = last[dup_people].copy()
    for j in range(x.n_duplicated):
        if exact_names[j]:
            continue
        which = int(rng.integers(3))  # 0: first name, 1: last name, 2: both
        if which in (0, 2):
            dup_first[j] = _variant(rng, dup_first[j])
        if which in (1, 2):
            dup_last[j] = _variant(rng, dup_last[j])
    first_all = np.concatenate([first, dup_first])
    last_all = np.concatenate([last, dup_last])
    source_all = np.concatenate([source, np.where(source[dup_people] == "old_system_a", "old_system_b", "old_system_a")])

    def take(a):
        return np.asarray(a)[rows]

    dob_all = take(dob).astype("datetime64[D]")
    income_all = take(income)
    # One old system held yearly income in the fortnightly field.
    b = source_all == x.annual_system
    income_all = np.where(b, np.round(income_all * 26.0, 2), income_all)
    region_all = take(region)
    region_code = region_all
    for system, style in x.region_style:  # each old system kept its own way of writing regions
        region_code = np.where(source_all == system, _region_spelling(style, region_all, x.region_codes), region_code)
    m = len(rows)
    stray = (source_all == "new_system") & (rng.random(m) < x.stray_rate)
    stray_kind = rng.integers(2, size=m)
    region_code = np.where(stray & (stray_kind == 0), np.char.lower(region_all.astype(str)).astype(object), region_code)
    region_code = np.where(stray & (stray_kind == 1), np.char.add(region_all.astype(str), " ").astype(object), region_code)

    # Impossible and out-of-order dates.
    original = np.arange(m) < n
    in_b = np.flatnonzero(b & original)
    placeholder = in_b[exact_choice(rng, in_b.size, x.n_placeholder_dob)]
    dob_all[placeholder] = np.datetime64(x.placeholder_dob)
    fine = np.setdiff1d(np.flatnonzero(original), placeholder)
    future = fine[exact_choice(rng, fine.size, x.n_future_dob)]
    dob_all[future] = dob_all[future] + np.timedelta64(36525, "D")  # a century typo: 1958 typed as 2058
    app_all = take(application).astype("datetime64[D]")
    dec_all = take(decision_date).astype("datetime64[D]")
    decided = np.flatnonzero(~np.isnat(dec_all) & original)
    swapped = decided[exact_choice(rng, decided.size, x.n_decision_before_application)]
    dec_all[swapped] = app_all[swapped] - rng.integers(3, 120, swapped.size).astype("timedelta64[D]")

    order = rng.permutation(m)
    cols = {
        "source_system": source_all, "personal_number": take(personal.astype(str).astype(object)),
        "first_name": first_all, "last_name": last_all, "date_of_birth": dob_all, "sex": take(sex),
        "age_band": take(age_band), "nationality_status": take(nat), "second_nationality": take(second),
        "region": region_code, "postcode_district": take(district), "household_size": take(household),
        "employment_status": take(employment), "income_fortnightly_eur": income_all,
        "application_date": app_all, "decision_date": dec_all, "decision": take(decision),
        "overpayment_found": take(overpaid), "debt_recovery_ref": take(recovery),
    }
    cols = {k: np.asarray(v)[order] for k, v in cols.items()}
    main = {"record_id": np.array([f"SR-{i:06d}" for i in range(100001, 100001 + m)], dtype=object)} | cols

    # Census: adults by region, age band and sex.
    total = x.census_total
    reg, age, sx, pop = [], [], [], []
    for r, rs in zip(places.REGIONS, places.REGION_SHARE):
        tilt = rng.normal(0, 0.04, len(places.AGE_BANDS))
        shares = np.array(x.census_age_share) * np.exp(tilt)
        shares /= shares.sum()
        for a, s in zip(places.AGE_BANDS, shares):
            fem = (0.56 if a == "65+" else 0.50) + rng.normal(0, 0.006)
            for label, sh in (("female", fem), ("male", 1 - fem)):
                reg.append(r)
                age.append(a)
                sx.append(label)
                pop.append(int(round(total * rs * s * sh, -1)))
    census = {"region": np.array(reg, dtype=object), "age_band": np.array(age, dtype=object),
              "sex": np.array(sx, dtype=object), "population": np.array(pop, dtype=np.int64)}
    return {None: main, "census": census}


def facts(frames) -> tuple[dict, dict]:
    return extract_facts(frames, EXTRACT)


def extract_facts(frames, x: Extract) -> tuple[dict, dict]:
    """The planted facts of extract ``x``, recomputed from its tables, and how each is computed."""
    df = frames[None]
    census = frames["census"]
    extract = np.datetime64(x.extract_date)
    annual = x.annual_system
    per_person = df.groupby("personal_number")
    sizes = per_person.size()
    dup_ids = sizes.index[sizes > 1]
    dups = df[df["personal_number"].isin(dup_ids)]
    name_variants = dups.groupby("personal_number").apply(
        lambda g: g["first_name"].nunique() > 1 or g["last_name"].nunique() > 1, include_groups=False)
    exact = df.groupby(["first_name", "last_name", "date_of_birth"]).size()
    canonical = set(places.REGIONS)
    variants = {}
    for code in sorted(df["region"].unique()):
        if code in canonical:
            continue
        key = code.strip().lower()
        target = next((r for r in places.REGIONS if r.lower() == key), None)
        if target is None:
            target = next(r for r, c in x.region_codes.items() if c == code)
        variants[code] = target
    income_median = df.groupby("source_system")["income_fortnightly_eur"].median()
    others_median = df.loc[df["source_system"] != annual, "income_fortnightly_eur"].median()
    leak = df["debt_recovery_ref"].notna()
    outcome = df["overpayment_found"]
    records_share = df["age_band"].value_counts(normalize=True)
    census_share = census.groupby("age_band")["population"].sum() / census["population"].sum()
    by_nat_missing = {
        col: {k: r4(df.loc[df["nationality_status"] == k, col].isna().mean()) for k in places.NATIONALITY}
        for col in ("employment_status", "income_fortnightly_eur")
    }
    dob = df["date_of_birth"]
    f = {
        "rows": int(len(df)),
        "extract_date": x.extract_date,
        "people": int(df["personal_number"].nunique()),
        "duplicated_people": int(len(dup_ids)),
        "duplicate_records": int(len(df) - df["personal_number"].nunique()),
        "duplicated_people_with_name_variants": int(name_variants.sum()),
        "duplicated_people_found_by_exact_name_and_birth_date": int((exact > 1).sum()),
        "duplicate_rule": "records with the same personal_number are the same person",
        "missing_rate_by_nationality": by_nat_missing,
        "group_with_concentrated_missingness": x.missing_group,
        "placeholder_birth_dates": int((dob == np.datetime64(x.placeholder_dob)).sum()),
        "placeholder_birth_date": x.placeholder_dob,
        "birth_dates_in_future": int((dob > extract).sum()),
        "impossible_birth_dates": int(((dob < np.datetime64("1905-01-01")) | (dob > extract)).sum()),
        "decisions_before_application": int((df["decision_date"] < df["application_date"]).sum()),
        "canonical_regions": list(places.REGIONS),
        "region_code_variants": variants,
        "records_with_non_canonical_region": int((~df["region"].isin(canonical)).sum()),
        "distinct_region_spellings": int(df["region"].nunique()),
        "income_in_annual_amounts_system": annual,
        "records_with_annual_income": int((df["source_system"].eq(annual) & df["income_fortnightly_eur"].notna()).sum()),
        "median_income_by_source_system": {s: r4(income_median[s]) for s in SYSTEMS},
        "annual_to_fortnightly_median_ratio": r4(income_median[annual] / others_median),
        "retention_breach_column": "second_nationality",
        "retention_deadline": x.retention_deadline,
        "retention_breach_values": int(df["second_nationality"].notna().sum()),
        "retention_breach_people": int(df.loc[df["second_nationality"].notna(), "personal_number"].nunique()),
        "outcome_column": "overpayment_found",
        "leaking_column": "debt_recovery_ref",
        "overpayment_rate": rate(outcome),
        "outcome_rate_when_leak_present": rate(outcome[leak]),
        "outcome_rate_when_leak_absent": rate(outcome[~leak]),
        "under_represented_group": x.under_represented,
        "records_share_by_age_band": {a: r4(records_share.get(a, 0.0)) for a in places.AGE_BANDS},
        "census_share_by_age_band": {a: r4(census_share[a]) for a in places.AGE_BANDS},
        "representation_ratio_by_age_band": {a: r4(records_share.get(a, 0.0) / census_share[a]) for a in places.AGE_BANDS},
        "census_adults": int(census["population"].sum()),
    }
    coded = next(s for s, style in x.region_style if style == "code")
    code_range = f"{x.region_codes[places.REGIONS[0]]}-{x.region_codes[places.REGIONS[-1]]}"
    how = {
        "rows": f"Number of records (rows) in {x.name}.csv.",
        "extract_date": "Date of the extract; ages and future dates are judged against it.",
        "people": "Distinct personal_number values.",
        "duplicated_people": "personal_number values that occur on more than one record.",
        "duplicate_records": "Rows minus distinct personal_number values: records to remove when de-duplicating.",
        "duplicated_people_with_name_variants": "Duplicated people whose records do not all spell first_name and last_name the same way.",
        "duplicated_people_found_by_exact_name_and_birth_date": "Groups of more than one record sharing first_name, last_name and date_of_birth exactly: what naive matching finds.",
        "duplicate_rule": "How duplicates are defined.",
        "missing_rate_by_nationality": "Share of empty values per nationality_status, for each column.",
        "group_with_concentrated_missingness": "The group with the planted high missing rate.",
        "placeholder_birth_dates": "Records whose date_of_birth is the migration's placeholder date.",
        "placeholder_birth_date": "The placeholder date the migration wrote where a birth date was missing.",
        "birth_dates_in_future": "Records whose date_of_birth is after extract_date.",
        "impossible_birth_dates": "Records whose date_of_birth is before 1905-01-01 or after extract_date.",
        "decisions_before_application": "Records whose decision_date is before their application_date.",
        "canonical_regions": "The region names the new system uses.",
        "region_code_variants": "Every other spelling found in the region column, mapped to its canonical name (case and spaces ignored; "
                                f"{code_range} are old system {coded[-1].upper()}'s codes, in the order of canonical_regions).",
        "records_with_non_canonical_region": "Records whose region is not one of canonical_regions.",
        "distinct_region_spellings": "Distinct values in the region column.",
        "income_in_annual_amounts_system": "Source system whose income_fortnightly_eur values are in fact yearly amounts.",
        "records_with_annual_income": "Records from that system with a non-empty income_fortnightly_eur.",
        "median_income_by_source_system": "Median income_fortnightly_eur per source_system.",
        "annual_to_fortnightly_median_ratio": f"Median income_fortnightly_eur of {annual} divided by the median of all other records (about 26 fortnights a year).",
        "retention_breach_column": "The column that should have been deleted.",
        "retention_deadline": "Date by which the retention schedule required it deleted.",
        "retention_breach_values": "Non-empty values in that column.",
        "retention_breach_people": "Distinct personal_number values with a non-empty value in that column.",
        "outcome_column": "The outcome analysts want to predict.",
        "leaking_column": "The column that is filled only after the outcome is known.",
        "overpayment_rate": "Share of records with overpayment_found True.",
        "outcome_rate_when_leak_present": "Share with overpayment_found True among records with a debt_recovery_ref.",
        "outcome_rate_when_leak_absent": "Share with overpayment_found True among records without one.",
        "under_represented_group": "The age band planted to be under-represented against the census.",
        "records_share_by_age_band": "Share of records in each age_band (all records, before de-duplication).",
        "census_share_by_age_band": "Share of the census population in each age_band.",
        "representation_ratio_by_age_band": "records_share_by_age_band divided by census_share_by_age_band.",
        "census_adults": "Sum of population in the census table.",
    }
    return f, how
