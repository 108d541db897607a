"""benefit_claims: recompute every manifest fact from the CSV files with plain pandas.

Nothing here calls the generator: the files on disk are the evidence, the manifest the claim.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from manifest_facts import same

DATA = Path(__file__).resolve().parent.parent / "coursekit" / "datasets" / "data"
NAME = "benefit_claims"
GROUPS = ["citizen", "dual_national", "non_citizen"]


@pytest.fixture(scope="module")
def claims():
    return pd.read_csv(DATA / f"{NAME}.csv")


@pytest.fixture(scope="module")
def truth():
    return pd.read_csv(DATA / f"{NAME}_truth.csv")


@pytest.fixture(scope="module")
def manifest():
    return json.loads((DATA / f"{NAME}.manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def df(claims, truth):
    return claims.merge(truth, on="claim_id", validate="one_to_one")


def recompute(df: pd.DataFrame, proxy: list[str]) -> dict:
    def by_group(frame, col):
        return {g: frame.loc[frame["nationality_status"] == g, col].mean() for g in GROUPS}

    flag = by_group(df, "flagged")
    flag2 = by_group(df, "flagged_without_nationality")
    flagged = df[df["flagged"]]
    in_proxy = df["postcode_district"].isin(proxy)
    cit = df["nationality_status"] == "citizen"
    dual = df["nationality_status"] == "dual_national"
    inv = df[df["investigated"]]
    found = inv["fraud_found"].astype(str) == "True"
    reason = inv["investigation_reason"]
    return {
        "rows": len(df),
        "group_sizes": {g: int((df["nationality_status"] == g).sum()) for g in GROUPS},
        "reference_group": "citizen",
        "planted_group": "dual_national",
        "flag_threshold": float(flagged["risk_score"].min()),
        "flags": int(df["flagged"].sum()),
        "flag_share": df["flagged"].mean(),
        "flag_rate_by_nationality": flag,
        "true_fraud_rate_by_nationality": by_group(df, "true_fraud"),
        "flag_rate_ratio": flag["dual_national"] / flag["citizen"],
        "flag_rate_ratio_vs_citizen": {g: flag[g] / flag["citizen"] for g in GROUPS if g != "citizen"},
        "selection_ratio_citizen_vs_dual_national": flag["citizen"] / flag["dual_national"],
        "false_positive_rate_by_nationality": by_group(df[~df["true_fraud"]], "flagged"),
        "precision_by_nationality": by_group(flagged, "true_fraud"),
        "flag_rate_by_sex": {s: df.loc[df["sex"] == s, "flagged"].mean() for s in ("female", "male")},
        "proxy_postcode_districts": proxy,
        "dual_national_share_in_proxy_districts": dual[in_proxy].mean(),
        "dual_national_share_elsewhere": dual[~in_proxy].mean(),
        "share_of_dual_nationals_living_in_proxy_districts": in_proxy[dual].mean(),
        "citizen_flag_rate_in_proxy_districts": df.loc[cit & in_proxy, "flagged"].mean(),
        "citizen_flag_rate_elsewhere": df.loc[cit & ~in_proxy, "flagged"].mean(),
        "citizen_flag_rate_in_proxy_districts_without_nationality": df.loc[cit & in_proxy, "flagged_without_nationality"].mean(),
        "citizen_flag_rate_elsewhere_without_nationality": df.loc[cit & ~in_proxy, "flagged_without_nationality"].mean(),
        "flag_threshold_without_nationality": float(df.loc[df["flagged_without_nationality"], "risk_score_without_nationality"].min()),
        "flag_rate_by_nationality_without_nationality": flag2,
        "flag_rate_ratio_without_nationality": flag2["dual_national"] / flag2["citizen"],
        "share_of_flags_not_fraud": 1 - flagged["true_fraud"].mean(),
        "population_fraud_rate": df["true_fraud"].mean(),
        "frauds": int(df["true_fraud"].sum()),
        "frauds_flagged_share": df.loc[df["true_fraud"], "flagged"].mean(),
        "investigated": len(inv),
        "random_checks": int((df["investigation_reason"] == "random_check").sum()),
        "investigated_fraud_rate": found.mean(),
        "flagged_investigation_fraud_rate": found[reason == "risk_flag"].mean(),
        "random_check_fraud_rate": found[reason == "random_check"].mean(),
        "eligible_share": df["eligible"].mean(),
    }


def test_every_manifest_fact_recomputes_from_the_csv(df, manifest):
    facts = manifest["facts"]
    same(facts, recompute(df, facts["proxy_postcode_districts"]))
    assert set(manifest["how_computed"]) == set(facts)


def test_planted_disparity_at_equal_true_fraud_rates(manifest):
    f = manifest["facts"]
    assert 1.5 <= f["flag_rate_ratio"] <= 1.9
    rates = f["true_fraud_rate_by_nationality"].values()
    assert max(rates) - min(rates) <= 0.0005  # the same true fraud rate in every group
    assert f["selection_ratio_citizen_vs_dual_national"] < 0.8  # fails the four-fifths screen
    assert 0.8 <= f["flag_rate_ratio_vs_citizen"]["non_citizen"] <= 1.25  # only one group is planted


def test_flag_is_the_top_three_to_five_percent(df, manifest):
    f = manifest["facts"]
    assert 0.03 <= f["flag_share"] <= 0.05
    assert (df["flagged"] == (df["risk_score"] >= f["flag_threshold"])).all()
    t2 = f["flag_threshold_without_nationality"]
    assert (df["flagged_without_nationality"] == (df["risk_score_without_nationality"] >= t2)).all()


def test_postcode_proxy_keeps_the_disparity(df, manifest):
    f = manifest["facts"]
    dual_share = (df.assign(d=df["nationality_status"] == "dual_national")
                  .groupby("postcode_district")["d"].mean().sort_values(ascending=False))
    assert sorted(dual_share.index[:4]) == sorted(f["proxy_postcode_districts"])
    assert f["flag_rate_ratio_without_nationality"] >= 1.4
    assert f["citizen_flag_rate_in_proxy_districts_without_nationality"] > 1.5 * f["citizen_flag_rate_elsewhere_without_nationality"]


def test_most_flags_are_not_fraud_and_labels_are_selective(df, manifest):
    f = manifest["facts"]
    assert f["share_of_flags_not_fraud"] > 0.5
    assert f["flagged_investigation_fraud_rate"] > 4 * f["population_fraud_rate"]
    # the outcome is known only where someone investigated
    assert df.loc[~df["investigated"], "fraud_found"].isna().all()
    assert df.loc[df["investigated"], "fraud_found"].notna().all()
    assert (df["investigated"] == (df["flagged"] | (df["investigation_reason"] == "random_check"))).all()


def test_investigations_record_the_true_outcome(df):
    inv = df[df["investigated"]]
    assert (inv["fraud_found"].astype(str) == inv["true_fraud"].astype(str)).all()


def test_regions_match_postcode_districts(df):
    assert (df.groupby("postcode_district")["region"].nunique() == 1).all()
    assert (df["region"].map({"Capital": "QC", "North": "QN", "East": "QE", "South": "QS", "West": "QW", "Central": "QM"})
            == df["postcode_district"].str[:2]).all()
