"""model_monitoring: recompute every manifest fact from the CSV with plain pandas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from manifest_facts import same

DATA = Path(__file__).resolve().parent.parent / "coursekit" / "datasets" / "data"
NAME = "model_monitoring"
REGIONS = ["Capital", "North", "East", "South", "West", "Central"]


@pytest.fixture(scope="module")
def df():
    return pd.read_csv(DATA / f"{NAME}.csv")


@pytest.fixture(scope="module")
def manifest():
    return json.loads((DATA / f"{NAME}.manifest.json").read_text(encoding="utf-8"))


def psi(before: pd.Series, after: pd.Series, edges: list[float]) -> float:
    bins = [-np.inf, *edges, np.inf]
    e = pd.cut(before, bins, right=False).value_counts(normalize=True, sort=False)
    a = pd.cut(after, bins, right=False).value_counts(normalize=True, sort=False)
    return float(((a - e) * np.log(a / e)).sum())


def recompute(d: pd.DataFrame, m: dict) -> dict:
    after = d["month"] >= m["drift_start_month"]  # YYYY-MM strings sort like dates
    region, group = m["affected_region"], m["affected_group"]
    east = d["region"] == region
    grp = d[group["column"]] == group["value"]
    correct = d["flagged"] == d["error_found"]

    def metrics(mask):
        out = {}
        for period, a in (("before", ~after), ("after", after)):
            sel = mask & a
            out[period] = {
                "cases": int(sel.sum()),
                "accuracy": correct[sel].mean(),
                "recall": d.loc[sel & d["error_found"], "flagged"].mean(),
                "error_rate": d.loc[sel, "error_found"].mean(),
                "flag_rate": d.loc[sel, "flagged"].mean(),
                "mean_score": d.loc[sel, "risk_score"].mean(),
            }
        return out

    inc = d["declared_income_eur"]
    edges = m["psi_bin_edges"]
    return {
        "rows": len(d),
        "months": d["month"].nunique(),
        "first_month": d["month"].min(),
        "last_month": d["month"].max(),
        "drift_start_month": m["drift_start_month"],
        "affected_region": region,
        "affected_group": group,
        "flag_threshold": m["flag_threshold"],
        "overall": metrics(pd.Series(True, index=d.index)),
        "affected_group_in_affected_region": metrics(grp & east),
        "affected_group_elsewhere": metrics(grp & ~east),
        "affected_group_all_regions": metrics(grp),
        "other_households_in_affected_region": metrics(~grp & east),
        "other_households_elsewhere": metrics(~grp & ~east),
        "mean_declared_income_by_region": {
            r: {"before": inc[(d["region"] == r) & ~after].mean(),
                "after": inc[(d["region"] == r) & after].mean()} for r in REGIONS},
        "monthly_mean_declared_income_affected_region": dict(inc[east].groupby(d["month"]).mean()),
        "psi_bin_edges": [round(float(x), 2) for x in inc[east & ~after].quantile(np.arange(1, 10) / 10)],
        "psi_declared_income_affected_region": psi(inc[east & ~after], inc[east & after], edges),
        "psi_declared_income_other_regions": psi(inc[~east & ~after], inc[~east & after], edges),
    }


def test_every_manifest_fact_recomputes_from_the_csv(df, manifest):
    f = manifest["facts"]
    same(f, recompute(df, f))
    assert set(manifest["how_computed"]) == set(f)


def test_flag_rule(df, manifest):
    assert (df["flagged"] == (df["risk_score"] >= manifest["facts"]["flag_threshold"])).all()


def test_drift_starts_in_the_documented_month(manifest):
    f = manifest["facts"]
    monthly = f["monthly_mean_declared_income_affected_region"]
    months = sorted(monthly)
    start = months.index(f["drift_start_month"])
    before = np.mean([monthly[m] for m in months[:start]])
    after = np.mean([monthly[m] for m in months[start:]])
    assert after > before + 100
    assert f["psi_declared_income_affected_region"] > 0.1 > 10 * f["psi_declared_income_other_regions"]


def test_performance_degrades_for_one_group_only(manifest):
    f = manifest["facts"]
    hit = f["affected_group_in_affected_region"]
    assert hit["after"]["recall"] < hit["before"]["recall"] / 3
    assert hit["after"]["accuracy"] < hit["before"]["accuracy"] - 0.08
    for key in ("affected_group_elsewhere", "other_households_in_affected_region", "other_households_elsewhere"):
        part = f[key]
        assert part["after"]["accuracy"] > part["before"]["accuracy"] - 0.03, key
    overall = f["overall"]
    assert abs(overall["after"]["accuracy"] - overall["before"]["accuracy"]) < 0.02  # the aggregate hides it
