"""``vendor_trial_b``: another office's local test of another vendor's tool (the exercise's trial).

The story: a smaller, rural benefits office is offered a different product, a tool that reads a
housing-support application and recommends whether the applicant is eligible. Its brochure claims
95% accuracy. Before signing, the office ran it on 1,800 of its own past applications from 2024
whose outcome caseworkers had verified. Locally the tool falls short of the claim, and for
applicants aged 65 and over, many of whom apply on paper, it is much worse: it mostly wrongly
rejects them.

It reuses the lesson trial's generator (``vendor_trial.generate_trial``) with its own product,
office, seed and planted gap, so that working the lesson does not give the exercise's answers.
"""

from __future__ import annotations

from coursekit.datasets._common import Datasheet
from coursekit.datasets.vendor_trial import Trial, generate_trial, trial_facts, trial_table

NAME = "vendor_trial_b"
TITLE = "Local test of a second vendor's eligibility tool, in another office"
EXERCISE = True  # an exercise's extract: its manifest and datasheet are answer keys, kept with the course
SEED = 20250915
CASE_KEYS = ("midas", "ofqual", "compas")

TRIAL = Trial(
    name=NAME, seed=SEED, id_prefix="VB", year=2024, rows=1_800,
    claimed_accuracy=0.95,
    claim_basis=("stated in the vendor's brochure, measured on 50,000 applications made through a large city's "
                 "online portal (2021-2022)"),
    language_share=(0.90, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01, 0.01),
    age_share=(0.07, 0.15, 0.17, 0.18, 0.19, 0.24),
    eligible_share=0.60,
    focus_column="age_band", focus_values=("65+",), focus_rule="age_band is '65+'",
    group_key="age_group", rest_label="under_65", focus_label="65_and_over",
    error_rate={"rest": 0.075, "focus": 0.25},
    paper_share={"rest": 0.18, "focus": 0.55},
    eligible_error_weight=3.5, paper_error_weight=1.4,
)
MAIN = trial_table(TRIAL)
TABLES = {None: MAIN}

DATASHEET = Datasheet(
    motivation="""
A second, independent trial for practising what the `vendor_trial` dataset teaches: checking a
supplier's accuracy claim on the buyer's own cases, with confidence intervals, overall and per
subgroup, before signing. The vendor claims {f[vendor_claimed_accuracy]:.0%} accuracy,
{f[vendor_claim_basis]}. Another product, another office and another planted gap, so that the
course's exercise must be worked on its own data. Made for the course's procurement and
monitoring module (its exercise).
""",
    composition="""
{f[rows]:,} past housing-support applications of an invented rural benefits office (2024), one
row each, re-run through the vendor's tool during a pre-purchase trial: the applicant's main
language, age band, sex and region, how they applied, what the tool recommended and with what
confidence, and the outcome a caseworker verified for the original application.
""",
    known_issues="""
- The tool's accuracy on local cases is below the vendor's claim.
- For one subgroup it is much worse, and its errors there mostly go one way.
""",
    collection="""
Nothing was collected: a seeded generator made every row (the same generator as `vendor_trial`,
with other values). Verified outcomes are drawn first; the tool's recommendation is then wrong
in a fixed share of cases per group (much higher for one age group, where the errors fall mostly
on eligible applicants), more often for paper forms. The confidence it reports is a little
lower, on average, when it is wrong.

The shape follows real cases where a system's claimed or average performance hid who bore its
errors: MiDAS in Michigan (93% of automated fraud findings overturned), the 2020 A-level grades,
and COMPAS's unequal error rates.
""",
    preprocessing="""
None beyond formatting: confidence to two decimals, ISO dates.
""",
    uses="""
Intended: the exercise of the course's procurement and monitoring module: accuracy with
confidence intervals, disaggregated by subgroup, error direction, and what a contract should
require. Its manifest holds the exercise's answers.
""",
)


def generate() -> dict:
    return generate_trial(TRIAL)


def facts(frames) -> tuple[dict, dict]:
    return trial_facts(frames, TRIAL)
