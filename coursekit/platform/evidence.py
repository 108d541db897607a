"""Evidence: what graded work shows about a learner's competencies.

Every graded cell of a module's solution notebook (``solutions/<id>/exercise.ipynb``) carries a
competency tag in its metadata, keyed by its nbgrader ``grade_id``::

    "coursekit": {"competencies": ["human_oversight"], "level": "working"}

A grade that nbgrader recorded for that cell is then one **evidence record** for each competency
in the tag: (learner, module, item = grade_id, competency, level, points, out_of, source, time).

- ``points`` is the learner's score scaled to the item's points in the solution notebook
  (``out_of``), between 0 and ``out_of``; nbgrader's extra credit counts, up to full marks.
- An autograded item counts once it has a score (a trainer's manual score overrides the
  autograder's). An item graded by hand (a written answer, or a graded code cell that is also
  a solution cell) counts only once a trainer has given it a manual score; before that it is
  pending and yields no record.
- ``source`` is ``self-paced`` for the learner's personal gradebook (``coursekit check``) and
  ``cohort`` for any other gradebook; ``time`` is nbgrader's submission timestamp (UTC).

The gradebook is read by the nbgrader adapter's fast reader
(:mod:`coursekit.platform.nbgrader_adapter.gradebook_read`): a few SQL queries over nbgrader's tables (``grade``, ``grade_cells``,
``base_cell``, ``submitted_notebook``, ``submitted_assignment``, ``assignment``, ``notebook``),
not object by object, so that a gradebook of a whole civil service reads in seconds. The
nbgrader assignment id is the module id and the notebook is called ``exercise``.

:func:`attain` is the one rule that turns evidence into an attained level; see its docstring
and ``competencies/README.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coursekit.errors import UsageError
from coursekit.platform import competencies, syllabus
from coursekit.platform.nbgrader_adapter import gradebook_read
# The gradebook side lives in the nbgrader adapter; these names are part of evidence's interface.
from coursekit.platform.nbgrader_adapter.gradebook_read import (COHORT, SELF_PACED, SOURCES, Gradebook,  # noqa: F401
                                                                 Raw, locate, read_gradebook, start_read)


#: The attainment rule's defaults: share of the points, and number of graded items.
THRESHOLD = 0.8
MIN_ITEMS = 2

RECORD_COLUMNS = ["learner", "module", "item", "competency", "level", "points", "out_of", "source", "time"]


# ---------------------------------------------------------------------------------------------
# Tags: which graded item evidences which competency, at which level

@dataclass(frozen=True)
class Item:
    """One graded cell of a module's exercise and what it evidences."""

    module: str
    item: str                      # nbgrader grade_id
    competencies: tuple[str, ...]
    level: str
    points: float                  # what the item is out of
    manual: bool                   # graded by hand (a written answer)

    @property
    def key(self) -> tuple[str, str]:
        return (self.module, self.item)


@dataclass(frozen=True)
class Tags:
    """The tagged items of the course, in syllabus and notebook order."""

    items: tuple[Item, ...]
    missing: tuple[str, ...] = ()          # modules without a solution notebook yet
    problems: tuple[str, ...] = ()         # graded cells whose tag is missing or invalid

    def index(self) -> dict:
        """(module, grade_id) -> position in ``items``."""
        return {it.key: i for i, it in enumerate(self.items)}

    def for_competencies(self, ids) -> "Tags":
        keep = set(ids)
        return Tags(tuple(it for it in self.items if keep & set(it.competencies)), self.missing, self.problems)


