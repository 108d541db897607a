"""Shared machinery for the synthetic datasets: column specifications, byte-stable CSV writing,
typed reading, and the manifest and datasheet scaffolding.

Every dataset module (``benefit_claims``, ``caseworker_decisions``, ...) declares its tables as
``Table`` objects made of ``Column`` specifications. The same specification drives four things,
so they cannot drift apart: how values are written to CSV (fixed decimals, ISO dates), how
``load`` reads them back (dtypes, parsed dates), the data dictionary in the datasheet, and the
pandera schema the tests validate against. Its datasheet prose is declared the same way, as a
``Datasheet`` of section templates that ``datasheet_page`` fills from the manifest.

Byte stability: values are turned into text here, not by pandas' float formatting; floats use
``%.<n>f`` (Python's correctly rounded formatting), dates ISO 8601, booleans ``True``/``False``,
missing values an empty field, and lines end in ``\\n`` on every platform.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Iterable

import numpy as np
import pandas as pd

KINDS = ("str", "int", "float", "bool", "date", "month")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str
    nullable: bool = False
    values: tuple[str, ...] | None = None  # allowed values (str columns)
    min: float | None = None
    max: float | None = None
    decimals: int | None = None  # float columns: digits after the point
    unique: bool = False
    pattern: str | None = None  # regular expression every value matches (str columns)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.kind == "float" and self.decimals is None:
            raise ValueError(f"{self.name}: float columns need decimals")

    @property
    def type_label(self) -> str:
        return {
            "str": "text",
            "int": "whole number",
            "float": f"number ({self.decimals} decimals)",
            "bool": "True/False",
            "date": "date (YYYY-MM-DD)",
            "month": "month (YYYY-MM)",
        }[self.kind]


@dataclass(frozen=True)
class Table:
    dataset: str
    key: str | None  # None for the main table, else e.g. "truth", "census"
    description: str
    columns: tuple[Column, ...]

    @property
    def filename(self) -> str:
        return f"{self.dataset}.csv" if self.key is None else f"{self.dataset}_{self.key}.csv"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# --------------------------------------------------------------------------- writing

def _fmt_float(values: np.ndarray, decimals: int) -> np.ndarray:
    arr = np.asarray(values, dtype="float64")
    out = np.empty(arr.shape, dtype=object)
    missing = np.isnan(arr)
    ok = ~missing
    rounded = np.round(arr[ok], decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    fmt = f"%.{decimals}f"
    out[ok] = [fmt % v for v in rounded.tolist()]
    out[missing] = ""
    return out


def _fmt_column(col: Column, values: Any) -> np.ndarray:
    if col.kind == "float":
        return _fmt_float(values, col.decimals)
    if col.kind == "int":
        arr = np.asarray(values)
        if arr.dtype.kind == "f":  # nullable ints travel as floats with NaN
            out = np.empty(arr.shape, dtype=object)
            ok = ~np.isnan(arr)
            out[ok] = [str(int(v)) for v in arr[ok].tolist()]
            out[~ok] = ""
            return out
        return np.array([str(v) for v in arr.astype("int64").tolist()], dtype=object)
    if col.kind == "bool":
        arr = np.asarray(values, dtype=object)
        out = np.empty(arr.shape, dtype=object)
        for i, v in enumerate(arr.tolist()):
            out[i] = "" if v is None or (isinstance(v, float) and math.isnan(v)) else ("True" if v else "False")
        return out
    if col.kind in ("date", "month"):
        arr = np.asarray(values)
        if arr.dtype.kind == "M":
            unit = "D" if col.kind == "date" else "M"
            text = np.datetime_as_string(arr.astype(f"datetime64[{unit}]"), unit=unit)
            return np.where(text == "NaT", "", text).astype(object)
        return np.array(["" if v is None else str(v) for v in arr.tolist()], dtype=object)
    arr = np.asarray(values, dtype=object)
    return np.array(["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in arr.tolist()],
                    dtype=object)


def to_csv_bytes(table: Table, columns: dict[str, Any]) -> bytes:
    """Format ``columns`` (name -> array) by the table's specification and return CSV bytes."""
    missing = [c.name for c in table.columns if c.name not in columns]
    extra = [k for k in columns if k not in table.names]
    if missing or extra:
        raise ValueError(f"{table.filename}: columns missing {missing}, unexpected {extra}")
    text = {c.name: _fmt_column(c, columns[c.name]) for c in table.columns}
    frame = pd.DataFrame(text, columns=table.names)
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- reading

