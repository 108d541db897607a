"""pandera schemas for the datasets, built from the same column specifications that write and
read the CSV files, so the schema cannot disagree with the data dictionary."""

from __future__ import annotations

import pandera.pandas as pa

from coursekit.datasets._common import Column, Table


def _dtype(c: Column):
    if c.kind == "str":
        return None  # object or str dtype depending on pandas version; checked by the checks
    if c.kind == "int":
        return "Int64" if c.nullable else "int64"
    if c.kind == "float":
        return "float64"
    if c.kind == "bool":
        return "boolean" if c.nullable else "bool"
    return "datetime64[ns]"  # load() converts dates to nanosecond resolution on every pandas version


def _checks(c: Column) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if c.values is not None:
        checks.append(pa.Check.isin(list(c.values)))
    if c.min is not None:
        checks.append(pa.Check.ge(c.min))
    if c.max is not None:
        checks.append(pa.Check.le(c.max))
    if c.pattern is not None:
        checks.append(pa.Check.str_matches(c.pattern))
    if c.kind == "str":
        checks.append(pa.Check(lambda s: s.map(lambda v: isinstance(v, str)), element_wise=False,
                               name="is_text", error="values must be text"))
    return checks


def schema_for(table: Table) -> pa.DataFrameSchema:
    columns = {
        c.name: pa.Column(_dtype(c), checks=_checks(c), nullable=c.nullable, unique=c.unique,
                          description=c.description)
        for c in table.columns
    }
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name=table.filename)
