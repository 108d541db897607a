"""service_records_coastal (the data-quality exercise's extract): recompute every manifest fact from the CSV
files with plain pandas, and check that it differs from the lesson's extract where the exercise needs it to."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from coursekit import datasets

from manifest_facts import same

DATA = Path(__file__).resolve().parent.parent / "coursekit" / "datasets" / "data"
NAME = "service_records_coastal"
ANNUAL = "old_system_a"  # the system whose income field holds yearly amounts in this extract
GROUPS = ["citizen", "dual_national", "non_citizen"]
BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
SYSTEMS = ["old_system_a", "old_system_b", "new_system"]


@pytest.fixture(scope="module")
def df():
    d = pd.read_csv(DATA / f"{NAME}.csv", dtype={"personal_number": str}, keep_default_na=False, na_values=[""])
    for col in ("date_of_birth", "application_date", "decision_date"):
        d[col] = pd.to_datetime(d[col], format="%Y-%m-%d")
    return d


@pytest.fixture(scope="module")
def census():
    return pd.read_csv(DATA / f"{NAME}_census.csv")


@pytest.fixture(scope="module")
def manifest():
    return datasets.manifest(NAME)


def canonical_region(code: str, canonical: list[str]) -> str:
    """Map any spelling to a canonical region: case and spaces ignored; R01..R06 in canonical order."""
    key = code.strip().lower()
    for r in canonical:
        if r.lower() == key:
            return r
    assert code[0] == "K", code  # old system A's codes in this extract
    return canonical[int(code[1:]) - 1]


def recompute(d: pd.DataFrame, census: pd.DataFrame, m: dict) -> dict:
    extract = pd.Timestamp(m["extract_date"])
    counts = d["personal_number"].value_counts()
    dup_ids = counts.index[counts > 1]
    dups = d[d["personal_number"].isin(dup_ids)]
    variants = dups.groupby("personal_number").agg(f=("first_name", "nunique"), l=("last_name", "nunique"))
    exact = d.groupby(["first_name", "last_name", "date_of_birth"]).size()
    canonical = m["canonical_regions"]
    odd = sorted(set(d["region"]) - set(canonical))
    med = d.groupby("source_system")["income_fortnightly_eur"].median()
    other_med = d.loc[d["source_system"] != ANNUAL, "income_fortnightly_eur"].median()
    leak = d["debt_recovery_ref"].notna()
    out = d["overpayment_found"]
    rec_share = d["age_band"].value_counts(normalize=True)
    cen_share = census.groupby("age_band")["population"].sum() / census["population"].sum()
    dob = d["date_of_birth"]
    return {
        "rows": len(d),
        "extract_date": m["extract_date"],
        "people": d["personal_number"].nunique(),
        "duplicated_people": len(dup_ids),
        "duplicate_records": len(d) - d["personal_number"].nunique(),
        "duplicated_people_with_name_variants": int(((variants["f"] > 1) | (variants["l"] > 1)).sum()),
        "duplicated_people_found_by_exact_name_and_birth_date": int((exact > 1).sum()),
        "duplicate_rule": "records with the same personal_number are the same person",
        "missing_rate_by_nationality": {
            col: {g: d.loc[d["nationality_status"] == g, col].isna().mean() for g in GROUPS}
            for col in ("employment_status", "income_fortnightly_eur")},
        "group_with_concentrated_missingness": "non_citizen",
        "placeholder_birth_dates": int((dob == pd.Timestamp(m["placeholder_birth_date"])).sum()),
        "placeholder_birth_date": m["placeholder_birth_date"],
        "birth_dates_in_future": int((dob > extract).sum()),
        "impossible_birth_dates": int(((dob < pd.Timestamp("1905-01-01")) | (dob > extract)).sum()),
        "decisions_before_application": int((d["decision_date"] < d["application_date"]).sum()),
        "canonical_regions": canonical,
        "region_code_variants": {code: canonical_region(code, canonical) for code in odd},
        "records_with_non_canonical_region": int((~d["region"].isin(canonical)).sum()),
        "distinct_region_spellings": d["region"].nunique(),
        "income_in_annual_amounts_system": ANNUAL,
        "records_with_annual_income": int(((d["source_system"] == ANNUAL) & d["income_fortnightly_eur"].notna()).sum()),
        "median_income_by_source_system": {s: med[s] for s in SYSTEMS},
        "annual_to_fortnightly_median_ratio": med[ANNUAL] / other_med,
        "retention_breach_column": "second_nationality",
        "retention_deadline": m["retention_deadline"],
        "retention_breach_values": int(d["second_nationality"].notna().sum()),
        "retention_breach_people": d.loc[d["second_nationality"].notna(), "personal_number"].nunique(),
        "outcome_column": "overpayment_found",
        "leaking_column": "debt_recovery_ref",
        "overpayment_rate": out.mean(),
        "outcome_rate_when_leak_present": out[leak].mean(),
        "outcome_rate_when_leak_absent": out[~leak].mean(),
        "under_represented_group": "18-24",
        "records_share_by_age_band": {b: rec_share[b] for b in BANDS},
        "census_share_by_age_band": {b: cen_share[b] for b in BANDS},
        "representation_ratio_by_age_band": {b: rec_share[b] / cen_share[b] for b in BANDS},
        "census_adults": int(census["population"].sum()),
    }


def test_every_manifest_fact_recomputes_from_the_csv(df, census, manifest):
    f = manifest["facts"]
    same(f, recompute(df, census, f))
    assert set(manifest["how_computed"]) == set(f)


def test_duplicates_mostly_escape_exact_matching(manifest):
    f = manifest["facts"]
    assert f["duplicated_people"] >= 100
    assert f["duplicated_people_with_name_variants"] > f["duplicated_people"] / 2
    assert f["duplicated_people_found_by_exact_name_and_birth_date"] < f["duplicated_people"] / 2


def test_duplicate_records_share_birth_date_or_one_is_faulty(df):
    counts = df["personal_number"].value_counts()
    dups = df[df["personal_number"].isin(counts.index[counts > 1])]
    # duplicates come from the two old systems, never from the new one
    assert set(dups["source_system"]) == {"old_system_a", "old_system_b"}
    assert (dups.groupby("personal_number")["source_system"].nunique() == 2).all()


def test_missingness_is_concentrated_in_one_group(manifest):
    rates = manifest["facts"]["missing_rate_by_nationality"]["employment_status"]
    assert rates["non_citizen"] > 5 * max(rates["citizen"], rates["dual_national"])


def test_income_units_differ_by_system(manifest):
    f = manifest["facts"]
    assert 20 <= f["annual_to_fortnightly_median_ratio"] <= 32  # about 26 fortnights a year


def test_leak_and_retention_breach(df, manifest):
    f = manifest["facts"]
    assert f["outcome_rate_when_leak_present"] == 1.0 and f["outcome_rate_when_leak_absent"] == 0.0
    assert f["retention_breach_values"] > 0
    assert set(df.loc[df["second_nationality"].notna(), "nationality_status"]) == {"dual_national"}


def test_under_represented_group(manifest):
    f = manifest["facts"]
    ratios = f["representation_ratio_by_age_band"]
    assert min(ratios, key=ratios.get) == f["under_represented_group"]
    assert ratios[f["under_represented_group"]] < 0.5


def test_date_faults_exist(manifest):
    f = manifest["facts"]
    assert f["impossible_birth_dates"] == f["placeholder_birth_dates"] + f["birth_dates_in_future"] > 0
    assert f["decisions_before_application"] > 0


def test_every_region_code_maps_to_a_canonical_region(df, manifest):
    f = manifest["facts"]
    mapped = df["region"].map(lambda c: c if c in f["canonical_regions"] else f["region_code_variants"][c])
    assert mapped.isin(f["canonical_regions"]).all()
    # postcode districts agree with the cleaned regions
    area = {"Capital": "QC", "North": "QN", "East": "QE", "South": "QS", "West": "QW", "Central": "QM"}
    assert (mapped.map(area) == df["postcode_district"].str[:2]).all()


def test_placeholder_birth_dates_come_from_the_annual_system(df, manifest):
    f = manifest["facts"]
    placeholder = df[df["date_of_birth"] == pd.Timestamp(f["placeholder_birth_date"])]
    assert len(placeholder) == f["placeholder_birth_dates"] and set(placeholder["source_system"]) == {ANNUAL}


def test_the_exercise_extract_differs_from_the_lesson_extract(manifest):
    """The exercise's answers cannot be read off the lesson: other sizes, another system, another group."""
    lesson = json.loads((DATA / "service_records.manifest.json").read_text(encoding="utf-8"))["facts"]
    f = manifest["facts"]
    assert f["income_in_annual_amounts_system"] != lesson["income_in_annual_amounts_system"]
    assert f["under_represented_group"] != lesson["under_represented_group"]
    for key in ("rows", "duplicate_records", "duplicated_people_found_by_exact_name_and_birth_date",
                "impossible_birth_dates", "decisions_before_application", "records_with_non_canonical_region",
                "retention_breach_people", "records_with_annual_income"):
        assert f[key] != lesson[key], key
