"""``caseworker_decisions_b``: the review log of a second benefits office that ran the same
screen-design pilot later; the data of Module 4's exercise.

The same generator as ``caseworker_decisions`` (the lesson's log) with another office, period,
seed and tool, so that working through the lesson teaches the method and the exercise still has
to be worked out:
- September 2024 to February 2025, 30 caseworkers (codes CW41 to CW70), 4,000 decisions;
- a better tool: its advice is wrong in exactly 12% of cases in every nationality group, fewer
  than the caseworkers' own first views get wrong, yet it errs in ways the reviewers must catch;
- two rubber-stampers, and one fast caseworker who does not rubber-stamp;
- the same selective adherence and the same effect of recording a view first.
"""

from __future__ import annotations

from dataclasses import replace

from coursekit.datasets import caseworker_decisions as base
from coursekit.datasets._common import Datasheet

NAME = "caseworker_decisions_b"
TITLE = "Caseworker decisions with an AI recommendation: a second office's review-design pilot"
EXERCISE = True  # an exercise's extract: its manifest and datasheet are answer keys, kept with the course
SEED = 20240902
CASE_KEYS = base.CASE_KEYS

PARAMS = base.Params(
    seed=SEED,
    n_rows=4_000,
    n_caseworkers=30,
    first_caseworker=41,
    stamp_medians=(14.0, 19.0),
    fast_median=23.0,
    ai_error_share=0.12,
    nationality_share=(0.55, 0.20, 0.25),
    first_day="2024-09-02",
    end_day="2025-03-01",
    case_offset=100000,
)

MAIN = replace(base.MAIN, dataset=NAME, description=(
    "One row per case decided during the second office's pilot (each case was reviewed once), with "
    "what the AI advised, what the caseworker did, how long it took, the audit's correct decision "
    "and any appeal."))
TABLES = {None: MAIN}

DATASHEET = Datasheet(
    motivation="""
The log an oversight team would receive from a second benefits office that ran the same
screen-design pilot as the office in `caseworker_decisions`. It is the data of the
human-oversight module's exercise: the lesson works on the first office's log, the exercise on
this one, so that the lesson's printed results are not the exercise's answers.
""",
    composition="""
{f[rows]:,} benefit-claim decisions made by {f[caseworkers]} caseworkers of a second invented
benefits office between September 2024 and February 2025, one row per case, with the same
columns as `caseworker_decisions`. Each case was allocated at random to one of two screen
designs ({f[reviews_by_condition][independent_first]:,} `independent_first`,
{f[reviews_by_condition][ai_first]:,} `ai_first`).

Caseworkers are pseudonymous codes (CW41 to CW70, so that no code is shared with the first
office). Nationality status is included to test for selective adherence; in a real log it is
sensitive personal data.
""",
    known_issues="""
- The AI's advice is wrong in a fixed share of cases, the same in every nationality group, and
  less often than the caseworkers' own first views are wrong.
- A few caseworkers agree with the tool almost every time and decide in seconds; another is
  fast without rubber-stamping.
- Wrong advice is followed more often when it fits a stereotype about claimants who are not
  citizens than when it goes against it.
- Under `independent_first` fewer wrong recommendations are followed than under `ai_first`.
""",
    collection="""
Nothing was collected: the generator of `caseworker_decisions` made every row, with this
office's seed and settings. The AI's advice is the correct decision except in exactly
{f[ai_error_share]:.0%} of cases in each nationality group. Each caseworker's own view is right
78% to 90% of the time (in the log: {f[view_before_ai_accuracy]:.0%} of the views recorded
first), so the tool is right more often than an unaided caseworker, yet when it is wrong the
caseworkers defer to it in the same ways as in the first office: more under `ai_first`, more
when the advice fits the stereotype, more when the displayed confidence is high.
""",
    preprocessing="""
None beyond formatting, as for `caseworker_decisions`.
""",
    uses="""
Intended: the human-oversight module's exercise (override rates per caseworker, the
rubber-stamp rule, wrong advice followed per design and per stereotype fit). The manifest holds
the exercise's answers: trainers may prefer learners not to open it.
""",
)


def generate() -> dict:
    return base.generate(PARAMS)


def facts(frames) -> tuple[dict, dict]:
    return base.facts(frames)
