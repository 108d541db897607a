"""``model_monitoring``: two years of a deployed risk model's scores and the outcomes that followed.

The story: since January 2023 a benefits office has scored every claim it reviews with a model
that estimates the chance the review finds an error in the claim; claims scoring 0.30 or more
get a full review. From April 2024 the East region pilots a housing supplement for families
with children, paid as income. For couples the extra money lowers the risk, as the model
assumes. For single parents the supplement's partner rules cause errors, while the model, trained
before, reads their higher declared income as lower risk: its performance for single parents in
the East collapses, and the overall figures barely move.

Planted, and recorded with realised values in the manifest: the month the drift starts, the
region whose inputs shift, the group whose performance degrades, accuracy and recall per group
before and after, the monthly mean declared income per region, and the population stability
index of declared income.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coursekit.datasets import places
from coursekit.datasets._common import Column, Datasheet, Table, categorical, r4, rate, sigmoid

NAME = "model_monitoring"
TITLE = "Monitoring a deployed risk model over 24 months"
SEED = 20230131
CASE_KEYS = ("robodebt", "ofqual", "rotterdam")

FIRST_MONTH = "2023-01"
MONTHS = 24
PER_MONTH = 600
DRIFT_START = "2024-04"
AFFECTED_REGION = "East"
AFFECTED_GROUP = "single_parent"
THRESHOLD = 0.30
HOUSEHOLDS = ("single", "couple", "single_parent", "couple_with_children")
PSI_BINS = 10



@dataclass(frozen=True)
class Log:
    """What makes one monitoring log: the office, the period, the policy change and who it hits.

    Another log (another office, period or drift) reuses ``generate_log`` and ``log_facts`` with
    its own values; the defaults are this dataset's.
    """

    name: str = NAME
    seed: int = SEED
    id_prefix: str = "MM"
    first_month: str = FIRST_MONTH
    months: int = MONTHS
    per_month: int = PER_MONTH
    drift_start: str = DRIFT_START
    affected_region: str = AFFECTED_REGION
    affected_group: str = AFFECTED_GROUP
    household_share: tuple = (0.38, 0.14, 0.22, 0.26)
    supplemented: tuple = ("single_parent", "couple_with_children")   # households that get the new payment
    supplement_base: float = 350.0          # euros a month, plus supplement_per_child per child
    supplement_per_child: float = 120.0
    extra_risk: float = 1.0                  # added to the affected group's true log-odds of an error
    threshold: float = THRESHOLD
    policy: str = "the East region's supplement for single parents, paid as income"


def log_table(g: Log) -> Table:
    first = np.datetime64(g.first_month, "M")
    last = first + g.months - 1
    span = f"{_month_name(first)} to {_month_name(last)}"
    return Table(g.name, None, (
        f"One row per claim scored by the model and then reviewed, {span}, with the "
        "model's inputs, its score and flag, and what the review found."
    ), (
        Column("case_id", "str", "Claim reference.", unique=True, pattern=rf"^{g.id_prefix}-\d{{6}}$"),
        Column("month", "month", "Month the claim was scored and reviewed."),
        Column("region", "str", "Region of the claimant's address.", values=places.REGIONS),
        Column("age_band", "str", "Claimant's age band.", values=places.AGE_BANDS),
        Column("sex", "str", "Claimant's sex.", values=("female", "male")),
        Column("household_type", "str", "Household the claim is for.", values=HOUSEHOLDS),
        Column("children", "int", "Dependent children.", min=0, max=8),
        Column("declared_income_eur", "float", "Declared household income per month in euros (a model input).", decimals=2, min=0),
        Column("months_on_benefit", "int", "Months the household has received the benefit (a model input).", min=0),
        Column("previous_errors", "int", "Errors found in the household's earlier claims (a model input).", min=0),
        Column("risk_score", "float", "The model's estimated chance that a review finds an error.", decimals=4, min=0, max=1),
        Column("flagged", "bool", f"Score at or above the review threshold ({g.threshold:.2f}): the claim got a full review first."),
        Column("error_found", "bool", "The review found an error in the claim (the outcome the model predicts)."),
    ))


def _month_name(m) -> str:
    return pd.Timestamp(str(m)).strftime("%B %Y")


LOG = Log()
MAIN = log_table(LOG)

TABLES = {None: MAIN}

DATASHEET = Datasheet(
    motivation="""
A model that was tested once can still fail later, when the world it scores changes. This
dataset lets learners practise the monitoring a deployer of an AI system owes (for high-risk
systems, the EU AI Act asks deployers to monitor operation and report problems): tracking
accuracy and recall over time and per group, spotting a shift in the inputs, and explaining why
an aggregate figure hid the harm. It was made for the course's procurement-and-monitoring module.
""",
    composition="""
{f[rows]:,} claims scored by the model and then reviewed, {per_month} a month from
{f[first_month]} to {f[last_month]}, in an invented benefits office. Each row holds the
claimant's region, age band, sex and household, the model's inputs (declared income, months on
the benefit, earlier errors), the model's score, whether it was flagged for a full review, and
whether the review found an error. Every claim in the data was reviewed, so the outcome is
known for flagged and unflagged claims alike (a real office would often know it only for the
flagged ones).
""",
    known_issues="""
