"""``benefit_claims``: a year of applications for a means-tested benefit, screened by a vendor's
fraud-risk score.

The story: a benefits office receives about 30,000 applications a year. A vendor's model scores
each one; the top 4% by score are flagged and investigated, and a small random sample of the rest
is checked as a control. Fraud is known only where someone investigated (selective labels); the
true outcome for every application is in ``benefit_claims_truth.csv`` for instructors and tests.

Planted, and recorded with realised values in the manifest:
- dual nationals are flagged about 1.7 times as often as citizens although the true fraud rate is
  the same in every nationality group (exactly 3.0%, by construction);
- four postcode districts where dual nationals are concentrated act as a proxy: the vendor's
  retrained score without the nationality input still flags dual nationals far more often;
- most flags are not fraud, and the fraud rate among investigated cases is several times the
  population's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from coursekit.datasets import places
from coursekit.datasets._common import Column, Datasheet, Table, categorical, exact_choice, r4, rate

NAME = "benefit_claims"
TITLE = "Benefit applications screened by a fraud-risk score"
SEED = 20230101
CASE_KEYS = ("toeslagen", "sweden", "denmark", "rotterdam", "syri", "compas")

N_ROWS = 30_000
FLAG_SHARE = 0.04  # the top 4% by score are flagged
RANDOM_CHECK_SHARE = 0.01  # share of unflagged applications checked at random
TRUE_FRAUD_RATE = 0.03  # the same in every nationality group, by construction
PROXY_DISTRICTS = ("QC4", "QC9", "QE3", "QS7")
REFERENCE_GROUP = "citizen"
PLANTED_GROUP = "dual_national"

HOUSEHOLDS = ("single", "couple", "single_parent", "couple_with_children")


@dataclass(frozen=True)
class Params:
    """What a benefits office's extract is made of. The defaults make ``benefit_claims``; other
    datasets (another office, period or planted group) reuse the generator with other values."""

    seed: int = SEED
    n_rows: int = N_ROWS
    first_day: str = "2023-01-02"
    last_day: str = "2023-12-29"
    regions: tuple[str, ...] = places.REGIONS
    region_share: tuple[float, ...] = places.REGION_SHARE
    nationality_share: tuple[float, float, float] = (0.78, 0.12, 0.10)
    # chance of living in a proxy district for citizens, dual nationals and non-citizens
    proxy_residence: tuple[float, float, float] = (0.06, 0.50, 0.30)
    proxy_districts: tuple[str, ...] = PROXY_DISTRICTS
    proxy_district_share: tuple[float, ...] = (0.30, 0.25, 0.25, 0.20)
    flag_share: float = FLAG_SHARE
    random_check_share: float = RANDOM_CHECK_SHARE
    true_fraud_rate: float = TRUE_FRAUD_RATE
    planted_group: str = PLANTED_GROUP
    weight_planted_group: float = 0.22  # score weight on belonging to the planted group
    weight_proxy: float = 0.18  # score weight on living in a proxy district
    weight_proxy_retrained: float = 0.50  # the same weight after retraining without nationality


BASE = Params()
GROUP_WORDS = {"dual_national": "dual nationals", "non_citizen": "non-citizens"}
INCOME_SOURCES = ("employment", "self_employment", "pension", "none")

MAIN = Table(NAME, None, (
    "One row per application received in 2023, as the benefits office holds it: what the claimant "
    "declared, the vendor's fraud-risk score and flag, and the outcome of any investigation."
), (
    Column("claim_id", "str", "Application reference.", unique=True, pattern=r"^BC-\d{6}$"),
    Column("application_date", "date", "Date the application was received (2023)."),
    Column("age_band", "str", "Claimant's age band on the application date.", values=places.AGE_BANDS),
    Column("sex", "str", "Claimant's sex as recorded on the application.", values=("female", "male")),
    Column("nationality_status", "str", "Citizen of the country, dual national (citizen with a second nationality) or non-citizen resident.",
           values=places.NATIONALITY),
    Column("disability", "bool", "The claimant declared a disability."),
    Column("main_language", "str", "Claimant's main language; `national` is the country's official language.", values=places.LANGUAGES),
    Column("region", "str", "Region of the claimant's address.", values=places.REGIONS),
    Column("postcode_district", "str", "Postcode district of the address (invented codes: area letters then a number).",
           values=places.ALL_DISTRICTS),
    Column("household_type", "str", "Household the claim is for.", values=HOUSEHOLDS),
    Column("children", "int", "Number of dependent children in the household.", min=0, max=8),
    Column("income_source", "str", "Main source of the household's income.", values=INCOME_SOURCES),
    Column("monthly_income_eur", "float", "Declared household income per month, in euros.", decimals=2, min=0),
    Column("eligible", "bool", "The declared income passes the means test for this household type and size."),
    Column("risk_score", "float", "The vendor model's fraud-risk score (0 = lowest, 1 = highest risk).", decimals=4, min=0, max=1),
    Column("flagged", "bool", "The score is at or above the flag threshold (the top 4% of applications); flagged applications are investigated."),
    Column("risk_score_without_nationality", "float",
           "Score from the vendor's retrained model, built after nationality was removed from its inputs (shadow run, not used for decisions).",
           decimals=4, min=0, max=1),
    Column("flagged_without_nationality", "bool", "Would have been flagged by the retrained model (same 4% share)."),
    Column("investigated", "bool", "A fraud investigator reviewed the application."),
    Column("investigation_reason", "str", "Why it was investigated: the risk flag, or a random control check. Empty if not investigated.",
           nullable=True, values=("risk_flag", "random_check")),
    Column("fraud_found", "bool", "The investigation found fraud. Empty when not investigated: the outcome is unknown, not 'no fraud'.",
           nullable=True),
))

TRUTH = Table(NAME, "truth", (
    "For instructors and tests only: the true outcome of every application, which the office itself "
    "never sees for applications nobody investigated. Join on `claim_id`."
), (
    Column("claim_id", "str", "Application reference (as in `benefit_claims.csv`).", unique=True, pattern=r"^BC-\d{6}$"),
    Column("true_fraud", "bool", "The application was in fact fraudulent."),
))

TABLES = {None: MAIN, "truth": TRUTH}

DATASHEET = Datasheet(
    motivation="""
