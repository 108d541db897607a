"""``benefit_claims_north``: a year of applications to the North regional benefits office,
screened by the same vendor's fraud-risk score; the data of Module 3's exercise.

The same generator as ``benefit_claims`` (the lesson's data) with another office, period, seed
and planted group, so that working through the lesson teaches the method and the exercise still
has to be worked out:
- 2024 instead of 2023, the North region only, about 12,000 applications;
- the score weighs **non-citizen residents** (not dual nationals), and the top 5% are flagged;
- two North postcode districts where non-citizens are concentrated act as the proxy;
- the true fraud rate is the same in every nationality group (3.5%, by construction).
"""

from __future__ import annotations

from dataclasses import replace

from coursekit.datasets import benefit_claims as base
from coursekit.datasets._common import Datasheet

NAME = "benefit_claims_north"
TITLE = "Benefit applications to the North regional office, screened by a fraud-risk score (2024)"
EXERCISE = True  # an exercise's extract: its manifest and datasheet are answer keys, kept with the course
SEED = 20240156
CASE_KEYS = base.CASE_KEYS

PARAMS = base.Params(
    seed=SEED,
    n_rows=12_000,
    first_day="2024-01-02",
    last_day="2024-12-30",
    regions=("North",),
    region_share=(1.0,),
    nationality_share=(0.72, 0.12, 0.16),
    proxy_residence=(0.05, 0.22, 0.55),
    proxy_districts=("QN3", "QN6"),
    proxy_district_share=(0.55, 0.45),
    flag_share=0.05,
    random_check_share=0.015,
    true_fraud_rate=0.035,
    planted_group="non_citizen",
    weight_planted_group=0.30,
    weight_proxy=0.15,
    weight_proxy_retrained=0.45,
)


def _columns(columns):
    """The base columns, with the words that name the base office's year and flag share changed."""
    words = {
        "application_date": "Date the application was received (2024).",
        "flagged": "The score is at or above the flag threshold (the top 5% of applications); flagged applications are investigated.",
        "flagged_without_nationality": "Would have been flagged by the retrained model (same 5% share).",
        "claim_id": "Application reference.",
    }
    return tuple(replace(c, description=words.get(c.name, c.description)) for c in columns)


MAIN = replace(base.MAIN, dataset=NAME, columns=_columns(base.MAIN.columns), description=(
    "One row per application received by the North regional office in 2024: what the claimant "
    "declared, the vendor's fraud-risk score and flag, and the outcome of any investigation."))
TRUTH = replace(base.TRUTH, dataset=NAME, columns=tuple(
    replace(c, description="Application reference (as in `benefit_claims_north.csv`).") if c.name == "claim_id" else c
    for c in base.TRUTH.columns))
TABLES = {None: MAIN, "truth": TRUTH}

DATASHEET = Datasheet(
    motivation="""
The extract an audit team would receive from one regional office, to test the vendor's
fraud-risk screen on its own data. It is the data of the fairness module's exercise: the lesson
works on the national office's 2023 data (`benefit_claims`), the exercise on this one, so that
the lesson's printed results are not the exercise's answers.
""",
    composition="""
{f[rows]:,} applications for a means-tested benefit received by the North regional office of
an invented country in 2024, one row each, with the same columns as `benefit_claims`: what the
claimant declared, whether the income passes the means test, the vendor's risk score and the
flag given to the top {f[flag_share]:.0%}, a second score from the vendor's model retrained
without nationality (run in shadow), and the result of any fraud investigation.

Fraud is known only where an investigation happened: every flagged application plus a random
{v_random:.1%} of the others. The true outcome of every application is in
`benefit_claims_north_truth.csv`, for instructors and tests.

Groups: {f[group_sizes][citizen]:,} citizens, {f[group_sizes][dual_national]:,} dual
nationals and {f[group_sizes][non_citizen]:,} non-citizen residents. Every address is in
the North region's postcode districts.
""",
    known_issues="""
- One nationality group is flagged far more often than citizens (enough to fail the
  four-fifths screen), although the true fraud rate is the same in every group. It is not the
  group the lesson's data penalises.
- A few postcode districts stand in for nationality: removing the nationality column from the
  model does not remove the disparity.
- Most flagged applications are not fraud.
- Investigated cases have a much higher fraud rate than the population (selective labels).
""",
    collection="""
Nothing was collected: the generator of `benefit_claims` made every row, with this office's
seed and settings (one region, 2024, a larger share of non-citizen residents, a 5% flag share,
a {v_random:.1%} random control sample). In each nationality group exactly
{f[true_fraud_rate_by_nationality][citizen]:.1%} of applications (to the nearest whole
application) are fraudulent. The vendor's score adds up real signal from fraud, a weight on
being a non-citizen resident, a weight on living in one of the proxy districts, a weight on low
income and random noise; the retrained score drops the nationality weight and weighs the
districts more.
""",
    preprocessing="""
None beyond formatting, as for `benefit_claims`. The flag is exactly
`risk_score >= flag_threshold` (the threshold is in the manifest).
""",
    uses="""
Intended: the fairness module's exercise (selection rates, the four-fifths screen, error rates
by group, proxies, selective labels, small groups). The manifest holds the exercise's answers:
trainers may prefer learners not to open it.
""",
    values={"v_random": PARAMS.random_check_share},
)


def generate() -> dict:
    return base.generate(PARAMS)


def facts(frames) -> tuple[dict, dict]:
    return base.facts(frames, PARAMS)
