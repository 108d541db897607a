"""vendor_trial_b (the exercise's trial): recompute every manifest fact from the CSV with plain pandas."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from manifest_facts import same
from test_datasets_vendor_trial import wilson

DATA = Path(__file__).resolve().parent.parent / "coursekit" / "datasets" / "data"
NAME = "vendor_trial_b"
AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]


@pytest.fixture(scope="module")
def df():
    d = pd.read_csv(DATA / f"{NAME}.csv")
    d["correct"] = d["vendor_prediction"] == d["verified_outcome"]
    d["group"] = d["age_band"].map(lambda a: "65_and_over" if a == "65+" else "under_65")
    return d


def _manifest(name):
    from coursekit import datasets

    return datasets.manifest(name)


@pytest.fixture(scope="module")
def manifest():
    return _manifest(NAME)


def recompute(d: pd.DataFrame, m: dict) -> dict:
    def acc(mask):
        c = d.loc[mask, "correct"]
        return {"n": len(c), "accuracy": c.mean(), "ci95": wilson(int(c.sum()), len(c))}

    eligible = d["verified_outcome"] == "eligible"
    overall = acc(pd.Series(True, index=d.index))
    claim = m["vendor_claimed_accuracy"]
    groups = ["under_65", "65_and_over"]
    return {
        "rows": len(d),
        "vendor_claimed_accuracy": claim,
        "vendor_claim_basis": m["vendor_claim_basis"],
        "local_accuracy": overall["accuracy"],
        "local_accuracy_ci95": overall["ci95"],
        "claim_inside_local_ci95": overall["ci95"][0] <= claim <= overall["ci95"][1],
        "gap_to_claim_points": round((claim - overall["accuracy"]) * 100, 2),
        "worst_subgroup": {"column": "age_band", "rule": "age_band is '65+'"},
        "accuracy_by_age_group": {g: acc(d["group"] == g) for g in groups},
        "accuracy_by_age_band": {a: acc(d["age_band"] == a) for a in AGE_BANDS},
        "accuracy_by_channel": {c: acc(d["application_channel"] == c) for c in ("online", "paper")},
        "false_not_eligible_rate_by_age_group": {
            g: (d.loc[eligible & (d["group"] == g), "vendor_prediction"] == "not_eligible").mean() for g in groups},
        "false_eligible_rate_by_age_group": {
            g: (d.loc[~eligible & (d["group"] == g), "vendor_prediction"] == "eligible").mean() for g in groups},
        "mean_confidence_when_right": d.loc[d["correct"], "vendor_confidence"].mean(),
        "mean_confidence_when_wrong": d.loc[~d["correct"], "vendor_confidence"].mean(),
        "eligible_share": eligible.mean(),
    }


def test_every_manifest_fact_recomputes_from_the_csv(df, manifest):
    f = manifest["facts"]
    same(f, recompute(df, f))
    assert set(manifest["how_computed"]) == set(f)


def test_claim_fails_locally_and_the_oldest_band_is_much_worse(df, manifest):
    f = manifest["facts"]
    assert f["local_accuracy_ci95"][1] < f["vendor_claimed_accuracy"]
    by = f["accuracy_by_age_group"]
    assert by["65_and_over"]["ci95"][1] < by["under_65"]["ci95"][0]  # not a sampling accident
    bands = f["accuracy_by_age_band"]
    assert min(bands, key=lambda b: bands[b]["accuracy"]) == "65+"
    # The planted gap is on age, not on language: it holds among applicants of the national language alone.
    national = df[df["main_language"] == "national"].groupby("group")["correct"].mean()
    assert national["65_and_over"] < national["under_65"] - 0.1
    refused = f["false_not_eligible_rate_by_age_group"]
    assert refused["65_and_over"] > 2 * refused["under_65"]


def test_it_is_another_product_and_office_than_the_lesson_trial(df, manifest):
    lesson = _manifest("vendor_trial")["facts"]
    assert manifest["facts"]["vendor_claimed_accuracy"] != lesson["vendor_claimed_accuracy"]
    assert manifest["facts"]["worst_subgroup"]["column"] != lesson["worst_subgroup"]["column"]
    assert df["case_id"].str.match(r"^VB-\d{5}$").all()
    assert df["application_date"].str.startswith("2024-").all()


def test_claim_is_recorded_in_the_datasheet(manifest):
    from coursekit import datasets

    text = (Path(__file__).resolve().parents[1] / datasets.ANSWER_KEYS / f"{NAME}.datasheet.md").read_text(encoding="utf-8")
    assert f"{manifest['facts']['vendor_claimed_accuracy']:.0%}" in text