Public bodies buy fraud-risk scores and use them to pick which applications to investigate. This
dataset lets learners test such a screen the way an auditor or a data protection officer would:
compare how often each group is flagged with how often each group actually commits fraud, find a
proxy for a protected characteristic, and see why the outcomes the office records (only for the
cases it chose to investigate) cannot tell it whether the screen is fair. It was made for the
course's fairness-testing module; the other modules may use it as a running example.
""",
    composition="""
{f[rows]:,} applications for a means-tested benefit received by the benefits office of an
invented mid-sized European country in 2023, one row each. Each row holds what the claimant
declared (age band, sex, nationality status, disability, main language, address region and
postcode district, household, income), whether the income passes the means test, the vendor's
risk score and the flag given to the top {f[flag_share]:.0%}, a second score from the vendor's
model retrained without nationality (run in shadow, not used for decisions), and the result of
any fraud investigation.

Fraud is known only where an investigation happened: every flagged application plus a random
1% of the others (`investigation_reason`). `fraud_found` is empty for everyone else. The true
outcome of every application is in a separate file, `benefit_claims_truth.csv`, for instructors
and tests: in real life no office has it.

Groups: {f[group_sizes][citizen]:,} citizens, {f[group_sizes][dual_national]:,} dual
nationals and {f[group_sizes][non_citizen]:,} non-citizen residents. Amounts are in euros.
Nationality and postcode are personal data, and both can reveal ethnic origin; nationality used
as a risk indicator is what the Dutch data protection authority found unlawful in the childcare
benefits case.
""",
    known_issues="""
- One nationality group is flagged far more often than citizens (enough to fail the
  four-fifths screen), although the true fraud rate is the same in every group.
- A few postcode districts stand in for nationality: removing the nationality column from the
  model does not remove the disparity.
