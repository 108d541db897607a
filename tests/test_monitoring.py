"""coursekit.procurement and coursekit.monitoring: claim tests, metrics by period and group, drift, alert and stop rules.

The first tests reproduce what the datasets' manifests document (local accuracy and its interval,
the worst subgroup, the drift's start month, the affected group's recall before and after), for
the lesson's data and the exercise's; the rest check each function by hand on small tables.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from coursekit import datasets
from coursekit.errors import UsageError
from coursekit import ai_act
from coursekit.monitoring import (METRICS, MonitoringInputError, Rule, check_rules, first_firing, metrics_by_period, psi,
                                  psi_table, shift_test)
from coursekit.procurement import claim_test, contract_clauses, provider_documents

TOL = 6e-5  # manifests round to 4 decimals

TRIALS = {"vendor_trial": ("main_language", "language_group", "national", "not_national"),
          "vendor_trial_b": ("age_band", "age_group", "under_65", "65_and_over")}
LOGS = {"model_monitoring": "2023-12", "model_monitoring_b": "2024-06"}   # last month of a 12-month baseline


def close(a, b, tol=TOL):
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=tol)


# --------------------------------------------------------------------------- the manifests' facts

@pytest.mark.parametrize("name", TRIALS)
def test_claim_test_reproduces_the_local_accuracy_interval_and_verdict(name):
    f = datasets.manifest(name)["facts"]
    trial = datasets.load(name)
    table = claim_test(trial, "verified_outcome", "vendor_prediction", claimed=f["vendor_claimed_accuracy"])
    row = table.loc["overall"]
    assert row["n"] == f["rows"]
    assert close(row["value"], f["local_accuracy"])
    assert close(row["ci_low"], f["local_accuracy_ci95"][0]) and close(row["ci_high"], f["local_accuracy_ci95"][1])
    assert (row["verdict"] == "consistent with the claim") == f["claim_inside_local_ci95"]
    assert close(-row["gap_points"], f["gap_to_claim_points"], 0.006)


@pytest.mark.parametrize("name", TRIALS)
def test_claim_test_by_group_reproduces_the_worst_subgroup(name):
    column, key, rest, focus = TRIALS[name]
    f = datasets.manifest(name)["facts"]
    trial = datasets.load(name)
    by_value = claim_test(trial, "verified_outcome", "vendor_prediction", claimed=f["vendor_claimed_accuracy"], group=column)
    for value, fact in f[f"accuracy_by_{column}"].items():
        assert by_value.loc[value, "n"] == fact["n"]
        assert close(by_value.loc[value, "value"], fact["accuracy"])
        assert close(by_value.loc[value, "ci_low"], fact["ci95"][0]) and close(by_value.loc[value, "ci_high"], fact["ci95"][1])
    # The planted subgroup against the rest: the two groups the manifest names.
    in_focus = trial.eval(f["worst_subgroup"]["rule"].replace(" is not ", " != ").replace(" is ", " == "))
    trial = trial.assign(focus=np.where(in_focus, focus, rest))
    two = claim_test(trial, "verified_outcome", "vendor_prediction", claimed=f["vendor_claimed_accuracy"], group="focus")
    for g in (rest, focus):
        assert close(two.loc[g, "value"], f[f"accuracy_by_{key}"][g]["accuracy"])
    assert two.drop(index="overall")["value"].idxmin() == focus
    assert two.loc[focus, "verdict"] == "below the claim"
    refused = claim_test(trial, "verified_outcome", "vendor_prediction", claimed=0.1, metric="false_positive_rate",
                         positive="not_eligible", group="focus")
    for g in (rest, focus):   # eligible people refused: a false "not eligible"
        assert close(refused.loc[g, "value"], f[f"false_not_eligible_rate_by_{key}"][g])


@pytest.mark.parametrize("name", LOGS)
def test_metrics_by_period_reproduce_the_affected_groups_recall_before_and_after(name):
    f = datasets.manifest(name)["facts"]
    log = datasets.load(name)
    log["phase"] = np.where(log["month"] >= pd.Timestamp(f["drift_start_month"]), "after", "before")
    table = metrics_by_period(log, "error_found", "flagged", period="phase", group=["region", "household_type"],
                              metrics=["accuracy", "recall", "flag_rate"])
    cell = table.set_index(["phase", "region", "household_type", "metric"])
    region, group = f["affected_region"], f["affected_group"]["value"]
    for phase in ("before", "after"):
        fact = f["affected_group_in_affected_region"][phase]
        assert close(cell.loc[(phase, region, group, "recall"), "value"], fact["recall"])
        assert close(cell.loc[(phase, region, group, "accuracy"), "value"], fact["accuracy"])
        assert close(cell.loc[(phase, region, group, "flag_rate"), "value"], fact["flag_rate"])
        assert cell.loc[(phase, region, group, "accuracy"), "n"] == fact["cases"]
    overall = metrics_by_period(log, "error_found", "flagged", period="phase").set_index(["phase", "metric"])
    for phase in ("before", "after"):
        assert close(overall.loc[(phase, "accuracy"), "value"], f["overall"][phase]["accuracy"])
        assert close(overall.loc[(phase, "recall"), "value"], f["overall"][phase]["recall"])
    # The collapse is real, not noise: the intervals before and after do not overlap.
    assert cell.loc[("after", region, group, "recall"), "ci_high"] < cell.loc[("before", region, group, "recall"), "ci_low"]


@pytest.mark.parametrize("name", LOGS)
def test_psi_reproduces_the_manifest(name):
    f = datasets.manifest(name)["facts"]
    log = datasets.load(name)
    after = log["month"] >= pd.Timestamp(f["drift_start_month"])
    hit = log["region"] == f["affected_region"]
    income = log["declared_income_eur"]
    assert close(psi(income[hit & ~after], income[hit & after], edges=f["psi_bin_edges"]),
                 f["psi_declared_income_affected_region"])
    assert close(psi(income[~hit & ~after], income[~hit & after], edges=f["psi_bin_edges"]),
                 f["psi_declared_income_other_regions"])
    # Default edges are the baseline's deciles to 2 decimals, as the manifest's.
    assert close(psi(income[hit & ~after], income[hit & after]), f["psi_declared_income_affected_region"])


@pytest.mark.parametrize("name", LOGS)
def test_a_drift_rule_set_in_advance_finds_the_documented_start_month(name):
    f = datasets.manifest(name)["facts"]
    log = datasets.load(name)
    with_children = log[log["children"] > 0]
    drift = psi_table(with_children, "declared_income_eur", period="month", baseline_end=LOGS[name],
                      group="region", bins=5)
    fired = first_firing(check_rules(drift, [Rule("income shift", "psi_declared_income_eur", above=0.25, periods=2)]))
    # The first region to trip the rule is the affected one, from the documented month; a small
    # region may trip it later by chance (a reason to investigate, not proof).
    first = fired.sort_values("since", kind="stable").iloc[0]
    assert (first["region"], first["since"]) == (f["affected_region"], f["drift_start_month"])
    assert (fired["region"] == f["affected_region"]).sum() == 1


@pytest.mark.parametrize("name", LOGS)
def test_a_recall_rule_relative_to_each_groups_baseline_fires_for_the_affected_group(name):
    f = datasets.manifest(name)["facts"]
    log = datasets.load(name)
    table = metrics_by_period(log, "error_found", "flagged", period="month", group=["region", "household_type"],
                              metrics="recall", window=3)
    # Two months in a row where even the interval's top is 0.15 below the group's own baseline, on 20
    # or more true cases: strict enough that no other group of 24 trips it by chance.
    stop = Rule("stop: recall surely far below its baseline", "recall", drop=0.15, use="ci_high", periods=2, min_n=20,
                action="stop")
    fired = first_firing(check_rules(table, [stop], baseline_end=LOGS[name]))
    assert [(r, g) for r, g in zip(fired["region"], fired["household_type"])] == [
        (f["affected_region"], f["affected_group"]["value"])]
    assert fired.loc[0, "month"] >= f["drift_start_month"]


# --------------------------------------------------------------------------- claim_test by hand

def small_trial():
    # 10 cases: group A 6 (5 right), group B 4 (2 right)
    return pd.DataFrame({
        "truth": ["yes", "yes", "no", "no", "yes", "no", "yes", "yes", "no", "no"],
        "pred":  ["yes", "yes", "no", "no", "yes", "yes", "no", "no", "no", "no"],
        "grp":   ["A", "A", "A", "A", "A", "A", "B", "B", "B", "B"],
    })


def test_claim_test_counts_and_wilson_interval_by_hand():
    t = claim_test(small_trial(), "truth", "pred", claimed=0.85, group="grp")
    assert list(t.index) == ["overall", "A", "B"]
    assert list(t["n"]) == [10, 6, 4] and list(t["successes"]) == [7, 5, 2]
    lo, hi = stats.binomtest(7, 10).proportion_ci(method="wilson")
    assert close(t.loc["overall", "ci_low"], lo, 1e-6) and close(t.loc["overall", "ci_high"], hi, 1e-6)
    assert close(t.loc["B", "gap_points"], (0.5 - 0.85) * 100, 1e-9)
    assert t.loc["overall", "verdict"] == "consistent with the claim"   # 10 cases prove nothing either way
    recall = claim_test(small_trial(), "truth", "pred", claimed=0.9, metric="recall", positive="yes", group="grp")
    assert list(recall["n"]) == [5, 3, 2] and list(recall["successes"]) == [3, 3, 0]


def test_claim_test_verdicts():
    df = pd.DataFrame({"t": [True] * 1000, "p": [True] * 990 + [False] * 10})
    assert claim_test(df, "t", "p", claimed=0.9).loc["overall", "verdict"] == "above the claim"
    assert claim_test(df, "t", "p", claimed=0.999).loc["overall", "verdict"] == "below the claim"


@pytest.mark.parametrize("kwargs,match", [
    ({"claimed": 94}, "fraction"),
    ({"claimed": "high"}, "number"),
    ({"claimed": 0.9, "metric": "f1"}, "unknown metric"),
    ({"claimed": 0.9, "metric": "recall"}, "positive="),
    ({"claimed": 0.9, "metric": "recall", "positive": "Yes"}, "spelling"),
    ({"claimed": 0.9, "group": "office"}, "no column 'office'"),
])
def test_claim_test_explains_bad_input(kwargs, match):
    with pytest.raises(MonitoringInputError, match=match) as info:
        claim_test(small_trial(), "truth", "pred", **kwargs)
    assert isinstance(info.value, UsageError) and isinstance(info.value, ValueError)


def test_missing_outcomes_are_refused_not_dropped():
    df = small_trial()
    df.loc[3, "truth"] = None
    with pytest.raises(MonitoringInputError, match="missing"):
        claim_test(df, "truth", "pred", claimed=0.9)
    with pytest.raises(MonitoringInputError, match="no rows"):
        claim_test(df.iloc[:0], "truth", "pred", claimed=0.9)


# --------------------------------------------------------------------------- metrics_by_period by hand

def small_log():
    months = ["2024-01"] * 4 + ["2024-02"] * 4 + ["2024-03"] * 4
    return pd.DataFrame({
        "month": pd.to_datetime(months),
        "team": ["x", "x", "y", "y"] * 3,
        "truth": [True, False, True, True, True, True, False, True, True, False, False, False],
        "flag":  [True, False, True, False, False, True, False, True, True, True, False, False],
    })


def test_metrics_by_period_by_hand_with_months_groups_and_empty_cells():
    t = metrics_by_period(small_log(), "truth", "flag", period="month", group="team", metrics=["recall", "accuracy"])
    assert set(t["month"]) == {"2024-01", "2024-02", "2024-03"}
    cell = t.set_index(["month", "team", "metric"])
    assert (cell.loc[("2024-01", "y", "recall"), ["n", "successes"]] == [2, 1]).all()
    assert (cell.loc[("2024-02", "x", "recall"), ["n", "successes"]] == [2, 1]).all()
    # Team y has no true case in March: recall has no denominator, shown as n 0 and no value.
    assert cell.loc[("2024-03", "y", "recall"), "n"] == 0 and np.isnan(cell.loc[("2024-03", "y", "recall"), "value"])
    assert cell.loc[("2024-03", "y", "accuracy"), "value"] == 1.0
    assert list(t.columns) == ["month", "team", "metric", "n", "successes", "value", "ci_low", "ci_high"]


def test_metrics_by_period_window_pools_counts():
    t = metrics_by_period(small_log(), "truth", "flag", period="month", metrics="accuracy", window=2)
    assert list(t["month"]) == ["2024-02", "2024-03"]     # the first month has no full window
    assert list(t["n"]) == [8, 8]
    by_hand = small_log().assign(ok=lambda d: d["truth"] == d["flag"]).groupby("month")["ok"].sum().tolist()
    assert list(t["successes"]) == [by_hand[0] + by_hand[1], by_hand[1] + by_hand[2]]
    with pytest.raises(MonitoringInputError, match="window"):
        metrics_by_period(small_log(), "truth", "flag", period="month", window=0)


def test_every_metric_has_its_denominator():
    t = metrics_by_period(small_log(), "truth", "flag", period="month", metrics=METRICS, freq="Q")
    row = t.set_index("metric")
    d = small_log()
    assert row.loc["precision", "n"] == d["flag"].sum()
    assert row.loc["false_positive_rate", "n"] == (~d["truth"]).sum()
    assert close(row.loc["false_negative_rate", "value"] + row.loc["recall", "value"], 1, 1e-12)


# --------------------------------------------------------------------------- drift by hand

def test_psi_by_hand_and_its_guards():
    base = np.arange(100.0)
    assert psi(base, base) == 0
    shifted = base + 30
    e = np.array([0.5, 0.5])
    a = np.array([(shifted < 50).mean(), (shifted >= 50).mean()])
    assert close(psi(base, shifted, edges=[50]), float(np.sum((a - e) * np.log(a / e))), 1e-12)
    assert np.isfinite(psi(base, base + 1000, edges=[50]))   # an empty bin does not give infinity
    with pytest.raises(MonitoringInputError, match="missing"):
        psi([1.0, np.nan], [1.0])


def test_shift_test_is_scipys_ks_test():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 300), rng.normal(0.5, 1, 300)
    res = shift_test(a, b)
    ref = stats.ks_2samp(a, b)
    assert close(res["statistic"], ref.statistic, 1e-12) and close(res["pvalue"], ref.pvalue, 1e-12)
    assert res["n_expected"] == 300 and res["pvalue"] < 0.001


# --------------------------------------------------------------------------- rules by hand

def rule_table():
    return pd.DataFrame({
        "month": ["m1", "m2", "m3", "m4", "m5"] * 2,
        "site": ["a"] * 5 + ["b"] * 5,
        "metric": "recall",
        "n": [20, 20, 20, 3, 20, 20, 20, 20, 20, 20],
        "successes": [10, 10, 4, 0, 3, 5, 5, 5, 5, 5],
        "value": [0.5, 0.5, 0.2, 0.0, 0.15, 0.25, 0.25, 0.25, 0.25, 0.25],
        "ci_low": 0.0, "ci_high": 1.0,
    }).assign(**{"ci_high": lambda d: d["value"] + 0.2})


def test_fixed_threshold_streaks_and_min_n():
    t = rule_table()
    t.attrs.update(period="month", group=["site"])
    fired = check_rules(t, [Rule("low", "recall", below=0.3, periods=2, min_n=10)])
    # site a: m3 low, m4 too few cases (breaks the streak), m5 low -> never two in a row
    # site b: 0.25 every month -> fires from m2 on, the streak starting at m1
    assert list(zip(fired["site"], fired["month"])) == [("b", "m2"), ("b", "m3"), ("b", "m4"), ("b", "m5")]
    assert set(fired["since"]) == {"m1"}
    assert list(first_firing(fired)["month"]) == ["m2"]


def test_rules_relative_to_each_groups_baseline():
    t = rule_table()
    t.attrs.update(period="month", group=["site"])
    drop = Rule("dropped", "recall", drop=0.2, action="stop")
    fired = check_rules(t, [drop], baseline_end="m2")
    # site a's baseline is 0.5: m3 (0.2) and m5 (0.15) are more than 0.2 below it; m4 has 3 cases but
    # min_n is 0 here, so it counts too. Site b never moves.
    assert list(fired["month"]) == ["m3", "m4", "m5"] and set(fired["site"]) == {"a"}
    assert close(fired["threshold"].iloc[0], 0.3, 1e-12) and set(fired["action"]) == {"stop"}
    sure = check_rules(t, [Rule("surely dropped", "recall", drop=0.2, use="ci_high")], baseline_end="m2")
    assert list(sure["month"]) == ["m4"]        # only there is even the interval's top below 0.3
    with pytest.raises(MonitoringInputError, match="baseline_end"):
        check_rules(t, [drop])


def test_rules_explain_bad_input():
    with pytest.raises(MonitoringInputError, match="threshold"):
        Rule("nothing", "recall")
    with pytest.raises(MonitoringInputError, match="periods"):
        Rule("x", "recall", below=0.1, periods=0)
    t = rule_table()
    with pytest.raises(MonitoringInputError, match="does not have"):
        check_rules(t, [Rule("x", "precision", below=0.1)])
    with pytest.raises(MonitoringInputError, match="metrics_by_period"):
        check_rules(pd.DataFrame({"a": [1]}), [])


# --------------------------------------------------------------------------- what to demand

def test_provider_documents_come_from_the_ai_act_data():
    docs = provider_documents()
    assert list(docs.columns) == ["ref", "who", "document", "what", "buyer_asks", "note"]
    assert len(docs) == len(ai_act._PROVIDER_DUTIES)
    for ref in ("Art. 11, Annex IV", "Art. 13", "Art. 72", "Art. 73", "Art. 26(5)"):
        assert ref in set(docs["ref"]), ref
    assert (docs["what"].str.len() > 40).all() and (docs["buyer_asks"].str.len() > 20).all()
    # No date in these rows: dates live in ai_act.key_dates().
    assert not docs["what"].str.contains(r"\b20\d\d\b").any()


def test_contract_clauses_cover_the_seed_documents_terms():
    clauses = contract_clauses()
    for c in ("right_to_audit", "ongoing_bias_monitoring", "notice_of_changes", "data_portability_and_deletion",
              "performance_benchmarks", "exit_strategy", "local_acceptance_test"):
        assert c in set(clauses["clause"])
    assert clauses["clause"].is_unique
