"""``coursekit cohort export``: the cohort's scores per question and per competency.

Two tables, as CSV or JSON, in ``DIR/export/`` (or ``--out``):

- ``evidence``: the evidence records of the design (learner, module, item, competency, level,
  points, out_of, source = "cohort", time), one per graded question and competency it is tagged
  with, read from the cohort's gradebook by :mod:`coursekit.platform.evidence`. The tags come from the
  cohort's own ``source/`` notebooks, the version its learners were graded on.
- ``competencies``: per learner, module, competency and level, the points, the points available,
  the number of questions and the share.

Both carry ``isolation``: how isolated learner code was when that submission was graded
(``full``, ``partial`` or ``none``; see :mod:`coursekit.platform.grading.isolation`), so a
ministry counting the results can tell.

Learners appear by their roster id only: no names, no emails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from coursekit.platform import competencies, fileio
from coursekit.platform import evidence
from coursekit.platform.cohort.folder import Cohort
from coursekit.errors import UsageError

COMPETENCY_COLUMNS = ["learner", "module", "competency", "level", "points", "out_of", "items", "share", "isolation"]


@dataclass
class ExportReport:
    evidence_path: Path
    competency_path: Path
    n_evidence: int
    n_competency: int


def cohort_tags(cohort: Cohort, modules: list[str] | None = None) -> evidence.Tags:
    items, problems = [], []
    for mid in modules or cohort.modules():
        cohort.require_module(mid)
        its, probs = evidence.read_tags(cohort.source_notebook(mid), mid)
        items += its
        problems += probs
    return evidence.Tags(tuple(items), (), tuple(problems))


def isolation_of(cohort: Cohort) -> dict[tuple[str, str], str]:
    """(learner, module) -> the isolation its last grading ran under, from the grading records."""
    out = {}
    for path in (cohort.kit_dir / "grades").glob("*/*.json"):
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out[(path.stem, path.parent.name)] = str(rec.get("isolation") or "")
    return out


def tables(cohort: Cohort, modules: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    tags = cohort_tags(cohort, modules)
    recs = evidence.records(cohort.db_url, tags, source=evidence.COHORT)
    recs = recs[evidence.RECORD_COLUMNS].copy()
    for col in ("learner", "module", "item", "competency", "level", "source"):
        recs[col] = recs[col].astype(str)
    recs["time"] = pd.to_datetime(recs["time"], utc=True).map(
        lambda t: t.isoformat().replace("+00:00", "Z") if pd.notna(t) else "")
    recs = recs.sort_values(["learner", "module", "item", "competency"], kind="stable").reset_index(drop=True)
    levels_run = isolation_of(cohort)
    recs["isolation"] = [levels_run.get((lr, m), "") for lr, m in zip(recs["learner"], recs["module"])]
    if recs.empty:
        comp = pd.DataFrame(columns=COMPETENCY_COLUMNS)
    else:
        comp = (recs.groupby(["learner", "module", "competency", "level"], sort=True)
                .agg(points=("points", "sum"), out_of=("out_of", "sum"), items=("item", "count"),
                     isolation=("isolation", "first"))
                .reset_index())
        comp["share"] = (comp["points"] / comp["out_of"]).where(comp["out_of"] > 0).round(4)
        levels = list(competencies.framework().levels)
        comp["_rank"] = comp["level"].map(lambda lv: levels.index(lv) if lv in levels else len(levels))
        comp = comp.sort_values(["learner", "module", "competency", "_rank"], kind="stable")
        comp = comp[COMPETENCY_COLUMNS].reset_index(drop=True)
    return recs, comp


def _write(df: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        text = df.to_csv(index=False, lineterminator="\n")
    else:
        text = json.dumps(json.loads(df.to_json(orient="records", double_precision=6)), indent=1)
    fileio.atomic_write_text(path, text)


def export(cohort: Cohort, fmt: str = "csv", out: str | Path | None = None,
           modules: list[str] | None = None) -> ExportReport:
    if fmt not in ("csv", "json"):
        raise UsageError(f"--format {fmt!r}: use csv or json")
    recs, comp = tables(cohort, modules)
    folder = Path(out) if out else cohort.root / "export"
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder}: is a file; give a folder")
    folder.mkdir(parents=True, exist_ok=True)
    ev_path = folder / f"evidence.{fmt}"
    comp_path = folder / f"competencies.{fmt}"
    _write(recs, ev_path, fmt)
    _write(comp, comp_path, fmt)
    return ExportReport(ev_path, comp_path, len(recs), len(comp))