def read_csv(table: Table, source) -> pd.DataFrame:
    """Read a CSV written by ``to_csv_bytes`` with the dtypes its specification implies."""
    dtype: dict[str, Any] = {}
    dates: list[Column] = []
    for c in table.columns:
        if c.kind == "str":
            dtype[c.name] = str
        elif c.kind == "int":
            dtype[c.name] = "Int64" if c.nullable else "int64"
        elif c.kind == "float":
            dtype[c.name] = "float64"
        elif c.kind == "bool":
            dtype[c.name] = "boolean" if c.nullable else "bool"
        else:
            dtype[c.name] = str
            dates.append(c)
    df = pd.read_csv(source, dtype=dtype, keep_default_na=False, na_values=[""])
    for c in dates:
        fmt = "%Y-%m-%d" if c.kind == "date" else "%Y-%m"
        df[c.name] = pd.to_datetime(df[c.name], format=fmt).astype("datetime64[ns]")
    return df


# --------------------------------------------------------------------------- numbers for manifests

def r4(x: float) -> float:
    """A rate or ratio as it goes into a manifest: 4 decimals."""
    return round(float(x), 4)


def rate(mask: Iterable[bool]) -> float:
    arr = np.asarray(mask, dtype=bool)
    return r4(arr.mean()) if arr.size else float("nan")


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95% interval for a proportion."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (r4(centre - half), r4(centre + half))


# --------------------------------------------------------------------------- randomness helpers

