"""vendor_trial: recompute every manifest fact from the CSV with plain pandas."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from manifest_facts import same

DATA = Path(__file__).resolve().parent.parent / "coursekit" / "datasets" / "data"
NAME = "vendor_trial"
LANGUAGES = ["national", "arabic", "english", "polish", "somali", "tigrinya", "turkish", "other"]


def wilson(k: int, n: int, z: float = 1.959964) -> list[float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [centre - half, centre + half]


@pytest.fixture(scope="module")
def df():
    d = pd.read_csv(DATA / f"{NAME}.csv")
    d["correct"] = d["vendor_prediction"] == d["verified_outcome"]
    d["group"] = d["main_language"].where(d["main_language"] == "national", "not_national")
    return d


@pytest.fixture(scope="module")
def manifest():
    return json.loads((DATA / f"{NAME}.manifest.json").read_text(encoding="utf-8"))


def recompute(d: pd.DataFrame, m: dict) -> dict:
    def acc(mask):
        c = d.loc[mask, "correct"]
        return {"n": len(c), "accuracy": c.mean(), "ci95": wilson(int(c.sum()), len(c))}

    eligible = d["verified_outcome"] == "eligible"
    overall = acc(pd.Series(True, index=d.index))
    claim = m["vendor_claimed_accuracy"]
    groups = ["national", "not_national"]
    return {
        "rows": len(d),
        "vendor_claimed_accuracy": claim,
        "vendor_claim_basis": m["vendor_claim_basis"],
        "local_accuracy": overall["accuracy"],
        "local_accuracy_ci95": overall["ci95"],
        "claim_inside_local_ci95": overall["ci95"][0] <= claim <= overall["ci95"][1],
        "gap_to_claim_points": round((claim - overall["accuracy"]) * 100, 2),
        "worst_subgroup": {"column": "main_language", "rule": "main_language is not 'national'"},
        "accuracy_by_language_group": {g: acc(d["group"] == g) for g in groups},
        "accuracy_by_main_language": {lang: acc(d["main_language"] == lang) for lang in LANGUAGES},
        "accuracy_by_channel": {c: acc(d["application_channel"] == c) for c in ("online", "paper")},
        "false_not_eligible_rate_by_language_group": {
            g: (d.loc[eligible & (d["group"] == g), "vendor_prediction"] == "not_eligible").mean() for g in groups},
        "false_eligible_rate_by_language_group": {
            g: (d.loc[~eligible & (d["group"] == g), "vendor_prediction"] == "eligible").mean() for g in groups},
        "mean_confidence_when_right": d.loc[d["correct"], "vendor_confidence"].mean(),
        "mean_confidence_when_wrong": d.loc[~d["correct"], "vendor_confidence"].mean(),
        "eligible_share": eligible.mean(),
    }


def test_every_manifest_fact_recomputes_from_the_csv(df, manifest):
    f = manifest["facts"]
    same(f, recompute(df, f))
    assert set(manifest["how_computed"]) == set(f)


def test_claim_fails_locally_and_one_subgroup_is_much_worse(manifest):
    f = manifest["facts"]
    assert f["local_accuracy_ci95"][1] < f["vendor_claimed_accuracy"]
    by = f["accuracy_by_language_group"]
    assert by["not_national"]["accuracy"] < by["national"]["accuracy"] - 0.15
    assert by["not_national"]["ci95"][1] < by["national"]["ci95"][0]  # not a sampling accident
    wrongly_refused = f["false_not_eligible_rate_by_language_group"]
    assert wrongly_refused["not_national"] > 2 * wrongly_refused["national"]


def test_claim_is_recorded_in_the_datasheet(manifest):
    text = (DATA / f"{NAME}.datasheet.md").read_text(encoding="utf-8")
    assert f"{manifest['facts']['vendor_claimed_accuracy']:.0%}" in text
