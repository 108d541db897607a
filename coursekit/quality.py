"""Reviewing a dataset before it feeds a decision: completeness, validity, duplicates, coverage.

The tools a reviewer needs on their own data, not only in the course::

    from coursekit.quality import completeness, validity, duplicates, coverage, report

    completeness(df, by="nationality_status")                   # missing values by column and group
    validity(df, {"region": pa.Check.isin(REGIONS)})            # pandera checks, failures counted
    duplicates(df, key="personal_number")                       # records sharing a key
    duplicates(df, fuzzy=["first_name", "last_name"], block=["date_of_birth"])   # similar names
    coverage(df, "age_band", reference=census_shares)           # the data's shares against a reference
    report(df, ...)                                             # one line per finding, one page

Every function takes a DataFrame and column names, with options by keyword only, and returns a
tidy DataFrame (one row per column, group, rule, record or category), so results can be filtered,
plotted and put in a report like any other table.

Rule checks are pandera checks (``import pandera.pandas as pa``; ``pa.Check.isin``,
``pa.Check.in_range``, ``pa.Check.str_matches``, or ``pa.Check(function)``), validated lazily so
that every failure is collected, not only the first. At scale a team keeps the same rules in a
pandera schema (or in Great Expectations suites) and runs them on every delivery of data.

Fuzzy duplicates compare every pair of records **within a block** (records that agree exactly on
the ``block`` columns, such as the same birth date), never all pairs of the whole table: on a
table of n records that is a few thousand comparisons instead of n squared / 2. Pairs whose
blocking columns disagree (a typo in the birth date, say) are not compared: choose the block
with that in mind, and say so in the report.

Bad input raises ``QualityInputError`` (a ``ValueError`` and a ``coursekit.errors.UsageError``)
with a message that names the column and says how to fix it.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from coursekit.errors import UsageError

__all__ = [
    "QualityInputError",
    "completeness",
    "validity",
    "failures",
    "normalise_text",
    "name_similarity",
    "duplicate_pairs",
    "duplicates",
    "coverage",
    "report",
]

#: How alike two records' fuzzy columns must be, on average, to count as the same person (0 to 1).
DEFAULT_THRESHOLD = 0.8


class QualityInputError(UsageError, ValueError):
    """The data or arguments given to a data-quality function cannot be reviewed as they are."""


# ---------------------------------------------------------------------------------------------
# Checking the input


def _check_frame(df) -> None:
    if not isinstance(df, pd.DataFrame):
        raise QualityInputError(f"expected a pandas DataFrame, got {type(df).__name__}")


def _columns(df: pd.DataFrame, names, role: str) -> list[str]:
    """Column names as a list, each checked to exist."""
    if names is None:
        return []
    cols = [names] if isinstance(names, str) else list(names) if isinstance(names, (list, tuple)) else None
    if cols is None:
        raise QualityInputError(f"{role} must be a column name or a list of column names, got {type(names).__name__}")
    for c in cols:
        if c not in df.columns:
            known = ", ".join(map(str, df.columns[:12])) + (", ..." if len(df.columns) > 12 else "")
            raise QualityInputError(f"no column {c!r} for {role}; the columns are: {known}")
    return cols


# ---------------------------------------------------------------------------------------------
# Completeness


def completeness(df: pd.DataFrame, columns=None, *, by=None) -> pd.DataFrame:
    """Missing values per column, and per group when ``by`` names one or more columns.

    Returns one row per column (and group): ``rows``, ``missing`` and ``missing_rate`` (missing /
    rows). A group's rows with a missing value in ``by`` itself form a group labelled ``<NA>``.
    """
    _check_frame(df)
    group_cols = _columns(df, by, "by")
    cols = _columns(df, columns, "columns") or [c for c in df.columns if c not in group_cols]
    missing = df[cols].isna()
    if not group_cols:
        out = pd.DataFrame({"column": cols, "rows": len(df), "missing": missing.sum().to_numpy()})
    else:
        keys = [df[g] for g in group_cols]
        counts = missing.groupby(keys, dropna=False, observed=True).agg(["size", "sum"])
        out = counts.stack(level=0, future_stack=True).reset_index()
        out.columns = [*group_cols, "column", "rows", "missing"]
    out["rows"] = out["rows"].astype("int64")
    out["missing"] = out["missing"].astype("int64")
    out["missing_rate"] = np.where(out["rows"] > 0, out["missing"] / out["rows"].clip(lower=1), np.nan)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Validity: rules as pandera checks


def _as_list(checks) -> list[pa.Check]:
    items = checks if isinstance(checks, (list, tuple)) else [checks]
    for c in items:
        if not isinstance(c, pa.Check):
            raise QualityInputError(f"a rule must be a pandera Check (e.g. pa.Check.isin([...])), got {type(c).__name__}")
    return list(items)


def _schema(df: pd.DataFrame, rules, row_rules) -> pa.DataFrameSchema:
    if isinstance(rules, pa.DataFrameSchema):
        if row_rules:
            raise QualityInputError("give row_rules with a dict of rules, not with a ready-made schema "
                                    "(add them to the schema's checks instead)")
        return rules
    if not isinstance(rules, Mapping):
        raise QualityInputError("rules must be a dict {column: pandera Check or list of Checks} or a pandera DataFrameSchema")
    _columns(df, list(rules), "rules")
    row_checks = []
    for name, fn in (row_rules or {}).items():
        if not callable(fn):
            raise QualityInputError(f"row rule {name!r} must be a function of the DataFrame that returns True/False per row")
        row_checks.append(pa.Check(fn, name=name))
    # nullable: a missing value is a completeness problem, reported by completeness(), not a rule failure
    columns = {c: pa.Column(checks=_as_list(chk), nullable=True) for c, chk in rules.items()}
    return pa.DataFrameSchema(columns, checks=row_checks)


def _label(check: pa.Check) -> str:
    """A rule's name as a report shows it: the name given to the check, else pandera's own description."""
    if check.name and check.name not in _BUILTIN_NAMES:
        return str(check.name)
    return str(check.error or check.name)


_BUILTIN_NAMES = {"isin", "notin", "in_range", "greater_than", "greater_than_or_equal_to", "less_than",
                  "less_than_or_equal_to", "equal_to", "not_equal_to", "str_matches", "str_contains",
                  "str_startswith", "str_endswith", "str_length", "unique_values_eq"}


def _rule_list(schema: pa.DataFrameSchema) -> list[tuple[str, int, str]]:
    """(column, check number, label) of every rule, ``"(row)"`` standing for the rules on whole rows."""
    listed = [(c, i, _label(chk)) for c, col in schema.columns.items() for i, chk in enumerate(col.checks)]
    return listed + [("(row)", i, _label(chk)) for i, chk in enumerate(schema.checks)]


def failures(df: pd.DataFrame, rules, *, row_rules: Mapping[str, Callable] | None = None) -> pd.DataFrame:
    """Every record that breaks a rule: one row per (record, rule), with ``row`` (the DataFrame's
    index label), ``column`` (``"(row)"`` for a rule on the whole row), ``rule`` and ``value``
    (empty for a rule on the whole row)."""
    _check_frame(df)
    schema = _schema(df, rules, row_rules)
    empty = pd.DataFrame({k: pd.Series([], dtype=object) for k in ("row", "column", "rule", "value")})
    try:
        schema.validate(df, lazy=True)
    except SchemaErrors as err:
        fc = err.failure_cases
    else:
        return empty
    fc = fc[fc["index"].notna()]  # checks on whole columns (dtype, presence) carry no row
    labels = {(c, i): lab for c, i, lab in _rule_list(schema)}
    is_row_rule = fc["schema_context"].astype(str).eq("DataFrameSchema").to_numpy()
    column = np.where(is_row_rule, "(row)", fc["column"].astype(str).to_numpy())
    numbers = fc["check_number"].to_numpy()
    rule = [labels.get((c, int(k)), "") for c, k in zip(column, numbers)]
    # a rule on the whole row has no one failing value: pandera lists each of the row's values
    value = np.where(is_row_rule, None, fc["failure_case"].to_numpy(dtype=object))
    out = pd.DataFrame({"row": fc["index"].to_numpy(), "column": column, "rule": rule, "value": value})
    out = out[out["rule"] != ""]  # failures of pandera's own checks (types), not of a rule
    return out.drop_duplicates(["row", "column", "rule"]).sort_values(["column", "rule", "row"]).reset_index(drop=True)


def validity(df: pd.DataFrame, rules, *, row_rules: Mapping[str, Callable] | None = None) -> pd.DataFrame:
    """How many records break each rule.

    ``rules`` maps a column to a pandera ``Check`` (or a list of them), or is a ready-made
    ``pa.DataFrameSchema``; ``row_rules`` maps a name to a function of the DataFrame that says, per
    row, whether the row is valid (for rules across columns, such as a decision after its
    application). Missing values are not counted as failures: ``completeness`` counts them.

    Returns one row per rule: ``column``, ``rule``, ``failing_records``, ``failure_rate`` (of all
    rows) and up to three ``examples`` of failing values.
    """
    fails = failures(df, rules, row_rules=row_rules)
    schema = _schema(df, rules, row_rules)
    rows = []
    for column, _, rule in _rule_list(schema):
        hit = fails[(fails["column"] == column) & (fails["rule"] == rule)]
        examples = list(dict.fromkeys(map(str, hit["value"].dropna())))[:3]
        rows.append({"column": column, "rule": rule, "failing_records": int(hit["row"].nunique()),
                     "failure_rate": hit["row"].nunique() / len(df) if len(df) else np.nan,
                     "examples": ", ".join(examples)})
    return pd.DataFrame(rows, columns=["column", "rule", "failing_records", "failure_rate", "examples"])


# ---------------------------------------------------------------------------------------------
# Duplicates


def normalise_text(value) -> str:
    """A name as a comparison sees it: lower case, accents and dots removed, no spaces or hyphens.
    ``"El-Amrani"``, ``"el amrani"`` and ``"Elamrani"`` all become ``"elamrani"``."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = unicodedata.normalize("NFKD", str(value).replace("ı", "i"))
    return "".join(ch for ch in text.lower() if ch.isalnum())


