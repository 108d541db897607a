"""caseworker_decisions_b (Module 4's exercise data): recompute every manifest fact from the CSV
with plain pandas, and check what was planted in this office's log."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from coursekit import datasets

from manifest_facts import same
from test_datasets_caseworker_decisions import recompute

DATA = Path(__file__).resolve().parent.parent / "coursekit" / "datasets" / "data"
NAME = "caseworker_decisions_b"
CONDITIONS = ["independent_first", "ai_first"]


@pytest.fixture(scope="module")
def df():
    d = pd.read_csv(DATA / f"{NAME}.csv")
    d["agree"] = d["decision"] == d["ai_recommendation"]
    d["ai_wrong"] = d["ai_recommendation"] != d["correct_decision"]
    citizen = d["nationality_status"] == "citizen"
    refuse = d["ai_recommendation"] == "refuse"
    d["congruent"] = (refuse & ~citizen) | (~refuse & citizen)
    return d


@pytest.fixture(scope="module")
def manifest():
    return datasets.manifest(NAME)


def test_every_manifest_fact_recomputes_from_the_csv(df, manifest):
    f = manifest["facts"]
    same(f, recompute(df, f["rubber_stamp_rule"], f["stereotype_rule"]))
    assert set(manifest["how_computed"]) == set(f)


def test_another_office_and_period(df):
    lesson = pd.read_csv(DATA / "caseworker_decisions.csv", usecols=["caseworker_id"])
    assert not set(df["caseworker_id"]) & set(lesson["caseworker_id"])  # no caseworker code in common
    dates = pd.to_datetime(df["review_date"])
    assert dates.min() >= pd.Timestamp("2024-09-01") and dates.max() < pd.Timestamp("2025-03-01")


def test_the_tool_beats_unaided_caseworkers_but_errs(df, manifest):
    f = manifest["facts"]
    for share in f["ai_error_share_by_nationality"].values():
        assert share == pytest.approx(0.12, abs=0.001)
    assert 1 - f["ai_error_share"] > f["view_before_ai_accuracy"]  # better than a caseworker's own first view
    assert f["ai_wrong_reviews"] > 400  # enough wrong advice to measure what reviewers do with it


def test_rubber_stampers_and_a_fast_careful_caseworker(manifest):
    f = manifest["facts"]
    assert len(f["rubber_stamper_ids"]) == 2
    assert f["other_caseworkers_agreement_range"][1] < 0.95
    assert len(f["fast_but_not_rubber_stamping_ids"]) == 1


def test_design_and_selective_adherence(manifest):
    f = manifest["facts"]
    by = f["agreement_with_wrong_advice_by_condition"]
    assert by["independent_first"] < by["ai_first"] - 0.1
    s = f["agreement_with_wrong_advice_by_stereotype"]
    assert s["congruent"] > s["incongruent"] + 0.05


def test_log_is_internally_consistent(df):
    ai_first = df["review_condition"] == "ai_first"
    assert df.loc[ai_first, "view_before_ai"].isna().all()
    assert df.loc[~ai_first, "view_before_ai"].notna().all()
    assert (df["appeal_result"].notna() == df["appealed"]).all()
    assert df["review_id"].is_unique and df["case_id"].is_unique
