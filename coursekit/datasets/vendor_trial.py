"""``vendor_trial``: a local test set for checking a vendor's accuracy claim before purchase.

The story: a vendor offers a tool that reads a benefit application and recommends whether the
applicant is eligible. Its product sheet claims 94% accuracy. Before signing, the procurement
team ran the tool on 2,400 of the office's own past applications whose outcome caseworkers had
verified. Locally the tool is less accurate than claimed, and far less accurate for applicants
whose main language is not the country's official language: it mostly wrongly rejects them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coursekit.datasets import places
from coursekit.datasets._common import Column, Datasheet, Table, categorical, exact_choice, r4, rate, wilson

NAME = "vendor_trial"
TITLE = "Local test of a vendor's eligibility tool"
SEED = 20240601
CASE_KEYS = ("midas", "ofqual", "compas")

N_ROWS = 2_400
VENDOR_CLAIMED_ACCURACY = 0.94
VENDOR_CLAIM_BASIS = ("stated in the vendor's product sheet, measured on its own reference test set of 10,000 "
                      "applications from another country's benefit system (2019-2021)")
ERROR_RATE = {"national": 0.095, "not_national": 0.29}  # planted local error rates by language group
OUTCOMES = ("eligible", "not_eligible")
CHANNELS = ("online", "paper")



@dataclass(frozen=True)
class Trial:
    """What makes one local trial: the product's claim, the office's applicants, the planted gap.

    Another trial (another product, another office) reuses ``generate_trial`` and ``trial_facts``
    with its own values; the defaults are this dataset's.
    """

    name: str = NAME
    seed: int = SEED
    id_prefix: str = "VT"
    year: int = 2023
    rows: int = N_ROWS
    claimed_accuracy: float = VENDOR_CLAIMED_ACCURACY
    claim_basis: str = VENDOR_CLAIM_BASIS
    language_share: tuple = (0.80, 0.05, 0.03, 0.04, 0.02, 0.02, 0.03, 0.01)
    age_share: tuple = (0.12, 0.22, 0.21, 0.18, 0.15, 0.12)
    eligible_share: float = 0.66
    # The planted gap: rows whose ``focus_column`` is in ``focus_values`` get ``error_rate["focus"]``.
    focus_column: str = "main_language"
    focus_values: tuple = tuple(v for v in places.LANGUAGES if v != "national")
    focus_rule: str = "main_language is not 'national'"
    group_key: str = "language_group"     # the facts' name for the two groups
    rest_label: str = "national"
    focus_label: str = "not_national"
    error_rate: dict = field(default_factory=lambda: {"rest": ERROR_RATE["national"], "focus": ERROR_RATE["not_national"]})
    paper_share: dict = field(default_factory=lambda: {"rest": 0.25, "focus": 0.40})
    eligible_error_weight: float = 4.0     # how much more often the focus group's errors fall on eligible people
    paper_error_weight: float = 1.3


def trial_table(t: Trial) -> Table:
    return Table(t.name, None, (
        "One row per past application in the local test set: who applied and how, what the vendor's tool "
        "recommended, and the outcome a caseworker verified."
    ), (
        Column("case_id", "str", "Application reference.", unique=True, pattern=rf"^{t.id_prefix}-\d{{5}}$"),
        Column("application_date", "date", f"Date the original application was received ({t.year})."),
        Column("application_channel", "str", "How the application was made.", values=CHANNELS),
        Column("main_language", "str", "Applicant's main language; `national` is the country's official language.", values=places.LANGUAGES),
        Column("age_band", "str", "Applicant's age band.", values=places.AGE_BANDS),
        Column("sex", "str", "Applicant's sex.", values=("female", "male")),
        Column("region", "str", "Region of the applicant's address.", values=places.REGIONS),
        Column("vendor_prediction", "str", "What the vendor's tool recommended.", values=OUTCOMES),
        Column("vendor_confidence", "float", "Confidence the tool reported (0.5 to 1).", decimals=2, min=0.5, max=1.0),
        Column("verified_outcome", "str", "The outcome a caseworker verified for the original application.", values=OUTCOMES),
    ))


TRIAL = Trial()
MAIN = trial_table(TRIAL)

TABLES = {None: MAIN}

DATASHEET = Datasheet(
    motivation="""