def _notebook_cells(path: Path) -> list:
    """The cells of a notebook, read as plain JSON.

    (nbformat is not needed to read metadata, and importing it costs seconds, which a report
    over a whole civil service cannot spare.)
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such notebook")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UsageError(f"{path}: is not a readable notebook (not JSON); open and save it again in JupyterLab")
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise UsageError(f"{path}: is JSON but not a Jupyter notebook (no 'cells')")
    return [c for c in data["cells"] if isinstance(c, dict)]


def read_tags(path: str | Path, module_id: str) -> tuple[list[Item], list[str]]:
    """The tagged graded cells of one solution notebook, and what is wrong with the others."""
    items, problems = [], []
    for cell in _notebook_cells(Path(path)):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if not meta.get("grade"):
            continue
        gid = meta.get("grade_id") or "?"
        tag = (cell.get("metadata") or {}).get(competencies.TAG_KEY)
        bad = competencies.tag_problems(tag)
        if bad:
            problems.extend(f"{path}: cell {gid}: {b}" for b in bad)
            continue
        manual = cell.get("cell_type") == "markdown" or bool(meta.get("solution"))
        items.append(Item(module_id, str(gid), tuple(dict.fromkeys(tag["competencies"])), tag["level"],
                          float(meta.get("points") or 0), manual))
    return items, problems


def course_tags(module_ids=None) -> Tags:
    """Tags of every module in course/syllabus.yml (or of ``module_ids``), from solutions/."""
    mods = syllabus.modules() if module_ids is None else [syllabus.get(m) for m in module_ids]
    items, missing, problems = [], [], []
    for m in mods:
        if not m.solution_notebook.exists():
            missing.append(m.id)
            continue
        its, probs = read_tags(m.solution_notebook, m.id)
        items.extend(its)
        problems.extend(probs)
    return Tags(tuple(items), tuple(missing), tuple(problems))


def coverage(tags: Tags | None = None) -> dict:
    """For each competency and level, the graded items that evidence it.

    ``{"competencies": [{"id", "name", "domain", "covered", "points", "levels": {level: [
    {"module", "grade_id", "points"}]}}], "missing_notebooks": [...], "problems": [...],
    "notes": [...]}``. A competency with no item is ``covered: false``.
    """
    tags = course_tags() if tags is None else tags
    fw = competencies.framework()
    rows = []
    for c in fw.competencies:
        levels = {lv: [] for lv in fw.levels}
        for it in tags.items:
            if c.id in it.competencies:
                levels[it.level].append({"module": it.module, "grade_id": it.item, "points": it.points})
        n = sum(len(v) for v in levels.values())
        rows.append({"id": c.id, "name": c.name, "domain": c.domain, "covered": n > 0, "items": n,
                     "points": sum(x["points"] for v in levels.values() for x in v), "levels": levels})
    notes = []
    by_module: dict[str, set] = {}
    for it in tags.items:
        by_module.setdefault(it.module, set()).update(it.competencies)
    for m in syllabus.modules():
        if m.id not in by_module:
            continue
        for cid in sorted(set(m.competencies) - by_module[m.id]):
            notes.append(f"{m.id}: the syllabus lists {cid} but no graded item is tagged with it")
        for cid in sorted(by_module[m.id] - set(m.competencies)):
            notes.append(f"{m.id}: items are tagged {cid}, which the syllabus does not list for the module")
    return {"competencies": rows, "missing_notebooks": list(tags.missing),
            "problems": list(tags.problems), "notes": notes}


# ---------------------------------------------------------------------------------------------
# Evidence records

def records(gradebook, tags: Tags | None = None, *, source: str | None = None, learners=None) -> pd.DataFrame:
    """Evidence records from one gradebook: one row per counted grade and competency tagged.

    Columns: learner, module, item (grade_id), competency, level, points, out_of, source
    ("self-paced" or "cohort"), time (submission timestamp, UTC, NaT when nbgrader has none).
    ``gradebook`` is an SQLite file path or any SQLAlchemy URL (PostgreSQL included);
    ``tags`` defaults to the course's (:func:`course_tags`); ``learners`` keeps only those ids.
    """
    tags = course_tags() if tags is None else tags
    raw = read_gradebook(gradebook, tags, source=source, students=learners)
    return records_from_raw(raw, tags)


def records_from_raw(raw: Raw, tags: Tags) -> pd.DataFrame:
    """Expand :class:`Raw` arrays to evidence records (one row per grade and tagged competency)."""
    fw = competencies.framework()
    items = tags.items
    n_comp = np.array([len(it.competencies) for it in items], dtype=np.int64)
    counts = n_comp[raw.g_item] if len(items) else np.empty(0, np.int64)
    rep = np.repeat(np.arange(len(raw.g_item)), counts)             # grade behind each row
    within = np.arange(len(rep)) - np.repeat(np.cumsum(counts) - counts, counts)
    item_idx = raw.g_item[rep]
    comp_table = np.zeros((len(items), int(n_comp.max(initial=1))), dtype=np.int64)
    for i, it in enumerate(items):
        comp_table[i, :len(it.competencies)] = [fw.ids.index(c) for c in it.competencies]
    level_of = np.array([fw.levels.index(it.level) for it in items], dtype=np.int64)
    out_of = np.array([it.points for it in items], dtype=np.float64)
    learner_codes, learner_cats = pd.factorize(raw.sub_student)
    df = pd.DataFrame({
        "learner": pd.Categorical.from_codes(learner_codes[raw.g_sub[rep]], categories=learner_cats),
        "module": _take_cat([it.module for it in items], item_idx),
        "item": _take_cat([it.item for it in items], item_idx),
        "competency": pd.Categorical.from_codes(comp_table[item_idx, within], categories=fw.ids),
        "level": pd.Categorical.from_codes(level_of[item_idx], categories=list(fw.levels), ordered=True),
        "points": raw.g_frac[rep] * out_of[item_idx],
        "out_of": out_of[item_idx],
        "source": pd.Categorical.from_codes(np.full(len(rep), SOURCES.index(raw.gradebook.source)),
                                            categories=list(SOURCES)),
        "time": raw.sub_time[raw.g_sub[rep]],
    })
    return df[RECORD_COLUMNS]


def _take_cat(values: list, idx: np.ndarray) -> pd.Categorical:
    codes, cats = pd.factorize(np.asarray(values, dtype=object))
    return pd.Categorical.from_codes(codes[idx] if len(values) else np.empty(0, np.int64), categories=cats)


def best(recs: pd.DataFrame) -> pd.DataFrame:
    """One record per learner, item and competency: the best evidence.

    A learner graded more than once on an item (two cohorts, or a cohort and their own checks)
    counts once, with the highest points; of equal points, the earliest time. The rule is the one
    the pledge report's merge of gradebooks applies (``gradebook_read.best_of``).
    """
    if recs.empty:
        return recs
    learner = pd.factorize(recs["learner"].astype(object))[0]
    item = pd.factorize(pd.MultiIndex.from_arrays([recs["module"].astype(object), recs["item"].astype(object),
                                                   recs["competency"].astype(object)]))[0]
    share = (recs["points"] / recs["out_of"].where(recs["out_of"] > 0, 1)).to_numpy(float)
    when = recs["time"].to_numpy("datetime64[ns]").astype(np.int64)
    when = np.where(recs["time"].isna().to_numpy(), np.iinfo(np.int64).max, when)     # undated last
    return recs.iloc[gradebook_read.best_of(learner, item, share, when)]


# ---------------------------------------------------------------------------------------------
# The attainment rule

def _running_total(a: np.ndarray) -> np.ndarray:
    """``np.cumsum(a, axis=-1)``, the same sums in the same order, but one level at a time: the
    level axis is short, and numpy's cumsum along it costs a loop per learner."""
    out = a.copy()
    for k in range(1, out.shape[-1]):
        out[..., k] += out[..., k - 1]
    return out