def exact_choice(rng: np.random.Generator, n: int, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """A boolean mask with exactly ``k`` of ``n`` True, chosen without replacement (weighted if given)."""
    mask = np.zeros(n, dtype=bool)
    if k <= 0:
        return mask
    if weights is None:
        idx = rng.permutation(n)[:k]
    else:
        # Efraimidis-Spirakis: the k largest u**(1/w) are a weighted sample without replacement.
        u = rng.random(n)
        keys = np.log(u) / np.asarray(weights, dtype=float)
        idx = np.argsort(-keys, kind="stable")[:k]
    mask[idx] = True
    return mask


def categorical(rng: np.random.Generator, labels: list[str] | tuple[str, ...], probs, size: int) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return np.asarray(labels, dtype=object)[rng.choice(len(labels), size=size, p=p / p.sum())]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# --------------------------------------------------------------------------- manifest and datasheet

def manifest_json(data: dict) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def data_dictionary(table: Table) -> str:
    lines = [
        "| column | type | missing allowed | values | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in table.columns:
        if c.values:
            vals = ", ".join(f"`{v}`" for v in c.values)
        elif c.min is not None or c.max is not None:
            lo = "" if c.min is None else f"{c.min:g}"
            hi = "" if c.max is None else f"{c.max:g}"
            vals = f"{lo} to {hi}" if lo and hi else (f"at least {lo}" if lo else f"at most {hi}")
        elif c.unique:
            vals = "unique"
        else:
            vals = ""
        if c.unique and c.values is None and vals != "unique":
            vals += "; unique"
        lines.append(f"| `{c.name}` | {c.type_label} | {'yes' if c.nullable else 'no'} | {md_escape(vals)} | {md_escape(c.description)} |")
    return "\n".join(lines)


CASES = {
    "toeslagen": "Dutch childcare benefits scandal (toeslagenaffaire, 2013-2019): dual nationality used as a risk "
                 "indicator, about 26,000 parents wrongly accused, data kept after it should have been deleted, "
                 "a EUR 2.75 m fine from the data protection authority (2021)",
    "syri": "SyRI, Netherlands: an opaque welfare-fraud risk model ruled unlawful by The Hague District Court on "
            "5 February 2020 (Article 8 ECHR)",
    "robodebt": "Robodebt, Australia (2016-2019): annual tax income averaged into fortnightly income, about "
                "470,000 wrongly issued debts, AUD 721 m refunded to 373,000 people",
    "midas": "MiDAS, Michigan (2013-2015): automated fraud findings with no human review and data-migration "
             "problems; 20,965 of 22,427 automated findings (93%) overturned",
    "ofqual": "UK A-level grades (Ofqual, 2020): 39.1% of about 700,000 teacher grades lowered by a model; "
              "reversed within days",
    "allegheny": "Allegheny Family Screening Tool, US: workers disagreed with the score about a third of the time; "
                 "the algorithm alone showed a larger screen-in disparity than the workers' decisions",
    "sweden": "Försäkringskassan, Sweden (temporary parental benefit): women flagged more than 1.5 times as often "
              "although random controls showed they made no more errors",
    "denmark": "Udbetaling Danmark: about 90% of the cases its model opened were not fraud (Amnesty, 2024)",
    "rotterdam": "Rotterdam welfare-fraud model: about 30,000 recipients scored, the top 1,000-1,500 investigated "
                 "each year; training labels from past selective investigations (about 50% fraud)",
    "compas": "COMPAS, Broward County: false positive rate 44.9% vs 23.5%; flag-rate ratio 0.59, failing the "
              "four-fifths rule",
}


def cases_list(keys: Iterable[str]) -> list[str]:
    return [CASES[k] for k in keys]


@dataclass
class Rendered:
    """Everything one dataset writes: file name -> bytes, plus the manifest as a dict."""
    files: dict[str, bytes] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)


def render(module) -> Rendered:
    """Generate one dataset: CSVs, then facts recomputed from the CSV bytes, manifest and datasheet."""
    columns_by_table: dict[str | None, dict[str, Any]] = module.generate()
    out = Rendered()
    frames: dict[str | None, pd.DataFrame] = {}
    for key, table in module.TABLES.items():
        data = to_csv_bytes(table, columns_by_table[key])
        out.files[table.filename] = data
        frames[key] = read_csv(table, io.BytesIO(data))
    facts, how = module.facts(frames)
    manifest = {
        "name": module.NAME,
        "title": module.TITLE,
        "synthetic": True,
        "generator": module.__name__,
        "seed": module.SEED,
        "calibrated_on": cases_list(module.CASE_KEYS),
        "files": {
            table.filename: {"rows": int(len(frames[key])), "columns": table.names}
            for key, table in module.TABLES.items()
        } | {f"{module.NAME}.datasheet.md": {}, f"{module.NAME}.manifest.json": {}},
        "facts": facts,
        "how_computed": how,
    }
    missing_how = [k for k in facts if k not in how]
    if missing_how:
        raise ValueError(f"{module.NAME}: facts without an explanation: {missing_how}")
    out.manifest = manifest
    out.files[f"{module.NAME}.manifest.json"] = manifest_json(manifest)
    sheet = datasheet_page(module, manifest, module.DATASHEET)
    out.files[f"{module.NAME}.datasheet.md"] = sheet.encode("utf-8")
    return out


@dataclass(frozen=True)
class Datasheet:
    """What a dataset's datasheet says in prose: one template per section of Gebru et al.
    (Datasheets for Datasets). ``datasheet_page`` fills the templates from the manifest and adds
    everything the specifications already know (files, data dictionary, calibration cases,
    loading, maintenance), so a dataset module declares only its prose, as ``DATASHEET``.

    The templates are ``str.format`` strings: ``{f[rows]:,}`` is the manifest fact ``rows``,
    ``{f[group_sizes][citizen]}`` a nested fact, and ``values`` names anything else a template
    uses (such as a generator constant). Literal braces are written ``{{`` and ``}}``. Leading and
    trailing blank lines of a section are dropped.
    """

    motivation: str
    composition: str
    known_issues: str  # printed under Composition, as "Known issues (planted on purpose)"
    collection: str
    preprocessing: str
    uses: str
    values: dict[str, Any] = field(default_factory=dict)


def datasheet_page(module, manifest: dict, sheet: Datasheet) -> str:
    """The datasheet of a dataset: the prose its module declares, filled from the manifest, inside
    the page every dataset shares."""
    s = {}
    for spec in fields(sheet):
        if spec.name == "values":
            continue
        try:
            s[spec.name] = getattr(sheet, spec.name).format(f=manifest["facts"], **sheet.values).strip()
        except (KeyError, IndexError, AttributeError, ValueError) as exc:
            raise ValueError(f"{module.NAME}: datasheet section {spec.name!r} cannot be filled ({exc!r})") from exc
    files = [t.filename for t in module.TABLES.values()]
    dictionaries = []
    for table in module.TABLES.values():
        rows = manifest["files"][table.filename]["rows"]
        dictionaries.append(f"### `{table.filename}` ({rows:,} rows)\n\n{table.description}\n\n{data_dictionary(table)}\n")
    calibration = "\n".join(f"- {c}" for c in manifest["calibrated_on"])
    file_list = ", ".join(f"`{f}`" for f in files)
    return f"""# Datasheet: {module.TITLE} (`{module.NAME}`)

> **This data is synthetic.** Every row was made up by a seeded generator in the course kit
> (`{module.__name__}`, seed {module.SEED}). No row describes a real person, case or office, and
> the places, postcodes and names are invented. The numbers were chosen to look like the real
> cases listed below, so that what a learner finds has the size and shape of what has gone wrong
> in real public services.

Files: {file_list}, this datasheet, and `{module.NAME}.manifest.json` (the planted facts, with
the exact values realised in the files, for instructors and tests).

## Motivation

{s['motivation']}

## Composition

{s['composition']}

### Known issues (planted on purpose)

{s['known_issues']}

The exact values are in `{module.NAME}.manifest.json`. Instructors may prefer learners not to
open it before the exercise: it holds the answers.

## Data dictionary

{chr(10).join(dictionaries)}
## Collection process

{s['collection']}

Real cases the numbers were calibrated on:

{calibration}

## Preprocessing, cleaning and labelling

{s['preprocessing']}

## Uses

{s['uses']}

Not for: decisions about real people, estimating anything about a real population, training or
benchmarking a system meant for real use, or as evidence about any real group or place. The
group differences in this data were put there by design, to be found; they say nothing about
real people.

## Distribution

Shipped inside the kit's Python package (`coursekit/datasets/data/`), so it loads wherever the
kit is installed, under the kit's licence (MIT). Load it in Python with `coursekit.datasets.load("{module.NAME}")`{_table_hint(module)}; the manifest with
`coursekit.datasets.manifest("{module.NAME}")`.

## Maintenance

The files are generated, not edited by hand: `coursekit datasets build {module.NAME}` regenerates
them from the generator and its fixed seed, byte for byte the same on every machine, and
`coursekit datasets build --check` fails when the committed files differ from what the generator
makes (which would also reveal a NumPy release that changed its random-number streams). To
change the data, change the generator, rebuild, and check that the lessons and exercises that
use it still hold (the tests recompute every manifest value from the CSV files). Report
problems through the course kit's issue tracker.
"""


def _table_hint(module) -> str:
    extra = [k for k in module.TABLES if k is not None]
    if not extra:
        return ""
    return " (" + ", ".join(f'`load("{module.NAME}", "{k}")` for the `{module.NAME}_{k}.csv` table' for k in extra) + ")"
