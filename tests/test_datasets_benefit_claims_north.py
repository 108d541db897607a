"""benefit_claims_north (Module 3's exercise data): recompute every manifest fact from the CSV
files with plain pandas, and check that what was planted differs from the lesson's data.

Nothing here calls the generator: the files on disk are the evidence, the manifest the claim.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from coursekit import datasets

from manifest_facts import same

DATA = Path(__file__).resolve().parent.parent / "coursekit" / "datasets" / "data"
NAME = "benefit_claims_north"
GROUPS = ["citizen", "dual_national", "non_citizen"]
PLANTED = "non_citizen"


@pytest.fixture(scope="module")
def df():
    claims = pd.read_csv(DATA / f"{NAME}.csv")
    truth = pd.read_csv(DATA / f"{NAME}_truth.csv")
    return claims.merge(truth, on="claim_id", validate="one_to_one")


@pytest.fixture(scope="module")
def manifest():
    return datasets.manifest(NAME)


def recompute(df: pd.DataFrame, proxy: list[str]) -> dict:
    def by_group(frame, col):
        return {g: frame.loc[frame["nationality_status"] == g, col].mean() for g in GROUPS}

    flag = by_group(df, "flagged")
    flag2 = by_group(df, "flagged_without_nationality")
    flagged = df[df["flagged"]]
    in_proxy = df["postcode_district"].isin(proxy)
    cit = df["nationality_status"] == "citizen"
    planted = df["nationality_status"] == PLANTED
    inv = df[df["investigated"]]
    found = inv["fraud_found"].astype(str) == "True"
    reason = inv["investigation_reason"]
    return {
        "rows": len(df),
        "group_sizes": {g: int((df["nationality_status"] == g).sum()) for g in GROUPS},
        "reference_group": "citizen",
        "planted_group": PLANTED,
        "flag_threshold": float(flagged["risk_score"].min()),
        "flags": int(df["flagged"].sum()),
        "flag_share": df["flagged"].mean(),
        "flag_rate_by_nationality": flag,
        "true_fraud_rate_by_nationality": by_group(df, "true_fraud"),
        "flag_rate_ratio": flag[PLANTED] / flag["citizen"],
        "flag_rate_ratio_vs_citizen": {g: flag[g] / flag["citizen"] for g in GROUPS if g != "citizen"},
        f"selection_ratio_citizen_vs_{PLANTED}": flag["citizen"] / flag[PLANTED],
        "false_positive_rate_by_nationality": by_group(df[~df["true_fraud"]], "flagged"),
        "precision_by_nationality": by_group(flagged, "true_fraud"),
        "flag_rate_by_sex": {s: df.loc[df["sex"] == s, "flagged"].mean() for s in ("female", "male")},
        "proxy_postcode_districts": proxy,
        f"{PLANTED}_share_in_proxy_districts": planted[in_proxy].mean(),
        f"{PLANTED}_share_elsewhere": planted[~in_proxy].mean(),
        f"share_of_{PLANTED}s_living_in_proxy_districts": in_proxy[planted].mean(),
        "citizen_flag_rate_in_proxy_districts": df.loc[cit & in_proxy, "flagged"].mean(),
        "citizen_flag_rate_elsewhere": df.loc[cit & ~in_proxy, "flagged"].mean(),
        "citizen_flag_rate_in_proxy_districts_without_nationality": df.loc[cit & in_proxy, "flagged_without_nationality"].mean(),
        "citizen_flag_rate_elsewhere_without_nationality": df.loc[cit & ~in_proxy, "flagged_without_nationality"].mean(),
        "flag_threshold_without_nationality": float(df.loc[df["flagged_without_nationality"], "risk_score_without_nationality"].min()),
        "flag_rate_by_nationality_without_nationality": flag2,
        "flag_rate_ratio_without_nationality": flag2[PLANTED] / flag2["citizen"],
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


def test_another_office_and_period(df):
    assert set(df["region"]) == {"North"}
    assert pd.to_datetime(df["application_date"]).dt.year.eq(2024).all()


def test_planted_disparity_falls_on_non_citizens_at_equal_true_fraud_rates(manifest):
    f = manifest["facts"]
    assert f["flag_rate_ratio_vs_citizen"]["non_citizen"] > 1.6
    assert 0.8 <= f["flag_rate_ratio_vs_citizen"]["dual_national"] <= 1.25  # the lesson's planted group is not
    rates = f["true_fraud_rate_by_nationality"].values()
    assert max(rates) - min(rates) <= 0.0005


def test_flag_is_the_top_five_percent(df, manifest):
    f = manifest["facts"]
    assert f["flag_share"] == pytest.approx(0.05, abs=0.001)
    assert (df["flagged"] == (df["risk_score"] >= f["flag_threshold"])).all()
    t2 = f["flag_threshold_without_nationality"]
    assert (df["flagged_without_nationality"] == (df["risk_score_without_nationality"] >= t2)).all()


def test_postcode_proxy_keeps_the_disparity(df, manifest):
    f = manifest["facts"]
    share = (df["nationality_status"] == PLANTED).groupby(df["postcode_district"]).mean()
    assert sorted(share.index[share > 0.30]) == sorted(f["proxy_postcode_districts"])
    assert f["flag_rate_ratio_without_nationality"] >= 1.4
    assert f["citizen_flag_rate_in_proxy_districts_without_nationality"] > 1.5 * f["citizen_flag_rate_elsewhere_without_nationality"]


def test_labels_are_selective_and_random_checks_are_unbiased(df, manifest):
    f = manifest["facts"]
    assert f["share_of_flags_not_fraud"] > 0.5
    assert f["investigated_fraud_rate"] > 3 * f["population_fraud_rate"]
    assert df.loc[~df["investigated"], "fraud_found"].isna().all()
    inv = df[df["investigated"]]
    assert (inv["fraud_found"].astype(str) == inv["true_fraud"].astype(str)).all()
    # the random checks are drawn from the unflagged applications only, at random
    checks = df[df["investigation_reason"] == "random_check"]
    assert not checks["flagged"].any() and len(checks) > 100