def attain(points, out_of, items, threshold: float = THRESHOLD, min_items: int = MIN_ITEMS) -> np.ndarray:
    """The attained level (as a rank: 0 none, 1 the lowest level of the scale, ...) for one competency.

    The arrays hold a learner's totals for one competency, one entry per level of the scale in
    order (last axis), over the items they have been graded on: ``points`` scored, ``out_of``
    available and the number of ``items``. Leading axes are kept (many learners, competencies or
    dates at once).

    **The rule.** Pool a learner's graded items for the competency at a level and every level
    below it. The level is *met* when

    1. at least one of those items is at that level itself,
    2. the pool holds at least ``min_items`` items (2 by default), and
    3. the learner has at least ``threshold`` (80% by default) of the pool's points.

    The attained level is the highest level met; none when no level is met. Only items the
    learner has been graded on count: a module not yet taken neither helps nor hurts, a
    submitted question left blank counts as 0 points, and a written answer counts once it is
    graded. Weak answers at a level below pull the share down for every level above it, so a
    level cannot be reached by skipping over the basics and doing badly on them.
    """
    points = np.asarray(points, dtype=np.float64)
    out_of = np.asarray(out_of, dtype=np.float64)
    items = np.asarray(items, dtype=np.float64)
    p, o, n = _running_total(points), _running_total(out_of), _running_total(items)
    met = (items >= 1) & (n >= min_items) & (o > 0) & (p >= threshold * o - 1e-9)
    levels = np.arange(1, met.shape[-1] + 1)
    return np.max(np.where(met, levels, 0), axis=-1)


def totals(recs: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """(learners, points, out_of, items), the arrays shaped (learner, competency, level)."""
    fw = competencies.framework()
    learners = pd.Index(pd.unique(recs["learner"].astype(object))) if len(recs) else pd.Index([])
    shape = (len(learners), len(fw.ids), len(fw.levels))
    li = learners.get_indexer(recs["learner"].astype(object))
    ci = pd.Index(fw.ids).get_indexer(recs["competency"].astype(object))
    vi = pd.Index(fw.levels).get_indexer(recs["level"].astype(object))
    flat = (li * shape[1] + ci) * shape[2] + vi
    size = int(np.prod(shape))
    pts = np.bincount(flat, weights=recs["points"].to_numpy(float), minlength=size).reshape(shape)
    out = np.bincount(flat, weights=recs["out_of"].to_numpy(float), minlength=size).reshape(shape)
    cnt = np.bincount(flat, minlength=size).reshape(shape).astype(np.float64)
    return learners, pts, out, cnt


def attained_levels(recs: pd.DataFrame, threshold: float = THRESHOLD, min_items: int = MIN_ITEMS) -> pd.DataFrame:
    """Attained level per learner (rows) and competency (columns): a level id or None.

    Duplicate evidence is reduced with :func:`best` first, then :func:`attain` is applied.
    """
    fw = competencies.framework()
    recs = best(recs)
    learners, pts, out, cnt = totals(recs)
    ranks = attain(pts, out, cnt, threshold, min_items)
    lv = np.array([None, *fw.levels], dtype=object)
    return pd.DataFrame(lv[ranks] if len(learners) else np.empty((0, len(fw.ids)), dtype=object),
                        index=pd.Index(learners, name="learner", dtype=object), columns=fw.ids, dtype=object)