Vendors report accuracy measured on their own data. A public buyer should check a claim on its
own cases and for the groups it serves before it signs. This dataset lets learners do that: the
vendor claims {f[vendor_claimed_accuracy]:.0%} accuracy, {f[vendor_claim_basis]}. Learners
measure the tool on a local test set, with confidence intervals, overall and per subgroup, and
decide what to ask the vendor and whether to buy. It was made for the course's procurement and
monitoring module.
""",
    composition="""
{f[rows]:,} past benefit applications of an invented benefits office (2023), one row each,
re-run through the vendor's tool during a pre-purchase trial: the applicant's main language,
age band, sex and region, how they applied, what the tool recommended and with what confidence,
and the outcome a caseworker verified for the original application.
""",
    known_issues="""
- The tool's accuracy on local cases is below the vendor's claim, by more than sampling error.
- For one subgroup it is much worse, and its errors there mostly go one way.
""",
    collection="""
Nothing was collected: a seeded generator made every row. Verified outcomes are drawn first;
the tool's recommendation is then wrong in a fixed share of cases per language group (much
higher for applicants whose main language is not the official one, where the errors fall mostly
on eligible applicants), a little more often for paper forms. The confidence it reports is a
little lower, on average, when it is wrong.

The shape follows real cases where a system's claimed or average performance hid who bore its
errors: MiDAS in Michigan (93% of automated fraud findings overturned), the 2020 A-level grades,
and COMPAS's unequal error rates.
""",
    preprocessing="""
None beyond formatting: confidence to two decimals, ISO dates.
""",
    uses="""
Intended: teaching and practising acceptance testing of a bought AI system: accuracy with
confidence intervals, disaggregated by subgroup, error direction (who is wrongly refused), what
a contract should require (local testing, per-group performance, the right to audit), and
writing a recommendation to a procurement board.
""",
)


def generate_trial(t: Trial) -> dict:
    """The columns of one trial's CSV, drawn from its seed."""
    rng = np.random.default_rng(t.seed)
    n = t.rows
    language = categorical(rng, places.LANGUAGES, t.language_share, n)
    channel_draw = rng.random(n)
    age = categorical(rng, places.AGE_BANDS, t.age_share, n)
    sex = np.where(rng.random(n) < 0.54, "female", "male").astype(object)
    region = categorical(rng, places.REGIONS, places.REGION_SHARE, n)
    truth = np.where(rng.random(n) < t.eligible_share, "eligible", "not_eligible").astype(object)
    columns = {"main_language": language, "age_band": age, "sex": sex, "region": region}
    focus = np.isin(columns[t.focus_column], t.focus_values)
    channel = np.where(channel_draw < np.where(focus, t.paper_share["focus"], t.paper_share["rest"]), "paper", "online").astype(object)

    wrong = np.zeros(n, dtype=bool)
    for label, mask in (("rest", ~focus), ("focus", focus)):
        idx = np.flatnonzero(mask)
        # In the focus group the tool mostly misreads eligible applicants as not eligible.
        w = (np.where(truth[idx] == "eligible", t.eligible_error_weight if label == "focus" else 1.0, 1.0)
             * np.where(channel[idx] == "paper", t.paper_error_weight, 1.0))
        wrong[idx[exact_choice(rng, idx.size, round(t.error_rate[label] * idx.size), w)]] = True
    flip = np.where(truth == "eligible", "not_eligible", "eligible").astype(object)
    prediction = np.where(wrong, flip, truth).astype(object)
    confidence = np.round(np.where(wrong, 0.5 + 0.49 * rng.beta(4.0, 2.0, n), 0.5 + 0.49 * rng.beta(6.0, 1.6, n)), 2)

    days = np.arange(np.datetime64(f"{t.year}-01-02"), np.datetime64(f"{t.year}-12-30"), dtype="datetime64[D]")
    days = days[np.is_busday(days)]
    return {None: {
        "case_id": np.array([f"{t.id_prefix}-{i:05d}" for i in range(1, n + 1)], dtype=object),
        "application_date": np.sort(rng.choice(days, size=n)),
        "application_channel": channel, "main_language": language, "age_band": age, "sex": sex,
        "region": region, "vendor_prediction": prediction, "vendor_confidence": confidence,
        "verified_outcome": truth,
    }}


def generate() -> dict:
    return generate_trial(TRIAL)


