"""``service_records_coastal``: another extract of the same case-management system, from another
office and period, with its own planted faults and values: the exercise's data for the
data-quality module, so that the lesson's numbers (``service_records``) are no help.

The story: the Coastal Benefits Agency (invented; named after the town of its head office, it
pays the same benefit to claimants in all six regions) moved from its two old systems into the
new one in October 2024. The extract is of 31 March 2025. The same seeded generator as
``service_records`` makes it (``service_records.generate_extract``), with other values:

- here old system **A** kept yearly income in the fortnightly field, and wrote regions as codes
  (``K01`` to ``K06``); old system B wrote them in capitals; the placeholder birth dates are in A;
- the under-represented age band against the census is **18-24**, not 65+;
- other sizes: people, duplicates, date faults, missing rates, stray spellings.

Its manifest is the exercise's answer key, for tests and trainers.
"""

from __future__ import annotations

from coursekit.datasets import service_records as base
from coursekit.datasets._common import Datasheet

NAME = "service_records_coastal"
TITLE = "Case-management extract after a system migration: the Coastal Benefits Agency"
EXERCISE = True  # an exercise's extract: its manifest and datasheet are answer keys, kept with the course
SEED = 20250331
CASE_KEYS = base.CASE_KEYS

EXTRACT = base.Extract(
    name=NAME, seed=SEED, n_people=4_200, n_duplicated=170, exact_name_share=0.22,
    extract_date="2025-03-31", extract_label="March 2025", migration_date="2024-10-01",
    migration_label="October 2024", first_application="2020-03-02", retention_deadline="2022-06-30",
    placeholder_dob="1900-01-01", n_placeholder_dob=23, n_future_dob=9, n_decision_before_application=41,
    annual_system="old_system_a",
    region_style=(("old_system_a", "code"), ("old_system_b", "upper"), ("new_system", "canonical")),
    code_prefix="K", stray_rate=0.07, under_represented="18-24", missing_group="non_citizen",
    missing_rate=(0.23, 0.04), nationality_share=(0.70, 0.12, 0.18), system_share=(0.38, 0.30, 0.32),
    record_age_share=(0.035, 0.20, 0.22, 0.20, 0.17, 0.175),
    census_age_share=(0.10, 0.16, 0.16, 0.17, 0.17, 0.24), census_total=4_200_000,
)

TABLES = base.tables(EXTRACT)

DATASHEET = Datasheet(
    motivation="""
A second extract of the case-management system used in the course's data-quality module, from
another office and period, with its own planted faults, so that the exercise has to be worked
on data the lesson did not show. It supports the same checks: uniqueness, completeness,
validity, consistency, accuracy and timeliness (the six dimensions of the UK Government Data
Quality Framework), representativeness against a census, and lawful retention.
""",
    composition="""
`service_records_coastal.csv`: {f[rows]:,} records of benefit applications from the
case-management system of an invented agency, the Coastal Benefits Agency (named after the town of
its head office; it serves claimants in all six regions), extracted on {f[extract_date]}, after
the records of two old systems (`old_system_a`, `old_system_b`) were migrated into a new one in
October 2024. The columns are those of `service_records`: identification number, name, birth
date, sex, age band, nationality status, region and postcode district, household size,
employment and income, the application and decision, and whether an overpayment was later found.

`service_records_coastal_census.csv`: the adult population by region, age band and sex (72 rows).

All names are invented, and the identification numbers are random. Real extracts like this are
personal data; nationality and a second nationality can reveal ethnic origin.
""",
    known_issues="""
The same kinds of migration fault as in `service_records`, with other sizes and in other places:
people recorded twice under spelling variants of their names, gaps in employment and income
concentrated in one group, impossible birth dates and decisions dated before their applications,
regions written several ways, an income column whose unit is not what its name says for one
source system, a column kept past its retention deadline, a column that gives the outcome away,
and an age group under-represented against the census. Which system, which group and how many
are for the learner to find.
""",
    collection="""
Nothing was collected: the seeded generator of `service_records` made every record, with this
extract's own seed, sizes and fault placements (`coursekit.datasets.service_records.Extract`).
People are drawn first, then their applications, then the generator does what a careless migration
does: it copies some people from both old systems (retyping their names), writes a placeholder
where a birth date was missing, keeps the old systems' region codes, keeps one old system's yearly
income in the fortnightly field, carries over a field that should have been deleted, and lets
some dates slip.

The faults follow real cases: income handled at the wrong time scale in Australia's Robodebt;
data-migration problems behind Michigan's MiDAS fraud findings; the Dutch tax authority keeping
dual-nationality data it should have deleted; and a model applied to a population its data did not
represent (the 2020 A-level grades).
""",
    preprocessing="""
None: the faults are the point. Incomes are written with two decimals and dates in ISO 8601;
empty fields are missing values. The census counts are rounded to tens. Do not clean the
committed file: exercises clean a copy.
""",
    uses="""
Intended: the exercise of the course's data-quality module, and practice in data-quality checks,
record linkage and de-duplication, comparison with a census, and spotting leakage and retention
breaches. Its manifest holds the exercise's answers: keep it from learners until they are done.
""",
)


def generate() -> dict:
    return base.generate_extract(EXTRACT)


def facts(frames) -> tuple[dict, dict]:
    return base.extract_facts(frames, EXTRACT)
