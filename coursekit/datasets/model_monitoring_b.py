"""``model_monitoring_b``: another office's monitoring log, with its own drift (the exercise's log).

The story: another benefits office has scored every claim it reviews since July 2023 with the
same kind of error-risk model; claims scoring 0.30 or more get a full review. From September
2024 the South region pays couples with children a childcare top-up that counts as income. Its
rules on the second earner's hours cause errors, while the model reads the higher declared
income as lower risk: its recall for couples with children in the South collapses, and the
overall figures move only a little.

It reuses the lesson log's generator (``model_monitoring.generate_log``) with its own office,
period, region, group, seed and size of drift, so that working the lesson does not give the
exercise's answers.
"""

from __future__ import annotations

from coursekit.datasets._common import Datasheet
from coursekit.datasets.model_monitoring import CASE_KEYS, Log, generate_log, log_facts, log_table

NAME = "model_monitoring_b"
TITLE = "Monitoring a deployed risk model over 24 months, in another office"
EXERCISE = True  # an exercise's extract: its manifest and datasheet are answer keys, kept with the course
SEED = 20250301

LOG = Log(
    name=NAME, seed=SEED, id_prefix="MB", first_month="2023-07", months=24, per_month=500,
    drift_start="2024-09", affected_region="South", affected_group="couple_with_children",
    household_share=(0.28, 0.14, 0.16, 0.42), supplemented=("couple_with_children",), supplement_base=300.0, supplement_per_child=120.0, extra_risk=1.3,
    policy="the South region's childcare top-up for couples with children, paid as income",
)
MAIN = log_table(LOG)
TABLES = {None: MAIN}

DATASHEET = Datasheet(
    motivation="""
A second, independent log for practising what the `model_monitoring` dataset teaches: the
monitoring a deployer of an AI system owes once it runs (tracking accuracy and recall over time
and per group, spotting a shift in the inputs, deciding when to alert and when to stop). Another
office, another period and another planted drift, so that the course's exercise must be worked
on its own data. Made for the course's procurement and monitoring module (its exercise).
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
- From the same month the model's recall falls sharply for one group in that region while the
  overall figures move only a little.
""",
    collection="""
Nothing was collected: a seeded generator made every row (the same generator as
`model_monitoring`, with other values). The model's score is the chance of an error given the
inputs as they were before the change, so it is well calibrated until then. From
{f[drift_start_month]} one kind of household in the {f[affected_region]} region receives a
top-up that counts as income, so declared income there rises. The top-up's rules make errors
more likely for those households, while the model reads the higher income as lower risk.
Nothing changes in other regions.

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
Intended: the exercise of the course's procurement and monitoring module: monthly performance
per group and region, input drift (the population stability index), and deciding when an alert
or a stop rule fires. Its manifest holds the exercise's answers.
""",
    values={"per_month": LOG.per_month},
)


def generate() -> dict:
    return generate_log(LOG)


def facts(frames) -> tuple[dict, dict]:
    return log_facts(frames, LOG)