- Most flagged applications are not fraud, so a flag is not evidence of wrongdoing.
- Investigated cases have a much higher fraud rate than the population (selective labels): a
  model trained on them, or a fraud rate computed from them, is biased.
""",
    collection="""
Nothing was collected: a seeded generator made every row. Nationality is drawn first; dual
nationals and non-citizens are then placed far more often in four postcode districts. Age,
household, sex (most single parents are women), disability, language, income source and income
follow from fixed probabilities. In each nationality group exactly
{f[true_fraud_rate_by_nationality][citizen]:.1%} of applications (to the nearest whole
application) are fraudulent, more often among self-employed claimants, never because of
nationality. The vendor's score adds up real signal from fraud, a weight on dual nationality,
a weight on the four districts, a weight on low income (the Dutch model also scored lower
incomes as riskier) and random noise; the top {f[flag_share]:.0%} are flagged. The retrained
score drops the nationality weight and gives the districts a larger weight, as a model refitted
without a variable tends to load its effect onto whatever correlates with it.
""",
    preprocessing="""
None beyond formatting: incomes are rounded to cents, scores to four decimals, dates are ISO
8601. The flag is exactly `risk_score >= flag_threshold` (the threshold is in the manifest).
There is no missing value except where the design says so (`investigation_reason` and
`fraud_found` for applications nobody investigated).
""",
    uses="""
