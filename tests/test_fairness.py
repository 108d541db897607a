"""coursekit.fairness: per-group rates against hand computation and Fairlearn, errors, thresholds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coursekit.errors import UsageError
from coursekit.fairness import (
    FairnessInputError,
    ThresholdExplorer,
    confusion_by_group,
    flag_disparities,
    group_metrics,
    rate_ci,
    threshold_table,
)


@pytest.fixture
def small():
    """12 cases in three groups: a (6 cases), b (4), c (2; no true positives)."""
    return pd.DataFrame(
        {
            "grp":   ["a"] * 6 + ["b"] * 4 + ["c"] * 2,
            "sex":   ["f", "m", "f", "m", "f", "m", "f", "f", "m", "m", "f", "m"],
            "truth": [1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
            "flag":  [1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0],
            "score": [0.9, 0.2, 0.7, 0.1, 0.3, 0.05, 0.8, 0.6, 0.55, 0.4, 0.65, 0.1],
        }
    )


def _by_hand(df, group):
    rows = {}
    for key, g in df.groupby(group):
        t, p = g["truth"] == 1, g["flag"] == 1
        tp, fp, fn, tn = (t & p).sum(), (~t & p).sum(), (t & ~p).sum(), (~t & ~p).sum()
        rows[key] = {
            "n": len(g),
            "base_rate": t.mean(),
            "selection_rate": p.mean(),
            "fpr": fp / (fp + tn) if fp + tn else math.nan,
            "fnr": fn / (fn + tp) if fn + tp else math.nan,
            "precision": tp / (tp + fp) if tp + fp else math.nan,
        }
    return pd.DataFrame(rows).T


def test_rates_match_hand_computation(small):
    m = group_metrics(small, "truth", "flag", "grp")
    hand = _by_hand(small, "grp")
    assert list(m.index) == ["a", "b", "c"]
    assert m["n"].tolist() == [6, 4, 2]
    for col in ["base_rate", "selection_rate", "fpr", "fnr", "precision"]:
        np.testing.assert_allclose(m[col].to_numpy(float), hand[col].to_numpy(float), equal_nan=True, err_msg=col)
    # Worked by hand: group a has TP 1, FP 1, FN 1, TN 3.
    assert m.loc["a", "selection_rate"] == pytest.approx(2 / 6)
    assert m.loc["a", "fpr"] == pytest.approx(1 / 4)
    assert m.loc["a", "fnr"] == pytest.approx(1 / 2)
    assert m.loc["a", "precision"] == pytest.approx(1 / 2)
    # Group c has no true positives: its false negative rate is undefined, not 0.
    assert math.isnan(m.loc["c", "fnr"])
    assert m.loc["c", "precision"] == 0


def test_ratios_to_the_largest_group_by_default(small):
    m = group_metrics(small, "truth", "flag", "grp")
    assert m.attrs["reference"] == "a"
    assert m.loc["a", ["selection_rate_ratio", "fpr_ratio", "fnr_ratio", "precision_ratio"]].tolist() == [1, 1, 1, 1]
    assert m.loc["b", "selection_rate_ratio"] == pytest.approx((3 / 4) / (2 / 6))
    assert m.loc["b", "fpr_ratio"] == pytest.approx((2 / 3) / (1 / 4))
    assert m.loc["c", "selection_rate_ratio"] == pytest.approx((1 / 2) / (2 / 6))
    expected = ["n", "base_rate", "selection_rate", "fpr", "fnr", "precision",
                "base_rate_ratio", "selection_rate_ratio", "fpr_ratio", "fnr_ratio", "precision_ratio"]
    assert list(m.columns) == expected


def test_named_reference(small):
    m = group_metrics(small, "truth", "flag", "grp", reference="b")
    assert m.attrs["reference"] == "b"
    assert m.loc["b", "selection_rate_ratio"] == 1
    assert m.loc["a", "selection_rate_ratio"] == pytest.approx((2 / 6) / (3 / 4))


def test_matches_fairlearn_metricframe():
    from fairlearn.metrics import MetricFrame, false_negative_rate, false_positive_rate, selection_rate
    from sklearn.metrics import precision_score

    rng = np.random.default_rng(7)
    n = 3000
    df = pd.DataFrame({"g": rng.choice(["x", "y", "z"], n, p=[0.6, 0.3, 0.1]),
                       "s": rng.choice(["f", "m"], n)})
    df["t"] = rng.random(n) < np.where(df["g"] == "z", 0.2, 0.1)
    df["p"] = rng.random(n) < np.where(df["g"] == "y", 0.25, 0.12)
    for group in ["g", ["g", "s"]]:
        ours = group_metrics(df, "t", "p", group)
        mf = MetricFrame(metrics={"selection_rate": selection_rate, "fpr": false_positive_rate,
                                  "fnr": false_negative_rate, "precision": precision_score},
                         y_true=df["t"], y_pred=df["p"], sensitive_features=df[group])
        theirs = mf.by_group.sort_index()
        for col in ["selection_rate", "fpr", "fnr", "precision"]:
            np.testing.assert_allclose(ours[col].to_numpy(float), theirs[col].to_numpy(float), err_msg=str(col))
        # Fairlearn's own ratio (smallest over largest) agrees with ours for the flag rate.
        sr = ours["selection_rate"]
        assert mf.ratio()["selection_rate"] == pytest.approx(sr.min() / sr.max())


def test_intersections(small):
    m = group_metrics(small, "truth", "flag", ["grp", "sex"])
    assert isinstance(m.index, pd.MultiIndex) and list(m.index.names) == ["grp", "sex"]
    hand = _by_hand(small, ["grp", "sex"])
    assert set(m.index) == set(hand.index)
    for key in hand.index:
        assert m.loc[key, "n"] == hand.loc[key, "n"]
        assert m.loc[key, "selection_rate"] == pytest.approx(hand.loc[key, "selection_rate"])
    assert m.attrs["reference"] == ("a", "f")  # a tie of 3 and 3: the first in order
    m2 = group_metrics(small, "truth", "flag", ["grp", "sex"], reference=("b", "f"))
    assert m2.loc[("b", "f"), "selection_rate_ratio"] == 1
    flagged = flag_disparities(m2)
    assert list(flagged.columns[:2]) == ["grp", "sex"]


def test_confusion_counts(small):
    c = confusion_by_group(small, "truth", "flag", "grp")
    assert c.loc["a", ["tp", "fp", "fn", "tn", "n"]].tolist() == [1, 1, 1, 3, 6]
    assert c.loc["c", ["tp", "fp", "fn", "tn", "n"]].tolist() == [0, 1, 0, 1, 2]
    assert c["n"].sum() == len(small)


def test_any_index_works(small):
    shuffled = small.sample(frac=1, random_state=3).set_index(pd.Index([0] * 6 + [1] * 6))  # duplicate labels
    assert group_metrics(shuffled, "truth", "flag", "grp").equals(group_metrics(small, "truth", "flag", "grp"))
    clash = small.rename(columns={"grp": "n"})  # a group column named like an output column
    assert group_metrics(clash, "truth", "flag", "n")["n"].tolist() == [6, 4, 2]


def test_booleans_and_arrays_are_accepted(small):
    df = small.assign(truth=small["truth"].astype(bool), flag=small["flag"].astype(bool))
    a = group_metrics(df, "truth", "flag", "grp")
    b = group_metrics(small, "truth", small["score"].to_numpy() >= 0.5, "grp")
    assert a.equals(group_metrics(small, "truth", "flag", "grp"))
    assert b.loc["b", "selection_rate"] == pytest.approx(3 / 4)


def test_flag_disparities_band(small):
    m = group_metrics(small, "truth", "flag", "grp")
    out = flag_disparities(m)
    assert {"grp", "metric", "value", "reference_value", "ratio", "direction"} <= set(out.columns)
    assert "a" not in set(out["grp"])  # the reference is never outside its own band
    row = out[(out["grp"] == "b") & (out["metric"] == "selection_rate")].iloc[0]
    assert row["ratio"] == pytest.approx(2.25) and row["direction"] == "higher"
    assert row["reference_value"] == pytest.approx(2 / 6)
    # Every ratio outside the band is listed, none inside.
    full = flag_disparities(m, all_rows=True)
    assert (full["outside"] == ((full["ratio"] < 0.8) | (full["ratio"] > 1.25))).all()
    # A wider band flags less.
    assert len(flag_disparities(m, low=0.2, high=5)) < len(out)
    assert set(flag_disparities(m, rates="selection_rate")["metric"]) == {"selection_rate"}


def test_wilson_interval_known_values():
    lo, hi = rate_ci(5, 10)
    assert (lo, hi) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    lo, hi = rate_ci(0, 20)
    assert lo == pytest.approx(0, abs=1e-12) and hi == pytest.approx(0.1611, abs=1e-4)
    lo, hi = rate_ci(pd.Series([1, 50], index=["small", "big"]), pd.Series([10, 500], index=["small", "big"]))
    assert (hi - lo)["small"] > (hi - lo)["big"]  # smaller groups, wider intervals
    assert list(lo.index) == ["small", "big"]
    lo99, hi99 = rate_ci(5, 10, confidence=0.99)
    assert lo99 < 0.2366 and hi99 > 0.7634
    assert all(math.isnan(v) for v in rate_ci(0, 0))


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"y_true": "fraud"}, ["'fraud'", "y_true"]),
        ({"y_pred": "flagged"}, ["'flagged'", "y_pred"]),
        ({"group": "nationality"}, ["'nationality'", "group"]),
        ({"group": ["grp", "region"]}, ["'region'"]),
        ({"y_pred": "score"}, ["'score'", "binary", ">= threshold"]),
        ({"y_true": "label"}, ["'label'", "binary"]),
        ({"y_true": "partial"}, ["'partial'", "missing", "selective labels"]),
        ({"group": "gap"}, ["'gap'", "missing"]),
        ({"group": []}, ["at least one column"]),
        ({"reference": "zz"}, ["'zz'", "grp", "'a'"]),
        ({"group": ["grp", "sex"], "reference": "a"}, ["tuple"]),
    ],
)
def test_clear_errors(small, kwargs, words):
    df = small.assign(label=["yes", "no"] * 6, partial=[1, 0, None] * 4, gap=["x", None] * 6)
    args = {"y_true": "truth", "y_pred": "flag", "group": "grp", **kwargs}
    with pytest.raises(FairnessInputError) as err:
        group_metrics(df, **args)
    for w in words:
        assert w in str(err.value), str(err.value)
    assert isinstance(err.value, ValueError) and isinstance(err.value, UsageError)


def test_empty_frame_and_empty_group(small):
    with pytest.raises(ValueError, match="no rows"):
        group_metrics(small.iloc[0:0], "truth", "flag", "grp")
    with pytest.raises(ValueError, match="DataFrame"):
        group_metrics(small.to_dict(), "truth", "flag", "grp")
    cat = small.assign(grp=pd.Categorical(small["grp"], categories=["a", "b", "c", "d"]))
    with pytest.raises(ValueError, match="'grp'.*no rows: 'd'"):
        group_metrics(cat, "truth", "flag", "grp")
    with pytest.raises(ValueError, match="12 rows"):
        group_metrics(small, "truth", [1, 0, 1], "grp")


def test_flag_disparities_errors(small):
    m = group_metrics(small, "truth", "flag", "grp")
    with pytest.raises(ValueError, match="group_metrics"):
        flag_disparities(small)
    with pytest.raises(ValueError, match="low < 1 < high"):
        flag_disparities(m, low=1.25, high=0.8)
    with pytest.raises(ValueError, match="unknown rate 'recall'"):
        flag_disparities(m, rates=["recall"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        rate_ci(1, 10, confidence=95)
    with pytest.raises(ValueError, match="larger than n"):
        rate_ci(11, 10)


def test_threshold_table_and_explorer(small):
    table = threshold_table(small, "score", "truth", "grp", [0.5, 0.75])
    assert list(table.index.names) == ["threshold", "grp"]
    assert table.loc[(0.5, "b"), "selection_rate"] == pytest.approx(3 / 4)
    assert table.loc[(0.75, "a"), "selection_rate"] == pytest.approx(1 / 6)

    ex = ThresholdExplorer(small, "score", "truth", "grp")
    assert ex.reference == "a"
    low, high = ex.at(0.3), ex.at(0.75)
    assert (high["selection_rate"] <= low["selection_rate"]).all()  # a higher bar flags fewer
    assert ex.at(0.5).equals(group_metrics(small, "truth", small["score"] >= 0.5, "grp")[ex.COLUMNS])
    text = ex.describe(0.5)
    assert "Threshold 0.50" in text and "- b: flag rate 75.0%" in text

    box = ex.widget(value=0.5)  # no browser: the slider and its output are plain objects
    before = box.output.value
    assert "75.0%" in before
    box.slider.value = 0.75
    assert box.output.value != before and "Threshold 0.75" in box.output.value

    with pytest.raises(ValueError, match="'truth'.*numbers"):
        ThresholdExplorer(small.assign(truth=small["truth"].astype(bool)), "truth", "flag", "grp")
    with pytest.raises(ValueError, match="no column 'risk'"):
        ThresholdExplorer(small, "risk", "truth", "grp")


def test_on_the_course_data():
    """The planted disparity in benefit_claims is what the lesson says it is."""
    from coursekit import datasets

    claims = datasets.load("benefit_claims")
    truth = datasets.load("benefit_claims", "truth")
    facts = datasets.manifest("benefit_claims")["facts"]
    audit = claims.merge(truth, on="claim_id", validate="one_to_one")
    m = group_metrics(audit, "true_fraud", "flagged", "nationality_status")
    assert m.attrs["reference"] == facts["reference_group"]
    for grp, rate in facts["flag_rate_by_nationality"].items():
        assert m.loc[grp, "selection_rate"] == pytest.approx(rate, abs=5e-5)
    assert m.loc["dual_national", "selection_rate_ratio"] == pytest.approx(facts["flag_rate_ratio"], abs=5e-5)
    assert "dual_national" in set(flag_disparities(m, rates="selection_rate")["nationality_status"])
    with pytest.raises(ValueError, match="fraud_found"):
        group_metrics(claims, "fraud_found", "flagged", "nationality_status")
