"""caseworker_decisions: recompute every manifest fact from the CSV with plain pandas."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from manifest_facts import same

DATA = Path(__file__).resolve().parent.parent / "coursekit" / "datasets" / "data"
NAME = "caseworker_decisions"
CONDITIONS = ["independent_first", "ai_first"]
GROUPS = ["citizen", "dual_national", "non_citizen"]


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
    return json.loads((DATA / f"{NAME}.manifest.json").read_text(encoding="utf-8"))


def recompute(d: pd.DataFrame, rule: dict, stereotype: str) -> dict:
    per = d.groupby("caseworker_id").agg(agreement=("agree", "mean"), median_seconds=("seconds_taken", "median"),
                                         reviews=("agree", "size"))
    fast = per["median_seconds"] < rule["max_median_seconds_exclusive"]
    stamp = (per["agreement"] >= rule["min_agreement"]) & fast
    stampers = sorted(per.index[stamp])
    fast_only = sorted(per.index[fast & ~stamp])
    others = per[~stamp]
    wrong, right = d[d["ai_wrong"]], d[~d["ai_wrong"]]
    wrong_ns = wrong[~wrong["caseworker_id"].isin(stampers)]
    ind = d[d["review_condition"] == "independent_first"]
    ind_dis = ind[ind["view_before_ai"] != ind["ai_recommendation"]]
    app = d[d["appealed"]]

    def cond(frame, col):
        return {c: frame.loc[frame["review_condition"] == c, col].mean() for c in CONDITIONS}

    def cong(frame):
        return {"congruent": frame.loc[frame["congruent"], "agree"].mean(),
                "incongruent": frame.loc[~frame["congruent"], "agree"].mean()}

    return {
        "rows": len(d),
        "caseworkers": d["caseworker_id"].nunique(),
        "reviews_by_condition": {c: int((d["review_condition"] == c).sum()) for c in CONDITIONS},
        "ai_error_share": d["ai_wrong"].mean(),
        "ai_wrong_reviews": int(d["ai_wrong"].sum()),
        "ai_error_share_by_nationality": {g: d.loc[d["nationality_status"] == g, "ai_wrong"].mean() for g in GROUPS},
        "ai_mean_confidence_when_right": right["ai_confidence"].mean(),
        "ai_mean_confidence_when_wrong": wrong["ai_confidence"].mean(),
        "agreement_rate": d["agree"].mean(),
        "override_rate": 1 - d["agree"].mean(),
        "rubber_stamp_rule": rule,
        "rubber_stamper_ids": stampers,
        "rubber_stampers": {i: {"agreement": per.loc[i, "agreement"], "median_seconds": float(per.loc[i, "median_seconds"]),
                                "reviews": int(per.loc[i, "reviews"])} for i in stampers},
        "fast_but_not_rubber_stamping_ids": fast_only,
        "fast_but_not_rubber_stamping": {i: {"agreement": per.loc[i, "agreement"],
                                             "median_seconds": float(per.loc[i, "median_seconds"])} for i in fast_only},
        "other_caseworkers_agreement_range": [others["agreement"].min(), others["agreement"].max()],
        "other_caseworkers_median_seconds_range": [float(others["median_seconds"].min()), float(others["median_seconds"].max())],
        "reviews_by_rubber_stampers": int(d["caseworker_id"].isin(stampers).sum()),
        "agreement_with_wrong_advice": wrong["agree"].mean(),
        "agreement_with_wrong_advice_by_condition": cond(wrong, "agree"),
        "agreement_with_wrong_advice_by_condition_excluding_rubber_stampers": cond(wrong_ns, "agree"),
        "agreement_with_correct_advice_by_condition": cond(right, "agree"),
        "stereotype_rule": stereotype,
        "agreement_with_wrong_advice_by_stereotype": cong(wrong),
        "wrong_advice_reviews_by_stereotype": {"congruent": int(wrong["congruent"].sum()),
                                               "incongruent": int((~wrong["congruent"]).sum())},
        "agreement_with_wrong_advice_by_stereotype_and_condition": {
            c: cong(wrong[wrong["review_condition"] == c]) for c in CONDITIONS},
        "decision_accuracy_by_condition": cond(d.assign(ok=d["decision"] == d["correct_decision"]), "ok"),
        "view_before_ai_accuracy": (ind["view_before_ai"] == ind["correct_decision"]).mean(),
        "views_changed_to_ai_share": (ind_dis["decision"] == ind_dis["ai_recommendation"]).mean(),
        "right_to_wrong_switch_rate": ((ind["view_before_ai"] == ind["correct_decision"])
                                       & (ind["decision"] != ind["correct_decision"])).mean(),
        "median_seconds_by_condition": {c: float(d.loc[d["review_condition"] == c, "seconds_taken"].median()) for c in CONDITIONS},
        "appeals": len(app),
        "appeals_overturned": int((app["appeal_result"] == "overturned").sum()),
        "appeal_overturn_rate": (app["appeal_result"] == "overturned").mean(),
        "wrong_refusals": int(((d["decision"] == "refuse") & (d["correct_decision"] == "approve")).sum()),
    }


def test_every_manifest_fact_recomputes_from_the_csv(df, manifest):
    f = manifest["facts"]
    same(f, recompute(df, f["rubber_stamp_rule"], f["stereotype_rule"]))
    assert set(manifest["how_computed"]) == set(f)


def test_ai_is_wrong_in_the_documented_share(manifest):
    f = manifest["facts"]
    assert f["ai_error_share"] == pytest.approx(0.30, abs=0.001)
    for share in f["ai_error_share_by_nationality"].values():
        assert share == pytest.approx(0.30, abs=0.001)


def test_rubber_stampers_are_exactly_the_planted_few(manifest):
    f = manifest["facts"]
    assert len(f["rubber_stamper_ids"]) == 3
    assert f["rubber_stamp_rule"] == {"min_agreement": 0.98, "max_median_seconds_exclusive": 30}
    low, high = f["other_caseworkers_agreement_range"]
    assert high < 0.95  # a clear gap between rubber-stampers and everyone else
    assert len(f["fast_but_not_rubber_stamping_ids"]) == 1  # speed alone does not make a rubber-stamper


def test_independent_first_lowers_agreement_with_wrong_advice(manifest):
    f = manifest["facts"]
    for key in ("agreement_with_wrong_advice_by_condition", "agreement_with_wrong_advice_by_condition_excluding_rubber_stampers"):
        by = f[key]
        assert by["independent_first"] < by["ai_first"] - 0.1


def test_selective_adherence(manifest):
    f = manifest["facts"]
    s = f["agreement_with_wrong_advice_by_stereotype"]
    assert s["congruent"] > s["incongruent"] + 0.05
    for c in CONDITIONS:
        s = f["agreement_with_wrong_advice_by_stereotype_and_condition"][c]
        assert s["congruent"] > s["incongruent"]


def test_log_is_internally_consistent(df):
    ai_first = df["review_condition"] == "ai_first"
    assert df.loc[ai_first, "view_before_ai"].isna().all()
    assert df.loc[~ai_first, "view_before_ai"].notna().all()
    assert not df.loc[df["decision"] == "approve", "appealed"].any()
    assert (df["appeal_result"].notna() == df["appealed"]).all()
    assert df["review_id"].is_unique and df["case_id"].is_unique
    assert pd.to_datetime(df["review_date"]).is_monotonic_increasing