- From a known month a policy change shifts one model input in one region.
- From the same month the model's accuracy and recall fall sharply for one group in that region
  while the overall figures move only a little.
""",
    collection="""
Nothing was collected: a seeded generator made every row. The model's score is the chance of an
error given the inputs as they were before the change, so it is well calibrated until then. From
{f[drift_start_month]} households with children in the {f[affected_region]} region receive a
housing supplement that counts as income, so declared income there rises. For couples with
children the extra money really does lower the chance of an error, as the model assumes. For
single parents the supplement's rules on living with a partner make errors more likely, while
the model reads their higher income as lower risk. Nothing changes in other regions.

The shape follows real cases where a system kept running on assumptions that no longer held, or
never held, for part of the population: income averaging in Australia's Robodebt, a grading model
that treated small and large schools differently (the 2020 A-level grades), and a fraud model
suspended after review (Rotterdam).
""",
    preprocessing="""
None beyond formatting: income to cents, scores to four decimals, months as YYYY-MM. The flag is
exactly `risk_score >= {f[flag_threshold]:.2f}`.
""",
    uses="""
Intended: teaching and practising post-deployment monitoring: monthly performance charts,
performance per group and region, input drift (for example the population stability index),
and deciding when to escalate, suspend or retrain.
""",
    values={"per_month": PER_MONTH},
)


def _month_labels(g: Log | None = None) -> list[str]:
    g = g or LOG
    start = np.datetime64(g.first_month, "M")
    return [str(start + i) for i in range(g.months)]


def _model_logit(income, single_parent, previous, months_on):
    low_income = -(np.log(income + 200.0) - np.log(1500.0)) / 0.35
    return -1.9 + 0.55 * low_income + 0.5 * single_parent + 0.45 * previous + 0.25 * (months_on < 6)


def generate_log(g: Log) -> dict:
    """The columns of one log's CSV, drawn from its seed."""
    rng = np.random.default_rng(g.seed)
    n = g.months * g.per_month
    labels = np.array(_month_labels(g), dtype=object)
    month_idx = np.repeat(np.arange(g.months), g.per_month)
    region = categorical(rng, places.REGIONS, places.REGION_SHARE, n)
    household = categorical(rng, HOUSEHOLDS, g.household_share, n)
    kids = np.isin(household, ("single_parent", "couple_with_children"))
    children = np.where(kids, 1 + np.minimum(rng.poisson(0.9, n), 5), 0)
    single_parent = household == AFFECTED_GROUP   # the model gives single parents their own weight
    sex = np.where(rng.random(n) < np.where(single_parent, 0.88, 0.48), "female", "male").astype(object)
    age = categorical(rng, places.AGE_BANDS, (0.11, 0.24, 0.24, 0.19, 0.14, 0.08), n)
    income = np.exp(rng.normal(np.log(1300.0), 0.45, n))
    previous = np.minimum(rng.poisson(0.3, n), 4)
    months_on = np.minimum(rng.geometric(1 / 30.0, n) - 1, 180)

    drift_idx = _month_labels(g).index(g.drift_start)
    supplemented = (region == g.affected_region) & np.isin(household, g.supplemented) & (month_idx >= drift_idx)
    affected = supplemented & (household == g.affected_group)
    supplement = np.where(supplemented, g.supplement_base + g.supplement_per_child * children, 0.0)
    declared = np.round(income + supplement, 2)

    # For the other households that receive it the supplement is real extra money and lowers the
    # risk as the model assumes. For the affected group its rules cause errors, and the extra
    # income does not help.
    true_income = np.where(affected, income, declared)
    true_logit = _model_logit(true_income, single_parent, previous, months_on) + g.extra_risk * affected
    error = rng.random(n) < sigmoid(true_logit)
    score = np.round(sigmoid(_model_logit(declared, single_parent, previous, months_on)), 4)
    flagged = score >= g.threshold

    return {None: {
        "case_id": np.array([f"{g.id_prefix}-{i:06d}" for i in range(1, n + 1)], dtype=object),
        "month": labels[month_idx], "region": region, "age_band": age, "sex": sex,
        "household_type": household, "children": children, "declared_income_eur": declared,
        "months_on_benefit": months_on, "previous_errors": previous, "risk_score": score,
        "flagged": flagged, "error_found": error,
    }}


def generate() -> dict:
    return generate_log(LOG)


def psi(expected: pd.Series, actual: pd.Series, edges: list[float]) -> float:
    """Population stability index of ``actual`` against ``expected`` over the bins ``edges``."""
    bins = [-np.inf, *edges, np.inf]
    e = pd.cut(expected, bins, right=False).value_counts(normalize=True, sort=False).to_numpy()
    a = pd.cut(actual, bins, right=False).value_counts(normalize=True, sort=False).to_numpy()
    return float(np.sum((a - e) * np.log(a / e)))