def name_similarity(a, b) -> float:
    """How alike two names are, from 0 (nothing in common) to 1 (the same once normalised).

    The ratio of Python's ``difflib.SequenceMatcher``: twice the number of matching characters
    divided by the total length of both names."""
    x, y = normalise_text(a), normalise_text(b)
    if not x and not y:
        return 1.0
    return SequenceMatcher(None, x, y, autojunk=False).ratio()


def duplicate_pairs(df: pd.DataFrame, *, fuzzy, block, threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Pairs of records that look like the same person: within each block (records equal on every
    ``block`` column), every pair whose ``fuzzy`` columns are alike on average at least ``threshold``.

    Returns one row per pair: ``left`` and ``right`` (index labels, left before right in the
    table's order), the similarity of each fuzzy column (``<column>_similarity``) and their mean
    ``similarity``. Records with a missing value in a block column are compared with none.
    """
    _check_frame(df)
    fuzzy_cols = _columns(df, fuzzy, "fuzzy")
    block_cols = _columns(df, block, "block")
    if not fuzzy_cols or not block_cols:
        raise QualityInputError("name the columns to compare (fuzzy=...) and the columns that must agree exactly (block=...)")
    if not 0 < threshold <= 1:
        raise QualityInputError(f"threshold must be between 0 and 1 (1 = identical once normalised), got {threshold!r}")
    normal = {c: df[c].map(normalise_text).to_numpy(dtype=object) for c in fuzzy_cols}
    position = pd.Series(np.arange(len(df)), index=df.index)
    rows = []
    for _, members in df.groupby(block_cols, dropna=True, sort=False).groups.items():
        if len(members) < 2:
            continue
        pos = np.sort(position.loc[members].to_numpy())
        for i in range(len(pos)):
            for j in range(i + 1, len(pos)):
                a, b = pos[i], pos[j]
                sims = [SequenceMatcher(None, normal[c][a], normal[c][b], autojunk=False).ratio()
                        if normal[c][a] or normal[c][b] else 1.0 for c in fuzzy_cols]
                score = float(np.mean(sims))
                if score >= threshold:
                    rows.append([df.index[a], df.index[b], *sims, score])
    columns = ["left", "right", *[f"{c}_similarity" for c in fuzzy_cols], "similarity"]
    return pd.DataFrame(rows, columns=columns)


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components of the graph whose edges are the pairs: chains a~b, b~c are one person."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def duplicates(df: pd.DataFrame, *, key=None, fuzzy=None, block=None,
               threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """The records that belong to a group of duplicates, with their group.

    Either by a ``key`` (records with the same value in every key column are the same person), or
    by a fuzzy rule (``fuzzy`` columns alike within ``block``, see ``duplicate_pairs``; records
    linked through a chain of pairs form one group).

    Returns the duplicated records (the columns used, under their own index) with
    ``duplicate_group`` (a number per group) and ``group_size``. ``len(result)`` records belong to
    ``result["duplicate_group"].nunique()`` groups, so ``len(result) - nunique`` are surplus copies.
    """
    _check_frame(df)
    if (key is None) == (fuzzy is None):
        raise QualityInputError("give either key=... (exact duplicates) or fuzzy=... with block=... (similar records), not both")
    if key is not None:
        cols = _columns(df, key, "key")
        if not cols:
            raise QualityInputError("key is an empty list: name at least one column")
        group = df.groupby(cols, dropna=True, sort=False).ngroup()
        size = group.map(group.value_counts())
        keep = (group >= 0) & (size > 1)
    else:
        cols = _columns(df, block, "block") + _columns(df, fuzzy, "fuzzy")
        pairs = duplicate_pairs(df, fuzzy=fuzzy, block=block, threshold=threshold)
        position = pd.Series(np.arange(len(df)), index=df.index)
        left = position.loc[pairs["left"]].to_numpy() if len(pairs) else np.array([], dtype=int)
        right = position.loc[pairs["right"]].to_numpy() if len(pairs) else np.array([], dtype=int)
        labels = pd.Series(_components(len(df), left, right), index=df.index)
        size = labels.map(labels.value_counts())
        group, keep = labels, size > 1
    out = df.loc[keep, cols].copy()
    # groups numbered 1, 2, ... in the order they first appear in the table
    out["duplicate_group"] = pd.factorize(group[keep])[0] + 1
    out["group_size"] = size[keep].astype("int64")
    return out


# ---------------------------------------------------------------------------------------------
# Coverage against a reference population


def coverage(df: pd.DataFrame, column: str, *, reference) -> pd.DataFrame:
    """Each category's share of the records against its share of a reference population.

    ``reference`` maps each category to a count or a share (a dict or a Series; it is scaled to
    shares). Returns one row per category: ``records``, ``share``, ``reference_share``,
    ``ratio`` (share / reference share: below 1 means under-represented) and ``gap``
    (share minus reference share). Categories in the data but not in the reference, or the other
    way round, are kept, with a share of 0 on the side that lacks them.
    """
    _check_frame(df)
    (col,) = _columns(df, column, "column")
    if isinstance(reference, Mapping):
        reference = pd.Series(dict(reference), dtype="float64")
    if not isinstance(reference, pd.Series):
        raise QualityInputError("reference must be a dict or a pandas Series {category: count or share}")
    ref = reference.astype("float64")
    if (ref < 0).any() or ref.sum() <= 0:
        raise QualityInputError("reference counts or shares must be zero or more, and not all zero")
    counts = df[col].value_counts(dropna=True)
    cats = list(ref.index) + [c for c in counts.index if c not in ref.index]
    records = counts.reindex(cats, fill_value=0).astype("int64")
    share = records / records.sum() if records.sum() else records.astype(float)
    ref_share = (ref / ref.sum()).reindex(cats, fill_value=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ref_share > 0, share / ref_share.where(ref_share > 0, 1.0), np.nan)
    return pd.DataFrame({col: cats, "records": records.to_numpy(), "share": share.to_numpy(),
                         "reference_share": ref_share.to_numpy(), "ratio": ratio,
                         "gap": (share - ref_share).to_numpy()})


# ---------------------------------------------------------------------------------------------
# The one-page report


def report(df: pd.DataFrame, *, rules=None, row_rules=None, key=None, fuzzy=None, block=None,
           threshold: float = DEFAULT_THRESHOLD, by=None, coverage_of: str | None = None, reference=None,
           min_missing_rate: float = 0.0, min_ratio: float = 0.8) -> pd.DataFrame:
    """Every finding of a review, one row each, in the dimensions of the UK Government Data Quality
    Framework: ``dimension``, ``check``, ``records`` (affected), ``rate`` and ``detail``.

    Runs what its arguments ask for: completeness by column (and, with ``by``, the group with the
    highest missing rate for each incomplete column), the ``rules`` (validity), duplicates by
    ``key`` and/or by ``fuzzy`` within ``block`` (uniqueness), and coverage of ``coverage_of``
    against ``reference`` (representativeness: categories whose ratio is below ``min_ratio``).
    Rows with no problem are left out, so an empty report means nothing was found.
    """
    _check_frame(df)
    rows: list[dict] = []
    n = len(df)
    comp = completeness(df)
    for r in comp[comp["missing_rate"] > min_missing_rate].itertuples():
        detail = ""
        if by is not None:
            per = completeness(df, [r.column], by=by).sort_values("missing_rate", ascending=False)
            top = per.iloc[0]
            label = "/".join(str(top[g]) for g in _columns(df, by, "by"))
            detail = f"highest in {label}: {top['missing_rate']:.1%} of {int(top['rows']):,}"
        rows.append({"dimension": "completeness", "check": f"{r.column} missing", "records": int(r.missing),
                     "rate": r.missing_rate, "detail": detail})
    if rules is not None or row_rules:
        for r in validity(df, rules if rules is not None else {}, row_rules=row_rules).itertuples():
            if r.failing_records:
                rows.append({"dimension": "validity", "check": f"{r.column}: {r.rule}", "records": int(r.failing_records),
                             "rate": r.failure_rate, "detail": f"e.g. {r.examples}"})
    for label, found in (("key", duplicates(df, key=key) if key is not None else None),
                         ("fuzzy", duplicates(df, fuzzy=fuzzy, block=block, threshold=threshold) if fuzzy is not None else None)):
        if found is None or not len(found):
            continue
        groups = found["duplicate_group"].nunique()
        rule = (f"same {', '.join(_columns(df, key, 'key'))}" if label == "key" else
                f"{', '.join(_columns(df, fuzzy, 'fuzzy'))} alike (>= {threshold:g}) within the same "
                f"{', '.join(_columns(df, block, 'block'))}")
        rows.append({"dimension": "uniqueness", "check": f"duplicates: {rule}", "records": int(len(found) - groups),
                     "rate": (len(found) - groups) / n if n else np.nan,
                     "detail": f"{groups:,} groups of {len(found):,} records; records = surplus copies"})
    if coverage_of is not None:
        if reference is None:
            raise QualityInputError("coverage_of needs reference=... (a dict or Series of counts or shares)")
        cov = coverage(df, coverage_of, reference=reference)
        for r in cov[cov["ratio"] < min_ratio].itertuples(index=False):
            rows.append({"dimension": "representativeness", "check": f"{coverage_of} = {r[0]}",
                         "records": int(r.records), "rate": r.share,
                         "detail": f"{r.share:.1%} of records against {r.reference_share:.1%} of the reference (ratio {r.ratio:.2f})"})
    return pd.DataFrame(rows, columns=["dimension", "check", "records", "rate", "detail"])
