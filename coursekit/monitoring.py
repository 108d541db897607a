"""Watching an AI system once it runs: metrics by period and group, drift, alert and stop rules.

The checks a deployer runs on its own log (``coursekit.procurement`` has the checks before signing)::

    from coursekit.monitoring import metrics_by_period, psi, psi_table, shift_test, Rule, check_rules

    # A metric per month (and group) with intervals, then rules set before the system runs.
    table = metrics_by_period(log, "error_found", "flagged", period="month", group="region",
                              metrics=["accuracy", "recall"])
    check_rules(table, [Rule("recall low", "recall", below=0.25, periods=2)])

The metrics, all shares with a Wilson interval (``coursekit.fairness.rate_ci``):

==================== =========================================== ==========================
metric               meaning                                     out of
==================== =========================================== ==========================
accuracy             share of decisions equal to the true outcome all cases
recall               share of true positives the system flags     true positives
precision            share of flags that are right                flagged cases
flag_rate            share of cases flagged                       all cases
false_negative_rate  share of true positives missed (1 - recall)  true positives
false_positive_rate  share of true negatives flagged              true negatives
==================== =========================================== ==========================

Every table names its denominator ``n`` next to the value: a rate on 12 cases is a guess.

Drift in an input or a score: ``psi`` (the population stability index, the usual screen in
credit scoring and model-risk teams; above 0.1 is usually read as a shift worth a look, above
0.25 as a major one) and ``shift_test`` (the two-sample Kolmogorov-Smirnov test from SciPy).

Bad input raises ``MonitoringInputError`` (a ``ValueError`` and a ``coursekit.errors.UsageError``)
with a message that says what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from coursekit.errors import UsageError
from coursekit.fairness import rate_ci

__all__ = [
    "METRICS",
    "MonitoringInputError",
    "metrics_by_period",
    "psi",
    "psi_edges",
    "psi_table",
    "shift_test",
    "Rule",
    "check_rules",
    "first_firing",
]

METRICS = ("accuracy", "recall", "precision", "flag_rate", "false_negative_rate", "false_positive_rate")
OVERALL = "overall"


class MonitoringInputError(UsageError, ValueError):
    """The data or arguments given to a monitoring function cannot be used as they are."""


# ---------------------------------------------------------------------------------------------
# Checking the input


def _frame(df) -> None:
    if not isinstance(df, pd.DataFrame):
        raise MonitoringInputError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise MonitoringInputError("the DataFrame has no rows (did a filter remove every row?)")


def _col(df: pd.DataFrame, name, role: str) -> pd.Series:
    if not isinstance(name, str):
        raise MonitoringInputError(f"{role} must be the name of a column (a string), got {type(name).__name__}")
    if name not in df.columns:
        known = ", ".join(map(str, df.columns[:12])) + (", ..." if len(df.columns) > 12 else "")
        raise MonitoringInputError(f"no column {name!r} for {role}; the columns are: {known}")
    s = df[name]
    missing = int(s.isna().sum())
    if missing:
        raise MonitoringInputError(f"column {name!r} ({role}) has {missing:,} missing values; every row needs one "
                                   f"(a rate computed on the known rows only can be badly biased)")
    return s.reset_index(drop=True)


def _group_cols(df: pd.DataFrame, group) -> list[str]:
    if group is None:
        return []
    cols = [group] if isinstance(group, str) else list(group) if isinstance(group, (list, tuple)) else None
    if not cols:
        raise MonitoringInputError("group must be a column name or a non-empty list of column names")
    for c in cols:
        _col(df, c, "group")
    return cols


def _is_binary(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s.dtype):
        return True
    try:
        return set(np.unique(np.asarray(s, dtype=float)).tolist()) <= {0.0, 1.0}
    except (TypeError, ValueError):
        return False


def _outcomes(df, y_true, y_pred, positive, metrics) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(truly positive, flagged, decision right) as bool arrays."""
    t, p = _col(df, y_true, "y_true"), _col(df, y_pred, "y_pred")
    # Accuracy compares the labels themselves, so it needs no positive label and stays right
    # with more than two labels.
    right = np.asarray(t.astype(str) == p.astype(str))
    if positive is None:
        binary = _is_binary(t) and _is_binary(p)
        if binary:
            tb, pb = np.asarray(t, dtype=float) == 1.0, np.asarray(p, dtype=float) == 1.0
            return tb, pb, tb == pb
        if any(m != "accuracy" for m in metrics):
            s, name = (t, y_true) if not _is_binary(t) else (p, y_pred)
            example = ", ".join(repr(v) for v in pd.unique(s)[:3])
            raise MonitoringInputError(
                f"column {name!r} holds values such as {example}; name the label that counts as positive, "
                f"e.g. positive={pd.unique(s)[0]!r}, or give True/False columns")
        none = np.zeros(len(t), dtype=bool)
        return none, none, right
    tb, pb = np.asarray(t == positive), np.asarray(p == positive)
    if not tb.any() and not pb.any():
        raise MonitoringInputError(f"no row has the label {positive!r} in {y_true!r} or {y_pred!r}; check its spelling")
    return tb, pb, right