def log_facts(frames, g: Log) -> tuple[dict, dict]:
    """The planted facts of one log, recomputed from its CSV, and how each was computed."""
    df = frames[None].copy()
    start = pd.Timestamp(g.drift_start)
    df["after"] = df["month"] >= start
    df["correct"] = df["flagged"] == df["error_found"]
    east = df["region"] == g.affected_region
    group = df["household_type"] == g.affected_group

    def metrics(mask) -> dict:
        out = {}
        for period, after in (("before", False), ("after", True)):
            part = df[mask & (df["after"] == after)]
            out[period] = {
                "cases": int(len(part)),
                "accuracy": rate(part["correct"]),
                "recall": rate(part.loc[part["error_found"], "flagged"]),
                "error_rate": rate(part["error_found"]),
                "flag_rate": rate(part["flagged"]),
                "mean_score": r4(part["risk_score"].mean()),
            }
        return out

    baseline = df.loc[east & ~df["after"], "declared_income_eur"]
    edges = [round(float(x), 2) for x in baseline.quantile(np.arange(1, PSI_BINS) / PSI_BINS).to_numpy()]
    monthly = df.groupby([df["month"].dt.strftime("%Y-%m"), "region"])["declared_income_eur"].mean().unstack()
    f = {
        "rows": int(len(df)),
        "months": int(df["month"].nunique()),
        "first_month": df["month"].min().strftime("%Y-%m"),
        "last_month": df["month"].max().strftime("%Y-%m"),
        "drift_start_month": g.drift_start,
        "affected_region": g.affected_region,
        "affected_group": {"column": "household_type", "value": g.affected_group},
        "flag_threshold": g.threshold,
        "overall": metrics(pd.Series(True, index=df.index)),
        "affected_group_in_affected_region": metrics(group & east),
        "affected_group_elsewhere": metrics(group & ~east),
        "affected_group_all_regions": metrics(group),
        "other_households_in_affected_region": metrics(~group & east),
        "other_households_elsewhere": metrics(~group & ~east),
        "mean_declared_income_by_region": {
            r: {"before": r4(df.loc[(df["region"] == r) & ~df["after"], "declared_income_eur"].mean()),
                "after": r4(df.loc[(df["region"] == r) & df["after"], "declared_income_eur"].mean())}
            for r in places.REGIONS
        },
        "monthly_mean_declared_income_affected_region": {m: r4(v) for m, v in monthly[g.affected_region].items()},
        "psi_bin_edges": edges,
        "psi_declared_income_affected_region": r4(psi(baseline, df.loc[east & df["after"], "declared_income_eur"], edges)),
        "psi_declared_income_other_regions": r4(psi(df.loc[~east & ~df["after"], "declared_income_eur"],
                                                    df.loc[~east & df["after"], "declared_income_eur"], edges)),
    }
    metric_text = ("Per period (before: months before drift_start_month; after: from it): cases, accuracy (flagged equals "
                   "error_found), recall (share of error_found cases flagged), error_rate, flag_rate and mean risk_score")
    who = {"single_parent": "single parents", "couple_with_children": "couples with children"}.get(g.affected_group, g.affected_group)
    where = "the East" if g.affected_region == "East" else f"the {g.affected_region} region"
    how = {
        "rows": "Number of scored claims (rows).",
        "months": "Distinct months.",
        "first_month": "Earliest month.",
        "last_month": "Latest month.",
        "drift_start_month": f"First month of the policy change ({g.policy}).",
        "affected_region": "Region whose inputs shift.",
        "affected_group": "Group whose performance degrades.",
        "flag_threshold": "flagged is exactly risk_score >= this value.",
        "overall": metric_text + ", for all rows.",
        "affected_group_in_affected_region": metric_text + f", for {who} in {where}.",
        "affected_group_elsewhere": metric_text + f", for {who} in other regions.",
        "affected_group_all_regions": metric_text + f", for all {who}.",
        "other_households_in_affected_region": metric_text + f", for other households in {where}.",
        "other_households_elsewhere": metric_text + ", for other households in other regions.",
        "mean_declared_income_by_region": "Mean declared_income_eur per region before and after drift_start_month.",
        "monthly_mean_declared_income_affected_region": f"Mean declared_income_eur in {where} per month.",
        "psi_bin_edges": f"Bin edges for the population stability index: deciles of declared_income_eur in {where} before the drift, 2 decimals; bins are [edge, next edge) with open ends.",
        "psi_declared_income_affected_region": f"PSI = sum over bins of (after share - before share) * ln(after share / before share), declared_income_eur in {where}, before vs after (above 0.1 is usually read as a shift worth investigating, above 0.25 as a major one).",
        "psi_declared_income_other_regions": "The same PSI, same bin edges, for all other regions together.",
    }
    return f, how


def facts(frames) -> tuple[dict, dict]:
    return log_facts(frames, LOG)
