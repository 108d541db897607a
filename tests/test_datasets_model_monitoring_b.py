"""model_monitoring_b (the exercise's log): recompute every manifest fact from the CSV with plain pandas.

The recomputation is the lesson log's (tests/test_datasets_model_monitoring.py): the two logs share a
generator, and each fact names its own region, group and month.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coursekit import datasets

from manifest_facts import same
from test_datasets_model_monitoring import recompute

DATA = Path(__file__).resolve().parent.parent / "coursekit" / "datasets" / "data"
NAME = "model_monitoring_b"
LESSON = "model_monitoring"


@pytest.fixture(scope="module")
def df():
    return pd.read_csv(DATA / f"{NAME}.csv")


def _manifest(name):
    return datasets.manifest(name)


@pytest.fixture(scope="module")
def manifest():
    return _manifest(NAME)


def test_every_manifest_fact_recomputes_from_the_csv(df, manifest):
    f = manifest["facts"]
    same(f, recompute(df, f))
    assert set(manifest["how_computed"]) == set(f)


def test_flag_rule_and_period(df, manifest):
    f = manifest["facts"]
    assert (df["flagged"] == (df["risk_score"] >= f["flag_threshold"])).all()
    assert (f["first_month"], f["last_month"], f["months"]) == ("2023-07", "2025-06", 24)
    assert df["case_id"].str.match(r"^MB-\d{6}$").all()


def test_its_drift_differs_from_the_lesson_log(manifest):
    f, lesson = manifest["facts"], _manifest(LESSON)["facts"]
    assert f["drift_start_month"] != lesson["drift_start_month"]
    assert f["affected_region"] != lesson["affected_region"]
    assert f["affected_group"]["value"] != lesson["affected_group"]["value"]


def test_drift_starts_in_the_documented_month(manifest):
    f = manifest["facts"]
    monthly = f["monthly_mean_declared_income_affected_region"]
    months = sorted(monthly)
    start = months.index(f["drift_start_month"])
    before = np.mean([monthly[m] for m in months[:start]])
    after = np.mean([monthly[m] for m in months[start:]])
    assert after > before + 50
    assert monthly[f["drift_start_month"]] > max(monthly[m] for m in months[:start])
    assert f["psi_declared_income_affected_region"] > 0.1 > 10 * f["psi_declared_income_other_regions"]


def test_recall_collapses_for_one_group_only_and_the_aggregate_hides_it(manifest):
    f = manifest["facts"]
    hit = f["affected_group_in_affected_region"]
    assert hit["after"]["recall"] < hit["before"]["recall"] / 3
    assert hit["after"]["accuracy"] < hit["before"]["accuracy"] - 0.08
    for key in ("affected_group_elsewhere", "other_households_elsewhere"):
        part = f[key]
        assert part["after"]["accuracy"] > part["before"]["accuracy"] - 0.03, key
        assert part["after"]["recall"] > part["before"]["recall"] - 0.05, key
    overall = f["overall"]
    assert abs(overall["after"]["accuracy"] - overall["before"]["accuracy"]) < 0.02