def trial_facts(frames, t: Trial) -> tuple[dict, dict]:
    """The planted facts of one trial, recomputed from its CSV, and how each was computed."""
    df = frames[None].copy()
    df["correct"] = df["vendor_prediction"] == df["verified_outcome"]
    df["focus_group"] = np.where(df[t.focus_column].isin(t.focus_values), t.focus_label, t.rest_label)
    eligible = df["verified_outcome"] == "eligible"

    def acc(mask) -> dict:
        part = df.loc[mask, "correct"]
        return {"n": int(len(part)), "accuracy": rate(part), "ci95": list(wilson(int(part.sum()), int(len(part))))}

    groups = (t.rest_label, t.focus_label)
    values = {"main_language": places.LANGUAGES, "age_band": places.AGE_BANDS, "region": places.REGIONS}[t.focus_column]
    overall = acc(df.index == df.index)
    claim = t.claimed_accuracy
    f = {
        "rows": int(len(df)),
        "vendor_claimed_accuracy": claim,
        "vendor_claim_basis": t.claim_basis,
        "local_accuracy": overall["accuracy"],
        "local_accuracy_ci95": overall["ci95"],
        "claim_inside_local_ci95": bool(overall["ci95"][0] <= claim <= overall["ci95"][1]),
        "gap_to_claim_points": round((claim - df["correct"].mean()) * 100, 2),
        "worst_subgroup": {"column": t.focus_column, "rule": t.focus_rule},
        f"accuracy_by_{t.group_key}": {g: acc(df["focus_group"] == g) for g in groups},
        f"accuracy_by_{t.focus_column}": {v: acc(df[t.focus_column] == v) for v in values},
        "accuracy_by_channel": {c: acc(df["application_channel"] == c) for c in CHANNELS},
        f"false_not_eligible_rate_by_{t.group_key}": {
            g: rate(df.loc[eligible & (df["focus_group"] == g), "vendor_prediction"] == "not_eligible") for g in groups},
        f"false_eligible_rate_by_{t.group_key}": {
            g: rate(df.loc[~eligible & (df["focus_group"] == g), "vendor_prediction"] == "eligible") for g in groups},
        "mean_confidence_when_right": r4(df.loc[df["correct"], "vendor_confidence"].mean()),
        "mean_confidence_when_wrong": r4(df.loc[~df["correct"], "vendor_confidence"].mean()),
        "eligible_share": rate(eligible),
    }
    two = f"'{t.rest_label}' and '{t.focus_label}' ({t.focus_rule})"
    how = {
        "rows": "Applications in the local test set.",
        "vendor_claimed_accuracy": "Accuracy the vendor claims.",
        "vendor_claim_basis": "Where the claim comes from and what it was measured on.",
        "local_accuracy": "Share of rows where vendor_prediction equals verified_outcome.",
        "local_accuracy_ci95": "Wilson 95% interval for local_accuracy (z = 1.96).",
        "claim_inside_local_ci95": "Whether the claimed accuracy lies inside that interval.",
        "gap_to_claim_points": "Claimed minus local accuracy, in percentage points (2 decimals).",
        "worst_subgroup": "The subgroup planted to fare much worse.",
        f"accuracy_by_{t.group_key}": f"n, accuracy and Wilson 95% interval for the two groups {two}.",
        f"accuracy_by_{t.focus_column}": f"n, accuracy and Wilson 95% interval for each {t.focus_column} (small groups: wide intervals).",
        "accuracy_by_channel": "n, accuracy and Wilson 95% interval per application_channel.",
        f"false_not_eligible_rate_by_{t.group_key}": "Among verified eligible applicants, share the tool called not_eligible, per group.",
        f"false_eligible_rate_by_{t.group_key}": "Among verified not-eligible applicants, share the tool called eligible, per group.",
        "mean_confidence_when_right": "Mean vendor_confidence where the tool was right.",
        "mean_confidence_when_wrong": "Mean vendor_confidence where it was wrong.",
        "eligible_share": "Share of rows with verified_outcome eligible.",
    }
    if t.name == NAME:
        # This dataset's manifest words its group facts as first published.
        how["accuracy_by_language_group"] = ("n, accuracy and Wilson 95% interval for main_language 'national' and for all "
                                             "other languages together ('not_national').")
        how["false_not_eligible_rate_by_language_group"] = "Among verified eligible applicants, share the tool called not_eligible, per language group."
        how["false_eligible_rate_by_language_group"] = "Among verified not-eligible applicants, share the tool called eligible, per language group."
        how["accuracy_by_main_language"] = "n, accuracy and Wilson 95% interval for each main_language (small groups: wide intervals)."
    return f, how


def facts(frames) -> tuple[dict, dict]:
    return trial_facts(frames, TRIAL)