Intended: teaching and practising fairness testing (selection rates, the four-fifths screen,
false positive rates and precision per group with Fairlearn's `MetricFrame` or plain pandas),
finding proxies, explaining selective labels, and drafting what an oversight body should ask
the vendor and the office. Join the truth file only where an exercise says so: the point of
several exercises is what you can and cannot learn without it.
""",
)


def _business_days(rng, start: str, end: str, size: int) -> np.ndarray:
    days = np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")
    days = days[np.is_busday(days)]
    return np.sort(rng.choice(days, size=size))


def generate(p: Params = BASE) -> dict:
    rng = np.random.default_rng(p.seed)
    n = p.n_rows
    nat = categorical(rng, places.NATIONALITY, p.nationality_share, n)
    g = {k: nat == k for k in places.NATIONALITY}

    # Where people live: dual nationals and non-citizens are concentrated in a few districts.
    in_proxy_p = np.select([g["citizen"], g["dual_national"]], list(p.proxy_residence[:2]), p.proxy_residence[2])
    in_proxy = rng.random(n) < in_proxy_p
    district = np.empty(n, dtype=object)
    district[in_proxy] = categorical(rng, p.proxy_districts, p.proxy_district_share, int(in_proxy.sum()))
    region = categorical(rng, p.regions, p.region_share, n)
    for r in p.regions:
        pool = [d for d in places.districts(r) if d not in p.proxy_districts]
        weights = rng.dirichlet(np.full(len(pool), 4.0))
        sel = (~in_proxy) & (region == r)
        district[sel] = categorical(rng, pool, weights, int(sel.sum()))
    region = np.array([places.REGION_OF[d] for d in district], dtype=object)

    age_p = {
        "citizen": (0.10, 0.20, 0.20, 0.18, 0.17, 0.15),
        "dual_national": (0.12, 0.25, 0.24, 0.18, 0.13, 0.08),
        "non_citizen": (0.16, 0.32, 0.24, 0.14, 0.09, 0.05),
    }
    age = np.empty(n, dtype=object)
    for k in places.NATIONALITY:
        age[g[k]] = categorical(rng, places.AGE_BANDS, age_p[k], int(g[k].sum()))
    age_idx = np.searchsorted(np.array(places.AGE_BANDS, dtype=object), age)
    older = age == "65+"

    household = categorical(rng, HOUSEHOLDS, (0.38, 0.14, 0.26, 0.22), n)
    household[older] = categorical(rng, ("single", "couple"), (0.62, 0.38), int(older.sum()))
    with_children = np.isin(household, ("single_parent", "couple_with_children"))
    children = np.where(with_children, 1 + np.minimum(rng.poisson(0.9, n), 5), 0)
    female_p = np.where(household == "single_parent", 0.88, 0.48)
    sex = np.where(rng.random(n) < female_p, "female", "male").astype(object)
    disability = rng.random(n) < (0.08 + 0.035 * age_idx)

    lang_p = {
        "citizen": (0.93, 0.01, 0.03, 0.005, 0.005, 0.0, 0.01, 0.01),
        "dual_national": (0.58, 0.12, 0.04, 0.04, 0.05, 0.03, 0.11, 0.03),
        "non_citizen": (0.22, 0.17, 0.12, 0.14, 0.09, 0.08, 0.10, 0.08),
    }
    language = np.empty(n, dtype=object)
    for k in places.NATIONALITY:
        language[g[k]] = categorical(rng, places.LANGUAGES, lang_p[k], int(g[k].sum()))

    source = categorical(rng, ("employment", "self_employment", "none"), (0.47, 0.13, 0.40), n)
    source[older] = categorical(rng, ("pension", "none", "employment"), (0.85, 0.10, 0.05), int(older.sum()))
    income = np.select(
        [source == "employment", source == "self_employment", source == "pension"],
        [np.exp(rng.normal(np.log(1350), 0.35, n)), np.exp(rng.normal(np.log(1150), 0.60, n)),
         np.exp(rng.normal(np.log(1050), 0.25, n))],
        np.where(rng.random(n) < 0.4, 0.0, rng.uniform(20, 260, n)),
    )
    income = np.round(income, 2)
    threshold = np.select(
        [household == "single", household == "couple", household == "single_parent"],
        [1450.0, 2050.0, 1650.0 + 300.0 * children], 2250.0 + 300.0 * children)
    eligible = income <= threshold

    # True fraud: exactly 3.0% in every nationality group; more likely with self-employment income.
    fraud_w = np.exp(1.1 * (source == "self_employment") + 0.3 * (source == "none")
                     + 0.3 * np.isin(age, ("25-34", "35-44", "45-54")))
    fraud = np.zeros(n, dtype=bool)
    for k in places.NATIONALITY:
        idx = np.flatnonzero(g[k])
        fraud[idx[exact_choice(rng, idx.size, round(p.true_fraud_rate * idx.size), fraud_w[idx])]] = True

    # The vendor's score: some real signal, plus nationality, the postcode, and low income.
    log_inc = np.log(income + 200.0)
    low_income = -(log_inc - log_inc.mean()) / log_inc.std()
    noise = rng.normal(0.0, 1.0, n)
    z = 1.45 * fraud + p.weight_planted_group * g[p.planted_group] + p.weight_proxy * in_proxy + 0.35 * low_income + noise
    # Retrained without nationality: the postcode districts absorb what nationality carried.
    z2 = 1.45 * fraud + p.weight_proxy_retrained * in_proxy + 0.35 * low_income + noise + rng.normal(0.0, 0.15, n)
    score = np.round(1.0 / (1.0 + np.exp(-(z - 2.6) * 1.2)), 4)
    score2 = np.round(1.0 / (1.0 + np.exp(-(z2 - 2.6) * 1.2)), 4)
    k = round(p.flag_share * n)
    flagged = score >= np.sort(score)[-k]
    flagged2 = score2 >= np.sort(score2)[-k]

    unflagged = np.flatnonzero(~flagged)
    random_check = np.zeros(n, dtype=bool)
    random_check[unflagged[exact_choice(rng, unflagged.size, round(p.random_check_share * unflagged.size))]] = True
    investigated = flagged | random_check
    reason = np.where(flagged, "risk_flag", np.where(random_check, "random_check", None)).astype(object)
    fraud_found = np.where(investigated, fraud, None).astype(object)

    dates = _business_days(rng, p.first_day, p.last_day, n)
    claim_id = np.array([f"BC-{i:06d}" for i in range(1, n + 1)], dtype=object)
    main = {
        "claim_id": claim_id, "application_date": dates, "age_band": age, "sex": sex,
        "nationality_status": nat, "disability": disability, "main_language": language,
        "region": region, "postcode_district": district, "household_type": household,
        "children": children, "income_source": source, "monthly_income_eur": income,
        "eligible": eligible, "risk_score": score, "flagged": flagged,
        "risk_score_without_nationality": score2, "flagged_without_nationality": flagged2,
        "investigated": investigated, "investigation_reason": reason, "fraud_found": fraud_found,
    }
    return {None: main, "truth": {"claim_id": claim_id, "true_fraud": fraud}}


def facts(frames, p: Params = BASE) -> tuple[dict, dict]:
    pg = p.planted_group
    who = GROUP_WORDS[pg]
    df = frames[None].merge(frames["truth"], on="claim_id", validate="one_to_one")
    groups = list(places.NATIONALITY)
    by = df.groupby("nationality_status")
    flag_rate = {k: r4(by["flagged"].mean()[k]) for k in groups}
    fraud_rate = {k: r4(by["true_fraud"].mean()[k]) for k in groups}
    ref = by["flagged"].mean()[REFERENCE_GROUP]
    ratio = {k: r4(by["flagged"].mean()[k] / ref) for k in groups if k != REFERENCE_GROUP}
    flag2 = df.groupby("nationality_status")["flagged_without_nationality"].mean()
    neg = df[~df["true_fraud"]]
    fpr = neg.groupby("nationality_status")["flagged"].mean()
    flagged = df[df["flagged"]]
    precision = flagged.groupby("nationality_status")["true_fraud"].mean()
    in_proxy = df["postcode_district"].isin(p.proxy_districts)
    citizens = df["nationality_status"] == REFERENCE_GROUP
    inv = df[df["investigated"]]
    threshold = float(flagged["risk_score"].min())
    threshold2 = float(df.loc[df["flagged_without_nationality"], "risk_score_without_nationality"].min())
    sexes = df.groupby("sex")["flagged"].mean()

    f = {
        "rows": int(len(df)),
        "group_sizes": {k: int((df["nationality_status"] == k).sum()) for k in groups},
        "reference_group": REFERENCE_GROUP,
        "planted_group": pg,
        "flag_threshold": threshold,
        "flags": int(df["flagged"].sum()),
        "flag_share": r4(df["flagged"].mean()),
        "flag_rate_by_nationality": flag_rate,
        "true_fraud_rate_by_nationality": fraud_rate,
        "flag_rate_ratio": ratio[pg],
        "flag_rate_ratio_vs_citizen": ratio,
        f"selection_ratio_citizen_vs_{pg}": r4(ref / by["flagged"].mean()[pg]),
        "false_positive_rate_by_nationality": {k: r4(fpr[k]) for k in groups},
        "precision_by_nationality": {k: r4(precision[k]) for k in groups},
        "flag_rate_by_sex": {k: r4(sexes[k]) for k in ("female", "male")},
        "proxy_postcode_districts": list(p.proxy_districts),
        f"{pg}_share_in_proxy_districts": rate(df.loc[in_proxy, "nationality_status"] == pg),
        f"{pg}_share_elsewhere": rate(df.loc[~in_proxy, "nationality_status"] == pg),
        f"share_of_{pg}s_living_in_proxy_districts": rate(in_proxy[df["nationality_status"] == pg]),
        "citizen_flag_rate_in_proxy_districts": rate(df.loc[citizens & in_proxy, "flagged"]),
        "citizen_flag_rate_elsewhere": rate(df.loc[citizens & ~in_proxy, "flagged"]),
        "citizen_flag_rate_in_proxy_districts_without_nationality": rate(df.loc[citizens & in_proxy, "flagged_without_nationality"]),
        "citizen_flag_rate_elsewhere_without_nationality": rate(df.loc[citizens & ~in_proxy, "flagged_without_nationality"]),
        "flag_threshold_without_nationality": threshold2,
        "flag_rate_by_nationality_without_nationality": {k: r4(flag2[k]) for k in groups},
        "flag_rate_ratio_without_nationality": r4(flag2[pg] / flag2[REFERENCE_GROUP]),
        "share_of_flags_not_fraud": rate(~flagged["true_fraud"]),
        "population_fraud_rate": rate(df["true_fraud"]),
        "frauds": int(df["true_fraud"].sum()),
        "frauds_flagged_share": rate(df.loc[df["true_fraud"], "flagged"]),
        "investigated": int(len(inv)),
        "random_checks": int((df["investigation_reason"] == "random_check").sum()),
        "investigated_fraud_rate": rate(inv["fraud_found"].astype(bool)),
        "flagged_investigation_fraud_rate": rate(inv.loc[inv["investigation_reason"] == "risk_flag", "fraud_found"].astype(bool)),
        "random_check_fraud_rate": rate(inv.loc[inv["investigation_reason"] == "random_check", "fraud_found"].astype(bool)),
        "eligible_share": rate(df["eligible"]),
    }
    how = {
        "rows": "Number of applications (rows) in benefit_claims.csv.",
        "group_sizes": "Applications per nationality_status.",
        "reference_group": "The group ratios are taken against: the largest group.",
        "planted_group": "The group flagged more often by design.",
        "flag_threshold": "Lowest risk_score among flagged rows; flagged is exactly risk_score >= this value.",
        "flags": "Number of flagged applications.",
        "flag_share": "Share of all applications flagged.",
        "flag_rate_by_nationality": "Share flagged within each nationality_status.",
        "true_fraud_rate_by_nationality": "Share with true_fraud (truth file) within each nationality_status; equal by construction.",
        "flag_rate_ratio": f"Flag rate of {pg} divided by flag rate of citizen.",
        "flag_rate_ratio_vs_citizen": "Each group's flag rate divided by the citizens' flag rate.",
        f"selection_ratio_citizen_vs_{pg}": f"Citizens' flag rate divided by {who}' (the four-fifths rule reads this below 0.8 as adverse impact).",
        "false_positive_rate_by_nationality": "Among applications with true_fraud False, share flagged, per group.",
        "precision_by_nationality": "Among flagged applications, share with true_fraud True, per group.",
        "flag_rate_by_sex": "Share flagged by sex (no planted difference).",
        "proxy_postcode_districts": "Postcode districts where dual nationals and non-citizens were placed far more often; the scores weigh them.",
        f"{pg}_share_in_proxy_districts": f"Share of applications in the proxy districts that are from {who}.",
        f"{pg}_share_elsewhere": "The same share in all other districts.",
        f"share_of_{pg}s_living_in_proxy_districts": f"Among {who}, share living in a proxy district.",
        "citizen_flag_rate_in_proxy_districts": "Flag rate of citizens living in the proxy districts: the postcode itself raises the score.",
        "citizen_flag_rate_elsewhere": "Flag rate of citizens living anywhere else.",
        "citizen_flag_rate_in_proxy_districts_without_nationality": "Citizens in the proxy districts, share flagged_without_nationality: the retrained model leans on the postcode.",
        "citizen_flag_rate_elsewhere_without_nationality": "Citizens elsewhere, share flagged_without_nationality.",
        "flag_threshold_without_nationality": "Lowest risk_score_without_nationality among rows flagged_without_nationality.",
        "flag_rate_by_nationality_without_nationality": "Share flagged_without_nationality within each nationality_status.",
        "flag_rate_ratio_without_nationality": f"{who[0].upper() + who[1:]}' rate divided by citizens' rate for flagged_without_nationality: the disparity the postcode proxy keeps.",
        "share_of_flags_not_fraud": "Among flagged applications, share with true_fraud False.",
        "population_fraud_rate": "Share of all applications with true_fraud True.",
        "frauds": "Number of applications with true_fraud True.",
        "frauds_flagged_share": "Among true frauds, share flagged (the screen's recall).",
        "investigated": "Number of applications with investigated True (all flagged plus random checks).",
        "random_checks": "Number with investigation_reason random_check.",
        "investigated_fraud_rate": "Share with fraud_found True among investigated applications (the selective labels).",
        "flagged_investigation_fraud_rate": "Share with fraud_found True among investigations with reason risk_flag.",
        "random_check_fraud_rate": "Share with fraud_found True among random checks: a small but unbiased estimate of the fraud rate among unflagged applications.",
        "eligible_share": "Share of applications passing the means test.",
    }
    return f, how
