"""``school_allocations``: a trial run of a school-place allocator on last year's applications
(the data of Module 5's exercise).

The story: the Education Department of Northbridge, an invented city, is offered PlaceMatch, a
system that allocates secondary-school places from the parents' ranked preferences. Before it goes
live, the department re-ran last year's applications through it and set its allocations beside the
ones the admissions team made by hand under the same published rules. The data is what an impact
assessment draws on: who gets none of the schools they asked for, and where the system departs
from the rules applied by hand.

What is planted:
- families whose home language is not the city's list fewer preferences, so more of them get none
  of the schools they asked for; among families that listed all three the gap is much smaller;
- PlaceMatch drops the priority of a share of pupils with medical or special educational needs
  (it reads the priority from one field of the new online form only), so they get a worse result
  than by hand far more often than other pupils, whose results differ from the hand allocation
  only through PlaceMatch's different tie-break;
- fewer families get their first choice than the supplier's draft notice says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coursekit.datasets._common import Column, Datasheet, Table, r4

NAME = "school_allocations"
TITLE = "Trial run of a school-place allocator on last year's applications (Northbridge)"
EXERCISE = True  # an exercise's extract: its manifest and datasheet are answer keys, kept with the course
SEED = 20260316
CASE_KEYS = ("ofqual", "midas")

LANGUAGES = ("city_language", "other")
#: Which preference a pupil was given: 1 to 3, or 0 for none of the schools the family listed.
RESULTS = (0, 1, 2, 3)


@dataclass(frozen=True)
class Params:
    seed: int = SEED
    rows: int = 6_214
    other_language_share: float = 0.19
    sen_share: float = 0.045
    late_share: dict = None  # by home language
    prefs_share: dict = None  # by home language: P(1, 2, 3 preferences listed)
    success: tuple = (0.78, 0.50, 0.42)  # chance the k-th preference can be met, for a pupil without priority
    sen_success: tuple = (0.97, 0.90, 0.90)
    late_factor: float = 0.45  # a late application competes for the places left
    dropped_priority_share: float = 0.45  # SEN pupils whose priority PlaceMatch does not see
    tie_break_share: float = 0.035  # other pupils whose result a different tie-break changes

    def __post_init__(self):
        if self.late_share is None:
            object.__setattr__(self, "late_share", {"city_language": 0.045, "other": 0.055})
        if self.prefs_share is None:
            object.__setattr__(self, "prefs_share", {"city_language": (0.10, 0.18, 0.72),
                                                     "other": (0.50, 0.22, 0.28)})


PARAMS = Params()

MAIN = Table(
    dataset=NAME,
    key=None,
    description=("One row per application for a secondary-school place in last year's round, with what the "
                 "admissions team allocated by hand and what PlaceMatch allocated when the same applications "
                 "were re-run through it."),
    columns=(
        Column("application_id", "str", "Pseudonymous id of the application", unique=True, pattern=r"NB\d{5}"),
        Column("home_language", "str", "Whether the family's home language is the city's", values=LANGUAGES),
        Column("sen_priority", "bool", "The pupil has priority for a medical or special educational need"),
        Column("late_application", "bool", "The application arrived after the deadline"),
        Column("preferences_listed", "int", "How many schools the family ranked on the form", min=1, max=3),
        Column("by_hand_result", "int", "The preference the admissions team allocated by hand (0: none of them)",
               min=0, max=3),
        Column("placematch_result", "int", "The preference PlaceMatch allocated in the trial run (0: none of them)",
               min=0, max=3),
    ),
)
TABLES = {None: MAIN}


def _allocate(rng: np.random.Generator, listed: np.ndarray, success: np.ndarray) -> np.ndarray:
    """Go down each family's list: the first preference that can be met is the result, else 0."""
    n = listed.size
    result = np.zeros(n, dtype=int)
    draws = rng.random((n, 3))
    for k in (1, 2, 3):
        met = (result == 0) & (listed >= k) & (draws[:, k - 1] < success[:, k - 1])
        result[met] = k
    return result


def generate_allocations(p: Params) -> dict:
    rng = np.random.default_rng(p.seed)
    n = p.rows
    language = np.where(rng.random(n) < p.other_language_share, "other", "city_language").astype(object)
    sen = rng.random(n) < p.sen_share
    late = rng.random(n) < np.where(language == "other", p.late_share["other"], p.late_share["city_language"])
    listed = np.empty(n, dtype=int)
    for lang in LANGUAGES:
        idx = np.flatnonzero(language == lang)
        listed[idx] = rng.choice([1, 2, 3], size=idx.size, p=p.prefs_share[lang])

    plain = np.tile(np.asarray(p.success), (n, 1))
    success = np.where(sen[:, None], np.asarray(p.sen_success)[None, :], plain)
    success = np.where(late[:, None], success * p.late_factor, success)
    by_hand = _allocate(rng, listed, success)

    # PlaceMatch: the same rules, but some priorities unseen and a different tie-break.
    dropped = sen & (rng.random(n) < p.dropped_priority_share)
    unseen = np.where(late[:, None], plain * p.late_factor, plain)
    rerun = _allocate(rng, listed, unseen)
    placematch = np.where(dropped, rerun, by_hand)
    tie = ~sen & (rng.random(n) < p.tie_break_share)
    retie = _allocate(rng, listed, success)
    placematch = np.where(tie, retie, placematch)

    return {None: {
        "application_id": np.array([f"NB{i:05d}" for i in range(1, n + 1)], dtype=object),
        "home_language": language,
        "sen_priority": sen,
        "late_application": late,
        "preferences_listed": listed,
        "by_hand_result": by_hand,
        "placematch_result": placematch,
    }}