def _metric_list(metrics) -> list[str]:
    chosen = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in chosen if m not in METRICS]
    if unknown or not chosen:
        raise MonitoringInputError(f"unknown metric {unknown[0] if unknown else None!r}; choose from {', '.join(METRICS)}")
    return chosen


def _successes_and_n(t: np.ndarray, p: np.ndarray, right: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each metric, (counts that make the numerator, counts that make the denominator) per row."""
    one = np.ones(len(t), dtype=int)
    return {
        "accuracy": (right.astype(int), one),
        "recall": ((t & p).astype(int), t.astype(int)),
        "precision": ((t & p).astype(int), p.astype(int)),
        "flag_rate": (p.astype(int), one),
        "false_negative_rate": ((t & ~p).astype(int), t.astype(int)),
        "false_positive_rate": ((~t & p).astype(int), (~t).astype(int)),
    }


def _with_interval(k: pd.Series, n: pd.Series, confidence: float) -> pd.DataFrame:
    low, high = rate_ci(k.astype(float), n.astype(float), confidence=confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, k / n.where(n > 0, 1), np.nan)
    return pd.DataFrame({"n": n.astype(int), "successes": k.astype(int), "value": value,
                         "ci_low": np.asarray(low), "ci_high": np.asarray(high)}, index=k.index)


# ---------------------------------------------------------------------------------------------
# In operation: metrics by period and group


def _periods(df: pd.DataFrame, period: str, freq: str | None) -> pd.Series:
    s = _col(df, period, "period")
    if pd.api.types.is_datetime64_any_dtype(s.dtype) and freq:
        fmt = {"M": "%Y-%m", "D": "%Y-%m-%d", "Y": "%Y"}.get(freq)
        if freq == "Q":
            return s.dt.to_period("Q").astype(str)
        if fmt is None:
            raise MonitoringInputError(f"freq must be 'D', 'M', 'Q' or 'Y' (or None), got {freq!r}")
        return s.dt.strftime(fmt)
    return s


def metrics_by_period(df: pd.DataFrame, y_true, y_pred, *, period: str, group=None,
                      metrics: Sequence[str] | str = ("accuracy", "recall"), positive=None, window: int = 1,
                      freq: str | None = "M", confidence: float = 0.95) -> pd.DataFrame:
    """Each metric for each period (and group), with its interval: the table a monitoring report draws.

    period:  column with the period of each case (a month, a week...). A date column is grouped by
             calendar month, shown as ``YYYY-MM`` (``freq="Q"`` for quarters, ``None`` to keep dates).
    group:   a column or list of columns: one series per group (e.g. region, household type).
    window:  pool each period with the ``window - 1`` before it (a rolling window). Small groups have
             few cases a month; pooling three months gives intervals narrow enough to act on. The
             first ``window - 1`` periods have no value.

    Returns a tidy table, one row per period, group and metric: the period, the group columns,
    ``metric``, ``n`` (the denominator over the window), ``successes``, ``value``, ``ci_low``,
    ``ci_high``. A period where a group has no case has ``n`` 0 and no value.
    """
    _frame(df)
    chosen = _metric_list(metrics)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise MonitoringInputError(f"window must be a whole number of periods, 1 or more; got {window!r}")
    cols = _group_cols(df, group)
    per = _periods(df, period, freq)
    t, p, right = _outcomes(df, y_true, y_pred, positive, chosen)
    parts = _successes_and_n(t, p, right)
    data = pd.DataFrame({f"{m}:{w}": parts[m][i] for m in chosen for i, w in enumerate(("k", "n"))})
    keys = [per.rename(period)] + [df[c].reset_index(drop=True) for c in cols]
    summed = data.groupby(keys, sort=True, observed=True).sum()
    # Every period for every group, so that a month without cases shows as such and windows line up.
    periods = sorted(per.unique())
    if cols:
        groups = summed.index.droplevel(0).unique()
        full = [(pr, *(g if isinstance(g, tuple) else (g,))) for g in groups for pr in periods]
        summed = summed.reindex(pd.MultiIndex.from_tuples(full, names=[period, *cols]), fill_value=0)
        rolled = summed.groupby(level=list(range(1, len(cols) + 1)), sort=False, group_keys=False).apply(
            lambda d: d.sort_index().rolling(window, min_periods=window).sum())
    else:
        summed = summed.reindex(pd.Index(periods, name=period), fill_value=0)
        rolled = summed.rolling(window, min_periods=window).sum()
    rolled = rolled.dropna()
    frames = []
    for m in chosen:
        part = _with_interval(rolled[f"{m}:k"], rolled[f"{m}:n"], confidence)
        part.insert(0, "metric", m)
        frames.append(part)
    out = pd.concat(frames).reset_index()
    out = out.sort_values([*cols, "metric", period], kind="stable").reset_index(drop=True)
    out = out[[period, *cols, "metric", "n", "successes", "value", "ci_low", "ci_high"]]
    out.attrs.update(period=period, group=cols, window=window, confidence=confidence)
    return out


# ---------------------------------------------------------------------------------------------
# Drift in inputs and scores


def _numbers(values, role: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float) if not isinstance(values, pd.Series) else values.to_numpy(dtype=float)
    if arr.size == 0:
        raise MonitoringInputError(f"{role} has no values")
    if np.isnan(arr).any():
        raise MonitoringInputError(f"{role} has missing values; drop or fill them on purpose first")
    return arr


def psi_edges(expected, bins: int = 10) -> list[float]:
    """Bin edges for ``psi``: the inner quantiles of the baseline (deciles for ``bins=10``), to 2 decimals
    as in the datasets' manifests; repeated edges are merged."""
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise MonitoringInputError(f"bins must be a whole number, 2 or more; got {bins!r}")
    e = _numbers(expected, "expected")
    return sorted(set(np.quantile(e, np.arange(1, bins) / bins).round(2).tolist()))


def psi(expected, actual, *, bins: int = 10, edges: Sequence[float] | None = None) -> float:
    """Population stability index of ``actual`` (e.g. this month) against ``expected`` (the baseline).

    PSI = sum over bins of (actual share - expected share) * ln(actual share / expected share).
    Bins are [edge, next edge), open at both ends; by default the edges are the baseline's deciles
    (``bins=10``). A bin that is empty on one side would make the index infinite, so when any bin
    is empty half a case is added to every bin on both sides. Read it as: below 0.1 little change,
    0.1 to 0.25 a shift worth investigating, above 0.25 a major shift. With few cases the index is
    noisy even when nothing changed (roughly bins / cases on each side): use fewer bins or pool
    periods for small groups. It says that the population changed, not whether the system's
    results got worse: check those too.
    """
    e, a = _numbers(expected, "expected"), _numbers(actual, "actual")
    cuts = psi_edges(e, bins) if edges is None else sorted(float(x) for x in edges)
    full = [-np.inf, *cuts, np.inf]
    # np.histogram puts a value equal to an inner edge in the bin to its right: [edge, next edge).
    ec, ac = np.histogram(e, full)[0].astype(float), np.histogram(a, full)[0].astype(float)
    if (ec == 0).any() or (ac == 0).any():
        ec, ac = ec + 0.5, ac + 0.5
    es, as_ = ec / ec.sum(), ac / ac.sum()
    return float(np.sum((as_ - es) * np.log(as_ / es)))


def psi_table(df: pd.DataFrame, column: str, *, period: str, baseline_end, group=None, bins: int = 10,
              freq: str | None = "M") -> pd.DataFrame:
    """PSI of ``column`` in each period after the baseline, against the baseline (per group).

    baseline_end: the last period of the baseline (e.g. ``"2023-12"``): every period up to it is
    the reference the later ones are compared with. Edges are the baseline's deciles, per group.
    Returns the same tidy shape as ``metrics_by_period`` (metric ``psi_<column>``, ``n`` the cases
    in the period), so that ``check_rules`` reads both.
    """
    _frame(df)
    values = _col(df, column, "column")
    per = _periods(df, period, freq)
    cols = _group_cols(df, group)
    base = per <= baseline_end
    if not base.any():
        raise MonitoringInputError(f"no period is at or before baseline_end={baseline_end!r}; periods run from {per.min()}")
    frame = pd.DataFrame({"value": values, "period": per, "base": base})
    for c in cols:
        frame[c] = df[c].reset_index(drop=True)
    rows = []
    for key, part in (frame.groupby(cols, sort=True, observed=True) if cols else [((), frame)]):
        key = key if isinstance(key, tuple) else (key,)
        ref = part.loc[part["base"], "value"]
        if ref.empty:
            continue
        edges = psi_edges(ref, bins)
        for pr, cur in part[~part["base"]].groupby("period", sort=True):
            rows.append({period: pr, **dict(zip(cols, key)), "metric": f"psi_{column}", "n": len(cur),
                         "value": psi(ref, cur["value"], edges=edges)})
    out = pd.DataFrame(rows, columns=[period, *cols, "metric", "n", "value"])
    out.attrs.update(period=period, group=cols, baseline_end=baseline_end)
    return out


def shift_test(expected, actual) -> pd.Series:
    """Two-sample Kolmogorov-Smirnov test: could ``actual`` come from the same distribution as ``expected``?

    Uses ``scipy.stats.ks_2samp``. Returns ``statistic`` (the largest gap between the two cumulative
    distributions, 0 to 1), ``pvalue``, ``n_expected`` and ``n_actual``. With thousands of cases a
    tiny, harmless shift gets a small p-value: judge the size (the statistic, or PSI) as well.
    """
    from scipy import stats

    e, a = _numbers(expected, "expected"), _numbers(actual, "actual")
    res = stats.ks_2samp(e, a)
    return pd.Series({"statistic": float(res.statistic), "pvalue": float(res.pvalue),
                      "n_expected": int(e.size), "n_actual": int(a.size)})


# ---------------------------------------------------------------------------------------------
# Alert and stop rules, set before the system runs


@dataclass(frozen=True)
class Rule:
    """A rule written down before the system runs: when it fires, someone named must act.

    name:    what the rule is called in the monitoring plan.
    metric:  a metric in the table (e.g. ``"recall"``, or ``"psi_declared_income_eur"``).
    below / above: a fixed threshold (give one or both).
    drop / rise: a threshold relative to the group's own baseline: fires when the value is more
             than ``drop`` below (or ``rise`` above) what the group had in the baseline periods
             (``check_rules(..., baseline_end=...)``). Groups differ: a recall of 0.2 can be normal
             for one and a collapse for another.
    periods: how many periods in a row the condition must hold before the rule fires.
    use:     ``"value"`` (default), or ``"ci_high"`` to fire only when the whole interval is below
             the threshold (sure it is low), ``"ci_low"`` when the whole interval is above.
    min_n:   periods with fewer cases in the denominator never count (too few to judge).
    action:  what firing means, e.g. ``"alert"`` or ``"stop"``.
    """

    name: str
    metric: str
    below: float | None = None
    above: float | None = None
    drop: float | None = None
    rise: float | None = None
    periods: int = 1
    use: str = "value"
    min_n: int = 0
    action: str = "alert"

    def __post_init__(self):
        if self.below is None and self.above is None and self.drop is None and self.rise is None:
            raise MonitoringInputError(f"rule {self.name!r} needs a threshold: below=, above=, drop= or rise=")
        if isinstance(self.periods, bool) or not isinstance(self.periods, (int, np.integer)) or self.periods < 1:
            raise MonitoringInputError(f"rule {self.name!r}: periods must be a whole number, 1 or more")
        if self.use not in ("value", "ci_low", "ci_high"):
            raise MonitoringInputError(f"rule {self.name!r}: use must be 'value', 'ci_low' or 'ci_high'")


def _baselines(part: pd.DataFrame, period: str, cols: list[str], baseline_end) -> dict:
    """Each group's pooled value over the periods up to ``baseline_end``."""
    base = part[part[period] <= baseline_end]
    if base.empty:
        raise MonitoringInputError(f"no period in the table is at or before baseline_end={baseline_end!r}")
    if "successes" in base.columns:
        pooled = base.groupby(cols, observed=True)[["successes", "n"]].sum() if cols else base[["successes", "n"]].sum().to_frame().T
        values = pooled["successes"] / pooled["n"]
    else:   # a table without counts (psi_table): the mean of the baseline periods
        values = base.groupby(cols, observed=True)["value"].mean() if cols else pd.Series([base["value"].mean()])
    if not cols:
        return {(): float(values.iloc[0])}
    return {(k if isinstance(k, tuple) else (k,)): float(v) for k, v in values.items()}


def check_rules(table: pd.DataFrame, rules: Iterable[Rule], *, baseline_end=None) -> pd.DataFrame:
    """Every period in which a rule fires, for each group of a ``metrics_by_period`` or ``psi_table`` table.

    baseline_end: the last period of the baseline, needed by rules with ``drop`` or ``rise``; only
    later periods are checked by those rules. (With a rolling window the baseline pools the
    overlapping windows, which weighs its middle periods a little more.)

    Returns one row per firing: ``rule``, ``action``, the period and group columns, ``metric``,
    ``n``, the value the rule read (``observed``), ``threshold`` (the level it crossed), ``streak``
    (periods in a row the condition has held) and ``since`` (the first period of that streak: when
    the change began, as far as the rule can tell). Empty when no rule fires.
    """
    if not isinstance(table, pd.DataFrame) or not {"metric", "value", "n"} <= set(table.columns):
        raise MonitoringInputError("check_rules needs the table metrics_by_period or psi_table returns")
    period = table.attrs.get("period") or table.columns[0]
    cols = list(table.attrs.get("group") or [])
    rules = list(rules)
    if not all(isinstance(r, Rule) for r in rules):
        raise MonitoringInputError("rules must be a list of Rule(...) objects")
    out = []
    for rule in rules:
        part = table[table["metric"] == rule.metric]
        if part.empty:
            known = ", ".join(sorted(table["metric"].unique()))
            raise MonitoringInputError(f"rule {rule.name!r} reads metric {rule.metric!r}, which the table does not have ({known})")
        if rule.use not in part.columns:
            raise MonitoringInputError(f"rule {rule.name!r} uses {rule.use!r}, which the table does not have")
        relative = rule.drop is not None or rule.rise is not None
        if relative and baseline_end is None:
            raise MonitoringInputError(f"rule {rule.name!r} compares with a baseline: give check_rules(..., baseline_end=...)")
        baselines = _baselines(part, period, cols, baseline_end) if relative else {}
        for key, series in (part.groupby(cols, sort=False, observed=True) if cols else [((), part)]):
            key = key if isinstance(key, tuple) else (key,)
            series = series.sort_values(period)
            if relative:
                series = series[series[period] > baseline_end]
            obs = series[rule.use].to_numpy(dtype=float)
            lows = [x for x in (rule.below, None if rule.drop is None else baselines.get(key, np.nan) - rule.drop) if x is not None]
            highs = [x for x in (rule.above, None if rule.rise is None else baselines.get(key, np.nan) + rule.rise) if x is not None]
            low, high = (max(lows) if lows else None), (min(highs) if highs else None)
            ok = (series["n"].to_numpy() >= max(rule.min_n, 1)) & ~np.isnan(obs)
            with np.errstate(invalid="ignore"):
                under = (obs < low) if low is not None else np.zeros(len(obs), dtype=bool)
                over = (obs > high) if high is not None else np.zeros(len(obs), dtype=bool)
            cond = ok & (under | over)
            streak = 0
            labels = series[period].tolist()
            for i, (hit, row) in enumerate(zip(cond, series.itertuples(index=False))):
                streak = streak + 1 if hit else 0
                if streak >= rule.periods:
                    rec = row._asdict()
                    out.append({"rule": rule.name, "action": rule.action, period: rec[period],
                                **dict(zip(cols, key)), "metric": rule.metric, "n": int(rec["n"]),
                                "observed": obs[i], "threshold": low if under[i] else high, "streak": streak,
                                "since": labels[i - streak + 1]})
    result = pd.DataFrame(out, columns=["rule", "action", period, *cols, "metric", "n", "observed", "threshold",
                                        "streak", "since"])
    result.attrs.update(period=period, group=cols)
    return result


def first_firing(fired: pd.DataFrame) -> pd.DataFrame:
    """The first period each rule fired for each group, from ``check_rules``'s result."""
    if not isinstance(fired, pd.DataFrame) or "rule" not in fired.columns:
        raise MonitoringInputError("first_firing needs the table check_rules returns")
    period = fired.attrs.get("period") or fired.columns[2]
    cols = list(fired.attrs.get("group") or [])
    out = fired.sort_values(period, kind="stable").groupby(["rule", *cols], sort=True, observed=True).head(1)
    return out.reset_index(drop=True)
