"""Testing a yes/no decision (a flag, a selection) for discriminatory bias, group by group.

The tools an auditor needs on their own data, not only in the course::

    from coursekit.fairness import group_metrics, flag_disparities, rate_ci

    table = group_metrics(df, y_true="fraud", y_pred="flagged", group="nationality")
    flag_disparities(table)                    # the ratios outside 0.8 to 1.25
    rate_ci(table["selection_rate"] * table["n"], table["n"])   # 95% intervals

``group_metrics`` gives, for each group (or each intersection of groups when ``group`` is a list
of columns), the number of rows ``n`` and five rates:

============== ================================================ ==============================
column         meaning                                          confusion-matrix formula
============== ================================================ ==============================
base_rate      share of the group that truly has the outcome    (TP + FN) / n
selection_rate share of the group the system flags               (TP + FP) / n
fpr            false positive rate: share of the innocent        FP / (FP + TN)
               (true outcome no) who are flagged
fnr            false negative rate: share of true cases missed   FN / (FN + TP)
precision      share of the flags that are right                 TP / (TP + FP)
============== ================================================ ==============================

and, for each rate, ``<rate>_ratio``: the group's rate divided by the reference group's (the
largest group unless you name one). A rate whose denominator is zero (precision for a group
with no flags, say) is ``NaN``: undefined, not zero.

Bad input raises ``FairnessInputError`` (a ``ValueError`` and a ``coursekit.errors.UsageError``)
with a message that names the column and says how to fix it.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from coursekit import templating
from coursekit.errors import UsageError

__all__ = [
    "RATES",
    "FairnessInputError",
    "confusion_by_group",
    "group_metrics",
    "flag_disparities",
    "rate_ci",
    "threshold_table",
    "ThresholdExplorer",
]

RATES = ("base_rate", "selection_rate", "fpr", "fnr", "precision")
# Ratios checked by default: the base rate is a fact about the population, not about the system.
DEFAULT_CHECKED = ("selection_rate", "fpr", "fnr", "precision")


class FairnessInputError(UsageError, ValueError):
    """The data or arguments given to a fairness function cannot be audited as they are."""


# ---------------------------------------------------------------------------------------------
# Checking the input


def _check_frame(df) -> None:
    if not isinstance(df, pd.DataFrame):
        raise FairnessInputError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise FairnessInputError("the DataFrame has no rows: there is nothing to audit (did a filter remove every row?)")


def _column(df: pd.DataFrame, name, role: str) -> pd.Series:
    if not isinstance(name, str):
        raise FairnessInputError(f"{role} must be the name of a column (a string), got {type(name).__name__}")
    if name not in df.columns:
        known = ", ".join(map(str, df.columns[:12])) + (", ..." if len(df.columns) > 12 else "")
        raise FairnessInputError(f"no column {name!r} for {role}; the columns are: {known}")
    return df[name]


def _binary(series: pd.Series, name: str, role: str) -> np.ndarray:
    """A yes/no column as a bool array, or a clear error saying what is wrong with it."""
    missing = int(series.isna().sum())
    if missing:
        hint = ""
        if role == "y_true":
            hint = (" If the outcome is only known for some rows (say, the cases that were investigated),"
                    " rates computed on those rows alone are biased: see 'selective labels'.")
        raise FairnessInputError(
            f"column {name!r} ({role}) has {missing:,} missing values of {len(series):,}; "
            f"every row needs a True/False (or 1/0) value.{hint}"
        )
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=bool)
    values = pd.unique(series)
    try:
        ok = set(np.asarray(values, dtype=float).tolist()) <= {0.0, 1.0}
    except (TypeError, ValueError):
        ok = False
    if not ok:
        examples = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in list(values)[:4])
        hint = ""
        if role == "y_pred" and pd.api.types.is_float_dtype(series.dtype):
            hint = f" If {name!r} is a score, turn it into a decision first, e.g. df[{name!r}] >= threshold."
        raise FairnessInputError(
            f"column {name!r} ({role}) must be binary (True/False or 1/0), but it holds values such as {examples}.{hint}"
        )
    return np.asarray(series, dtype=float) == 1.0


def _groups(df: pd.DataFrame, group) -> list[str]:
    cols = [group] if isinstance(group, str) else list(group) if isinstance(group, (list, tuple)) else None
    if cols is None:
        raise FairnessInputError(f"group must be a column name or a list of column names, got {type(group).__name__}")
    if not cols:
        raise FairnessInputError("group is an empty list: name at least one column to split the rows by")
    for c in cols:
        s = _column(df, c, "group")
        missing = int(s.isna().sum())
        if missing:
            raise FairnessInputError(
                f"group column {c!r} has {missing:,} missing values; those rows would silently drop out of the audit. "
                f"Give them a label (df[{c!r}].fillna('unknown')) or remove them on purpose."
            )
        if isinstance(s.dtype, pd.CategoricalDtype):
            empty = [cat for cat in s.cat.categories if not (s == cat).any()]
            if empty:
                raise FairnessInputError(
                    f"group column {c!r} has a category with no rows: {empty[0]!r}. A rate for an empty group is "
                    f"undefined; drop unused categories first (df[{c!r}].cat.remove_unused_categories())."
                )
    if len(set(cols)) != len(cols):
        raise FairnessInputError(f"group names a column twice: {cols}")
    return cols


def _decision(df: pd.DataFrame, y, role: str) -> np.ndarray:
    if isinstance(y, (pd.Series, np.ndarray, list)):
        if len(y) != len(df):
            raise FairnessInputError(f"{role} has {len(y):,} values but the DataFrame has {len(df):,} rows")
        s = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
        return _binary(s.reset_index(drop=True), str(getattr(y, "name", None) or role), role)
    return _binary(_column(df, y, role), y, role)


# ---------------------------------------------------------------------------------------------
# The metrics


def _pick_reference(index: pd.Index, sizes: pd.Series, reference):
    if reference is None:
        return sizes.idxmax()  # the largest group; the first one in the table on a tie
    key = reference
    if isinstance(index, pd.MultiIndex):
        if not isinstance(reference, tuple) or len(reference) != index.nlevels:
            example = index[0]
            raise FairnessInputError(
                f"with {index.nlevels} group columns the reference must be a tuple of {index.nlevels} values, "
                f"one per column ({', '.join(map(str, index.names))}), e.g. {example!r}; got {reference!r}"
            )
    if key not in index:
        known = ", ".join(repr(g) for g in list(index)[:10]) + (", ..." if len(index) > 10 else "")
        cols = ", ".join(map(str, index.names))
        raise FairnessInputError(f"unknown reference group {reference!r}: column(s) {cols} hold the groups {known}")
    return key


def confusion_by_group(df: pd.DataFrame, y_true, y_pred, group) -> pd.DataFrame:
    """The confusion matrix of each group: counts ``tp``, ``fp``, ``fn``, ``tn`` and ``n``.

    TP: flagged and truly positive; FP: flagged but truly negative; FN: missed positives;
    TN: correctly left alone.
    """
    _check_frame(df)
    cols = _groups(df, group)
    t = _decision(df, y_true, "y_true")
    p = _decision(df, y_pred, "y_pred")
    # By position, so that any index works (even one with duplicate labels), and the group columns
    # go in the grouping keys so that a group column called "tp" or "n" cannot clash with a count.
    counts = pd.DataFrame({"tp": t & p, "fp": ~t & p, "fn": t & ~p, "tn": ~t & ~p}).astype(int)
    keys = [df[c].reset_index(drop=True) for c in cols]
    out = counts.groupby(keys if len(keys) > 1 else keys[0], sort=True, observed=True).sum()
    out["n"] = out.sum(axis=1)
    return out


def group_metrics(df: pd.DataFrame, y_true, y_pred, group, reference=None) -> pd.DataFrame:
    """Rates per group and their ratio to a reference group.

    df:        one row per case (person, application...).
    y_true:    column (or array) with the true outcome, True/False or 1/0, no missing values.
    y_pred:    column (or array) with the system's decision, True/False or 1/0 (not a score).
    group:     a column name, or a list of column names for intersections (e.g. sex x nationality).
    reference: the group ratios are taken against; by default the largest group. For a list of
               columns give a tuple, e.g. ``("female", "citizen")``.

    Returns a DataFrame indexed by group with ``n``, the five rates and their ratios; the
    reference group is in ``result.attrs["reference"]``.

    The rates come from each group's confusion matrix (``confusion_by_group``), the same sums
    an auditor does by hand. They equal what Fairlearn's ``MetricFrame`` gives with
    ``selection_rate``, ``false_positive_rate``, ``false_negative_rate`` and ``precision_score``
    (the tests check this), with two differences that matter in an audit: a rate with a zero
    denominator is ``NaN`` rather than 0, and the table is computed in one pass, fast enough to
    recompute on every move of a threshold slider.
    """
    c = confusion_by_group(df, y_true, y_pred, group)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame(
            {
                "n": c["n"],
                "base_rate": (c["tp"] + c["fn"]) / c["n"],
                "selection_rate": (c["tp"] + c["fp"]) / c["n"],
                "fpr": c["fp"] / (c["fp"] + c["tn"]),
                "fnr": c["fn"] / (c["fn"] + c["tp"]),
                "precision": c["tp"] / (c["tp"] + c["fp"]),
            },
            index=c.index,
        ).replace([np.inf, -np.inf], np.nan)
    ref = _pick_reference(table.index, table["n"], reference)
    for rate in RATES:
        ref_value = table.loc[ref, rate]
        table[f"{rate}_ratio"] = table[rate] / ref_value if ref_value else math.nan
    table.columns.name = None
    table.attrs["reference"] = ref
    return table


def flag_disparities(metrics: pd.DataFrame, low: float = 0.8, high: float = 1.25,
                     rates: Iterable[str] | None = None, all_rows: bool = False) -> pd.DataFrame:
    """The ratios in a ``group_metrics`` table that fall outside the band [low, high].

    The default band, 0.8 to 1.25, is Aequitas's and echoes the US four-fifths rule: a rate less
    than four-fifths of the reference's, or more than five-fourths of it, is flagged for a closer
    look. It is a screen, not a verdict: small groups give noisy ratios (check ``n`` and
    ``rate_ci``) and a ratio inside the band can still hide harm.

    rates:    which rates to check (default: selection_rate, fpr, fnr, precision).
    all_rows: return every group and rate with an ``outside`` column instead of only those outside.

    Returns one row per group and rate: the group, ``metric``, ``value``, ``reference_value``,
    ``ratio`` and ``direction`` ("higher" or "lower" than the reference).
    """
    if not isinstance(metrics, pd.DataFrame) or not any(str(c).endswith("_ratio") for c in metrics.columns):
        raise FairnessInputError("flag_disparities needs the table that group_metrics returns (with '<rate>_ratio' columns)")
    try:
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        raise FairnessInputError(f"low and high must be numbers, got {low!r} and {high!r}")
    if not (0 < low < 1 < high):
        raise FairnessInputError(f"the band must satisfy 0 < low < 1 < high (e.g. 0.8 and 1.25); got low={low}, high={high}")
    rates = list(DEFAULT_CHECKED if rates is None else ([rates] if isinstance(rates, str) else rates))
    for r in rates:
        if f"{r}_ratio" not in metrics.columns:
            raise FairnessInputError(f"unknown rate {r!r}; the table has ratios for: "
                                     + ", ".join(c[:-6] for c in metrics.columns if str(c).endswith("_ratio")))
    ref = metrics.attrs.get("reference")
    rows = []
    for key, row in metrics.iterrows():
        for r in rates:
            ratio = row[f"{r}_ratio"]
            value = row[r]
            ref_value = metrics.loc[ref, r] if ref is not None and ref in metrics.index else (value / ratio if ratio else math.nan)
            outside = bool(pd.notna(ratio) and (ratio < low or ratio > high))
            if outside or all_rows:
                rows.append({"group": key, "metric": r, "value": value, "reference_value": ref_value, "ratio": ratio,
                             "direction": ("undefined" if pd.isna(ratio) else "higher" if ratio > 1
                                           else "lower" if ratio < 1 else "equal"),
                             "outside": outside})
    out = pd.DataFrame(rows, columns=["group", "metric", "value", "reference_value", "ratio", "direction", "outside"])
    names = list(metrics.index.names)
    if isinstance(metrics.index, pd.MultiIndex):
        parts = pd.DataFrame(out["group"].tolist(), columns=names) if len(out) else pd.DataFrame(columns=names)
        out = pd.concat([parts, out.drop(columns="group")], axis=1)
    else:
        out = out.rename(columns={"group": names[0] or "group"})
    if not all_rows:
        out = out.drop(columns="outside")
    return out


def rate_ci(successes, n, confidence: float = 0.95):
    """Wilson score interval for a rate of ``successes`` out of ``n``: returns ``(low, high)``.

    Works on single numbers or on whole columns (Series or arrays of the same length). It stays
    inside 0 to 1 and behaves well for small groups and for rates near 0, where the textbook
    "p plus or minus 1.96 standard errors" interval does not. Where ``n`` is 0 the interval is NaN.
    """
    if not 0 < confidence < 1:
        raise FairnessInputError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    scalar = np.ndim(successes) == 0 and np.ndim(n) == 0
    index = successes.index if isinstance(successes, pd.Series) else n.index if isinstance(n, pd.Series) else None
    try:
        k = np.asarray(successes, dtype=float)
        m = np.asarray(n, dtype=float)
    except (TypeError, ValueError):
        raise FairnessInputError("successes and n must be numbers (counts)")
    if np.any(np.isnan(k)) or np.any(np.isnan(m)):
        raise FairnessInputError("successes and n must not be missing")
    if np.any(m < 0) or np.any(k < 0):
        raise FairnessInputError("successes and n must not be negative")
    if np.any(k > m):
        raise FairnessInputError("successes cannot be larger than n (a rate above 100%)")
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denom = 1 + z * z / m
        centre = (p + z * z / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / denom
        lo = np.where(m > 0, np.clip(centre - half, 0, 1), np.nan)
        hi = np.where(m > 0, np.clip(centre + half, 0, 1), np.nan)
    if scalar:
        return float(lo), float(hi)
    if index is not None:
        return pd.Series(lo, index=index, name="low"), pd.Series(hi, index=index, name="high")
    return lo, hi


# ---------------------------------------------------------------------------------------------
# Thresholds: what changes when the cut-off on a risk score moves


def _score(df: pd.DataFrame, score: str) -> pd.Series:
    s = _column(df, score, "score")
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise FairnessInputError(f"score column {score!r} must hold numbers (a risk score), not {s.dtype}")
    if s.isna().any():
        raise FairnessInputError(f"score column {score!r} has {int(s.isna().sum()):,} missing values")
    return s


def threshold_table(df: pd.DataFrame, score: str, y_true, group, thresholds: Sequence[float],
                    reference=None) -> pd.DataFrame:
    """``group_metrics`` at each threshold (flag = score >= threshold), stacked in one long table."""
    _check_frame(df)
    s = _score(df, score)
    thresholds = list(thresholds)
    if not thresholds:
        raise FairnessInputError("give at least one threshold")
    parts = []
    for th in thresholds:
        m = group_metrics(df, y_true, (s >= th).to_numpy(), group, reference)
        parts.append(m.assign(threshold=th).set_index("threshold", append=True))
    out = pd.concat(parts)
    names = list(out.index.names)
    return out.reorder_levels([names[-1], *names[:-1]]).sort_index()


class ThresholdExplorer:
    """Flag rate and error rates per group as the threshold on a risk score moves.

    The logic is plain Python so it can be tested and used without a browser::

        ex = ThresholdExplorer(audit, score="risk_score", y_true="true_fraud", group="nationality_status")
        ex.at(0.4)          # the group_metrics table at threshold 0.4
        print(ex.describe(0.4))
        ex.widget()         # a slider in Jupyter (ipywidgets)
    """

    COLUMNS = ["n", "selection_rate", "fpr", "fnr", "precision", "selection_rate_ratio", "fpr_ratio"]

    def __init__(self, df: pd.DataFrame, score: str, y_true, group, reference=None):
        _check_frame(df)
        self.scores = _score(df, score)
        self.score = score
        self.df = df
        self.y_true = y_true
        self.group = group
        # Check everything once now, so that the slider never shows an error later.
        first = group_metrics(df, y_true, (self.scores >= self.scores.median()).to_numpy(), group, reference)
        self.reference = first.attrs["reference"]

    def at(self, threshold: float) -> pd.DataFrame:
        """The ``group_metrics`` table when applications with score >= ``threshold`` are flagged."""
        try:
            threshold = float(threshold)
        except (TypeError, ValueError):
            raise FairnessInputError(f"threshold must be a number, got {threshold!r}")
        flags = (self.scores >= threshold).to_numpy()
        return group_metrics(self.df, self.y_true, flags, self.group, self.reference)[self.COLUMNS]

    def describe(self, threshold: float) -> str:
        """The table at ``threshold`` in sentences: flag rate, errors and ratio per group."""
        t = self.at(threshold)
        flagged = int(round((t["selection_rate"] * t["n"]).sum()))
        lines = [f"Threshold {threshold:.2f}: {flagged:,} of {int(t['n'].sum()):,} flagged "
                 f"({flagged / t['n'].sum():.1%}). Reference group: {self.reference}."]
        for key, row in t.iterrows():
            name = " / ".join(map(str, key)) if isinstance(key, tuple) else str(key)
            lines.append(
                f"- {name}: flag rate {row['selection_rate']:.1%} (x{row['selection_rate_ratio']:.2f}), "
                f"false positive rate {row['fpr']:.1%}, false negative rate {row['fnr']:.1%}, "
                f"precision {_pct(row['precision'])}"
            )
        return "\n".join(lines)

    def widget(self, min: float = 0.05, max: float = 0.8, step: float = 0.01, value: float | None = None):
        """An ipywidgets slider with the per-group table under it (needs a running Jupyter kernel to move)."""
        import ipywidgets as w

        value = float(np.clip(self.scores.quantile(0.96) if value is None else value, min, max))
        slider = w.FloatSlider(value=round(value, 2), min=min, max=max, step=step, description="threshold",
                               continuous_update=False, readout_format=".2f",
                               style={"description_width": "initial"}, layout=w.Layout(width="520px"))
        text = w.HTML()

        def render(_=None):
            t = self.at(slider.value)
            shown = t.copy()
            for c in ("selection_rate", "fpr", "fnr", "precision"):
                shown[c] = shown[c].map(_pct)
            for c in ("selection_rate_ratio", "fpr_ratio"):
                shown[c] = shown[c].map(lambda v: "-" if pd.isna(v) else f"{v:.2f}")
            shown.columns = ["applications", "flag rate", "false positive rate", "false negative rate",
                             "precision", "flag-rate ratio", "FPR ratio"]
            summary = self.describe(slider.value).splitlines()[0]
            text.value = templating.render("coursekit.widgets", "threshold.html.j2", summary=summary,
                                           table=shown.to_html(escape=True))

        slider.observe(render, names="value")
        render()
        box = w.VBox([slider, text])
        box.slider, box.output = slider, text  # handles for tests and for authors
        return box


def _pct(v) -> str:
    return "-" if pd.isna(v) else f"{v:.1%}"