def generate() -> dict:
    return generate_allocations(PARAMS)


def _badness(result: pd.Series) -> pd.Series:
    """Order results from best to worst: first choice 1, ..., none of them (0) worst of all."""
    return result.replace(0, 4)


def facts(frames) -> tuple[dict, dict]:
    d = frames[None]
    none_pm = d["placematch_result"] == 0
    none_hand = d["by_hand_result"] == 0
    worse = _badness(d["placematch_result"]) > _badness(d["by_hand_result"])
    better = _badness(d["placematch_result"]) < _badness(d["by_hand_result"])
    three = d["preferences_listed"] == 3
    sen = d["sen_priority"]

    def by_lang(mask):
        return {lang: r4(mask[d["home_language"] == lang].mean()) for lang in LANGUAGES}

    f = {
        "rows": int(len(d)),
        "applications_by_language": {lang: int((d["home_language"] == lang).sum()) for lang in LANGUAGES},
        "sen_pupils": int(sen.sum()),
        "late_applications": int(d["late_application"].sum()),
        "mean_preferences_listed_by_language": {
            lang: r4(d.loc[d["home_language"] == lang, "preferences_listed"].mean()) for lang in LANGUAGES},
        "none_rate_placematch_by_language": by_lang(none_pm),
        "none_rate_by_hand_by_language": by_lang(none_hand),
        "none_rate_placematch_three_listed_by_language": {
            lang: r4(none_pm[three & (d["home_language"] == lang)].mean()) for lang in LANGUAGES},
        "worse_than_by_hand_rate": {"sen_priority": r4(worse[sen].mean()), "no_priority": r4(worse[~sen].mean())},
        "better_than_by_hand_rate": {"sen_priority": r4(better[sen].mean()), "no_priority": r4(better[~sen].mean())},
        "sen_pupils_worse_than_by_hand": int(worse[sen].sum()),
        "first_choice_share_placematch": r4((d["placematch_result"] == 1).mean()),
        "first_choice_share_placematch_by_language": by_lang(d["placematch_result"] == 1),
        "first_choice_share_by_hand": r4((d["by_hand_result"] == 1).mean()),
        "draft_notice_claim": "nine in ten families get their first-choice school",
    }
    how = {
        "rows": "number of rows",
        "applications_by_language": "rows per home_language",
        "sen_pupils": "rows with sen_priority True",
        "late_applications": "rows with late_application True",
        "mean_preferences_listed_by_language": "mean of preferences_listed per home_language",
        "none_rate_placematch_by_language": "share of rows with placematch_result 0, per home_language",
        "none_rate_by_hand_by_language": "share of rows with by_hand_result 0, per home_language",
        "none_rate_placematch_three_listed_by_language": (
            "share of rows with placematch_result 0 among rows with preferences_listed 3, per home_language"),
        "worse_than_by_hand_rate": (
            "share of rows where PlaceMatch gave a later preference than by hand, or none when by hand gave one "
            "(0 counted as worse than 3), for sen_priority True and False"),
        "better_than_by_hand_rate": "the same, with PlaceMatch's result better than by hand",
        "sen_pupils_worse_than_by_hand": "count of sen_priority rows where PlaceMatch's result is worse than by hand",
        "first_choice_share_placematch": "share of rows with placematch_result 1",
        "first_choice_share_placematch_by_language": "share of rows with placematch_result 1, per home_language",
        "first_choice_share_by_hand": "share of rows with by_hand_result 1",
        "draft_notice_claim": "what the supplier's draft notice to parents says (not computed)",
    }
    return f, how


DATASHEET = Datasheet(
    motivation="""
The evidence an education department would gather for the impact assessment of a school-place
allocator before it goes live: last year's applications re-run through the system and set beside
the allocation its admissions team made by hand. Made for the exercise of the course's impact
assessment module, whose lesson works on another system (a benefits fraud screen) and another
data set (`benefit_claims`).
""",
    composition="""
{f[rows]:,} applications for a secondary-school place in one year's round of the invented city of
Northbridge ({f[applications_by_language][city_language]:,} from families whose home language is
the city's, {f[applications_by_language][other]:,} from others), one row each: the home language,
priority for a medical or special educational need ({f[sen_pupils]} pupils), whether the application
was late ({f[late_applications]}), how many schools the family ranked (one to three), and which of
them the pupil was given by hand and by PlaceMatch (0: none of them).
""",
    known_issues="""
- Families whose home language is not the city's rank fewer schools, and more of them get none
  of the schools they asked for.
- PlaceMatch does not see every pupil's priority for a medical or special educational need.
- Fewer families get their first choice than the supplier's draft notice says
  ("{f[draft_notice_claim]}").
""",
    collection="""
Nothing was collected: a seeded generator made every row. Each family's list is worked down in
order; a preference is met with a fixed chance that is higher for pupils with priority and lower
for late applications. PlaceMatch's run applies the same rules, except that for a share of the
pupils with priority it does not see the priority (it reads it from one field of the new online
form only), and for a small share of other pupils its tie-break gives a different result.

The shape follows real cases where an allocation or grading system departed from the rules people
expected, in ways that fell on some groups: the 2020 A-level grades in England, and MiDAS in
Michigan, whose automated findings were mostly overturned.
""",
    preprocessing="""
None: whole numbers and True/False only.
""",
    uses="""
Intended: the exercise of the course's impact assessment module: who gets none of their
preferences and why, where the system departs from the hand allocation and for whom, and whether
a draft notice to parents is true. Its manifest holds the exercise's answers.
""",
)
