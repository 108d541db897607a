"""Synthetic public-service datasets with planted, documented ground truth.

Each dataset ships with the package, in ``coursekit/datasets/data/``, as one or more CSV files that
start with its name, a datasheet (``<name>.datasheet.md``) and a manifest of planted facts
(``<name>.manifest.json``), so that ``load`` works wherever the kit is installed, with or without
the course's repository. They are made by the seeded generators in this package
(``coursekit datasets build``)::

    from coursekit import datasets
    claims = datasets.load("benefit_claims")            # data/benefit_claims.csv
    truth = datasets.load("benefit_claims", "truth")    # data/benefit_claims_truth.csv
    facts = datasets.manifest("benefit_claims")["facts"]
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from coursekit.errors import UsageError

if TYPE_CHECKING:  # pandas is imported only when a dataset is loaded, to keep the command line quick
    import pandas as pd

NAMES: tuple[str, ...] = (
    "benefit_claims",
    "caseworker_decisions",
    "service_records",
    "model_monitoring",
    "vendor_trial",
    "service_records_coastal",
    "vendor_trial_b",
    "model_monitoring_b",
    "benefit_claims_north",
    "caseworker_decisions_b",
    "school_allocations",
)

__all__ = ["NAMES", "DATA_DIR", "load", "manifest", "schema", "tables", "generator", "is_exercise_extract"]

#: Where the dataset files live: package data, installed with the kit.
DATA_DIR = Path(__file__).resolve().parent / "data"

#: Where an exercise extract's manifest and datasheet live, relative to the course folder: they are
#: its answer key, so they stay with the course (for trainers and tests), never in the package.
ANSWER_KEYS = Path("course") / "answer_keys"


def _check_name(name: str) -> str:
    if name not in NAMES:
        raise UsageError(f"unknown dataset {name!r}; known datasets: {', '.join(NAMES)}")
    return name


def generator(name: str) -> ModuleType:
    """The module that generates dataset ``name`` (its tables, generator, facts and datasheet)."""
    return importlib.import_module(f"coursekit.datasets.{_check_name(name)}")


def tables(name: str) -> tuple[str | None, ...]:
    """The tables of a dataset: ``None`` for the main file, then e.g. ``"truth"`` or ``"census"``."""
    return tuple(generator(name).TABLES)


def _table(name: str, table: str | None):
    mod = generator(name)
    if table not in mod.TABLES:
        known = ", ".join(repr(k) for k in mod.TABLES if k is not None) or "none"
        raise UsageError(f"dataset {name!r} has no table {table!r}; its extra tables: {known} (or None for the main file)")
    return mod.TABLES[table]


def load(name: str, table: str | None = None) -> pd.DataFrame:
    """Read the dataset ``<name>.csv`` (or ``<name>_<table>.csv``) with typed columns.

    Text columns are strings, whole numbers ``int64`` (``Int64`` where values may be missing),
    True/False columns ``bool`` (``boolean`` where values may be missing) and dates are parsed.
    """
    from coursekit.datasets._common import read_csv

    spec = _table(name, table)
    path = DATA_DIR / spec.filename
    if not path.exists():
        raise UsageError(f"{path} is missing; run `coursekit datasets build {name}`")
    return read_csv(spec, path)


def is_exercise_extract(name: str) -> bool:
    """Whether ``name`` is an exercise's own extract, whose manifest is an answer key."""
    return bool(getattr(generator(name), "EXERCISE", False))


def _answer_key_dirs() -> list[Path]:
    """Course folders that may hold answer keys: COURSEKIT_ROOT, then the checkout the kit runs from."""
    import os

    roots = [Path(os.environ["COURSEKIT_ROOT"])] if os.environ.get("COURSEKIT_ROOT") else []
    roots.append(Path(__file__).resolve().parents[2])
    return [r / ANSWER_KEYS for r in roots]


def manifest(name: str) -> dict:
    """The planted facts of a dataset, as recorded in its ``<name>.manifest.json``.

    An exercise's extract keeps its manifest with the course (``course/answer_keys/``), not in the
    installed kit: it is found only where the course is.
    """
    fname = f"{_check_name(name)}.manifest.json"
    if is_exercise_extract(name):
        for folder in _answer_key_dirs():
            if (folder / fname).is_file():
                return json.loads((folder / fname).read_text(encoding="utf-8"))
        raise UsageError(f"{name} is an exercise's extract: its manifest is an answer key kept with the course "
                         f"({ANSWER_KEYS / fname}), not installed with the kit")
    path = DATA_DIR / fname
    if not path.exists():
        raise UsageError(f"{path} is missing; run `coursekit datasets build {name}`")
    return json.loads(path.read_text(encoding="utf-8"))


def schema(name: str, table: str | None = None):
    """A pandera ``DataFrameSchema`` for a table as ``load`` returns it."""
    from coursekit.datasets.schemas import schema_for

    return schema_for(_table(name, table))
