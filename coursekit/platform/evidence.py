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

The gradebook is read with a few SQL queries over nbgrader's tables (``grade``, ``grade_cells``,
``base_cell``, ``submitted_notebook``, ``submitted_assignment``, ``assignment``, ``notebook``),
not object by object, so that a gradebook of a whole civil service reads in seconds. The
nbgrader assignment id is the module id and the notebook is called ``exercise``.

:func:`attain` is the one rule that turns evidence into an attained level; see its docstring
and ``competencies/README.md``.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from coursekit.platform import competencies
from coursekit.platform import paths
from coursekit.platform import syllabus
from coursekit.errors import UsageError

NOTEBOOK = "exercise"
SELF_PACED = "self-paced"
COHORT = "cohort"
SOURCES = (SELF_PACED, COHORT)

#: The attainment rule's defaults: share of the points, and number of graded items.
THRESHOLD = 0.8
MIN_ITEMS = 2

RECORD_COLUMNS = ["learner", "module", "item", "competency", "level", "points", "out_of", "source", "time"]
TABLES = ("grade", "grade_cells", "base_cell", "submitted_notebook", "submitted_assignment",
          "assignment", "notebook", "student")


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
# Gradebooks

@dataclass(frozen=True)
class Gradebook:
    """Where a gradebook is. ``label`` names it in messages (a URL's password is hidden)."""

    label: str
    url: str
    sqlite_path: Path | None
    source: str


def _personal_path() -> Path:
    return (paths.personal_course_dir() / "gradebook.db").resolve()


def locate(spec: str | Path, source: str | None = None) -> Gradebook:
    """Check that a gradebook (an SQLite file path or an SQLAlchemy URL) can be looked for.

    A missing SQLite file is a UsageError here: it is never created by reading.
    """
    text = str(spec)
    if "://" in text:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(text)
        except ArgumentError:
            raise UsageError(f"{text}: is neither a gradebook file nor a database URL such as "
                             "sqlite:///path/gradebook.db or postgresql://user@host/db")
        label = url.render_as_string(hide_password=True)
        path = None
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:":
                raise UsageError(f"{label}: an in-memory database holds no gradebook; give a file")
            path = Path(url.database).expanduser().resolve()
        url_text = text
    else:
        path = Path(text).expanduser()
        label = text
        if path.is_dir() and (path / "gradebook.db").exists():
            path = path / "gradebook.db"   # a course folder: its gradebook
        path = path.resolve()
        url_text = f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true"
    if path is not None:
        if not path.exists():
            raise UsageError(f"{label}: no such gradebook file; give the path of nbgrader's gradebook.db")
        if path.is_dir():
            raise UsageError(f"{label}: is a folder with no gradebook.db in it; give the gradebook file")
    if source is None:
        source = SELF_PACED if path is not None and path == _personal_path() else COHORT
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    return Gradebook(label, url_text, path, source)


@dataclass
class Raw:
    """One gradebook's evidence as arrays: one entry per counted grade of a tagged item."""

    gradebook: Gradebook
    sub_student: np.ndarray        # per submission: the learner id (object)
    sub_time: np.ndarray           # per submission: datetime64[ns], NaT when not recorded
    g_sub: np.ndarray              # per grade: index into the submission arrays
    g_item: np.ndarray             # per grade: index into Tags.items
    g_frac: np.ndarray             # per grade: share of the item's points, 0..1
    students_seen: int = 0         # distinct learners with any submission in the gradebook
    pending: int = 0               # hand-graded items submitted but not graded yet
    student_ids: np.ndarray | None = None   # the gradebook's learner ids ...
    sub_code: np.ndarray | None = None      # ... and each submission's position among them


_CELLS_SQL = """
SELECT {cell_key} AS cell, a.name AS module, bc.name AS item, gc.max_score AS max_score,
       gc.cell_type AS cell_type
FROM grade_cells gc
JOIN base_cell bc ON bc.id = gc.id
JOIN notebook n ON n.id = bc.notebook_id
JOIN assignment a ON a.id = n.assignment_id
WHERE n.name = :notebook
"""

_SUBS_SQL = """
SELECT sn.id AS sub, sa.student_id AS student, sa.timestamp AS time
FROM submitted_notebook sn
JOIN submitted_assignment sa ON sa.id = sn.assignment_id
JOIN notebook n ON n.id = sn.notebook_id
WHERE n.name = :notebook
"""

# The score that counts: a manual score (a trainer's grade or override) wins; otherwise the
# autograder's score, but only for autograded items. A hand-graded item without a manual score
# is pending (NULL): counted as pending, never as evidence.
_SCORE = """CASE WHEN g.manual_score IS NOT NULL THEN g.manual_score + COALESCE(g.extra_credit, 0)
            WHEN {auto_test} AND g.auto_score IS NOT NULL THEN g.auto_score + COALESCE(g.extra_credit, 0) END"""
# Rows read: the counted grades, and the hand-graded items' rows (pending ones give NULL).
_WANTED = "(g.manual_score IS NOT NULL OR {manual_test} OR ({auto_test} AND g.auto_score IS NOT NULL))"


def _parse_times(values) -> np.ndarray:
    """Submission timestamps (text in SQLite, datetimes elsewhere) as naive UTC datetime64[ns]."""
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[ns]")
    series = pd.Series(values, dtype=object)
    try:
        ts = pd.to_datetime(series, errors="raise", utc=True, format="ISO8601")
    except (ValueError, TypeError):
        ts = pd.to_datetime(series, errors="coerce", utc=True, format="mixed")
    return ts.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")


def _item_map(cells: pd.DataFrame, tags: Tags) -> pd.DataFrame:
    """Gradebook cells joined to tagged items: cell key, item index, max score, manual?"""
    idx = tags.index()
    pos = [idx.get((m, i), -1) for m, i in zip(cells["module"], cells["item"])]
    cells = cells.assign(item_index=np.asarray(pos, dtype=np.int64))
    cells = cells[(cells["item_index"] >= 0) & (cells["max_score"].astype(float) > 0)].copy()
    manual = np.array([tags.items[i].manual for i in cells["item_index"]], dtype=bool)
    cells["manual"] = manual | (cells["cell_type"].astype(str) == "markdown").to_numpy()
    cells["max_score"] = cells["max_score"].astype(float)
    return cells


def _check_tables(names, gb: Gradebook) -> None:
    missing = [t for t in TABLES if t not in set(names)]
    if missing:
        raise UsageError(f"{gb.label}: is not an nbgrader gradebook (no table {missing[0]!r}); "
                         "give the gradebook.db of an nbgrader course")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [exc.__class__.__name__])[0][:300]


def _lookup(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of ``wanted`` in ``keys`` (unique non-negative integers); -1 where absent."""
    keys = np.asarray(keys, dtype=np.int64)
    wanted = np.asarray(wanted, dtype=np.int64)
    if not len(keys):
        return np.full(len(wanted), -1, dtype=np.int64)
    top = int(max(keys.max(), wanted.max(initial=0)))
    if keys.min() >= 0 and top < 8 * len(keys) + 1_000_000:
        table = np.full(top + 1, -1, dtype=np.int64)     # database rowids are dense: index directly
        table[keys] = np.arange(len(keys))
        return table[np.clip(wanted, 0, top)] if wanted.min(initial=0) < 0 else table[wanted]
    order = np.argsort(keys, kind="stable")
    pos = np.clip(np.searchsorted(keys[order], wanted), 0, len(keys) - 1)
    return np.where(keys[order][pos] == wanted, order[pos], -1)


def _cell_tables(cells: pd.DataFrame) -> tuple:
    """Lookup tables indexed by a cell key: its item (-1: untagged), max score, hand-graded?"""
    keys = cells["cell"].to_numpy(dtype=np.int64)
    size = int(keys.max(initial=-1)) + 1
    item = np.full(size, -1, dtype=np.int32)
    top = np.ones(size)
    manual = np.zeros(size, dtype=bool)
    item[keys] = cells["item_index"].to_numpy(dtype=np.int32)
    top[keys] = cells["max_score"].to_numpy(dtype=np.float64)
    manual[keys] = cells["manual"].to_numpy(dtype=bool)
    return item, top, manual


def _shares(tables: tuple, cell: np.ndarray, score: np.ndarray, manual_score: np.ndarray) -> tuple:
    """(keep, item, share) for grades of cells: the share of the item's points that counts.

    A manual score always counts; an autograder's score only for an autograded item; a
    hand-graded item without a manual score is pending (NaN). Untagged cells are dropped.
    """
    item_of, top_of, manual_of = tables
    cell = np.where((cell >= 0) & (cell < len(item_of)), cell, 0) if len(item_of) else cell
    item = item_of[cell] if len(item_of) else np.full(len(cell), -1, dtype=np.int32)
    manual = manual_of[cell] if len(item_of) else np.zeros(len(cell), dtype=bool)
    counted = ~np.isnan(score) & (manual_score | ~manual)
    keep = (item >= 0) & (counted | manual)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(counted, score, np.nan)[keep] / top_of[cell[keep]]
    np.clip(share, 0.0, 1.0, out=share)
    return keep, item[keep], share


def _finish(gb, sub_key, sub_code, student_ids, sub_time, g_sub_key, g_item, g_share, students) -> Raw:
    """Map grades to submissions, keep the wanted learners, count the pending answers."""
    g_sub = _lookup(sub_key, g_sub_key)
    valid = g_sub >= 0
    student_ids = np.asarray(student_ids, dtype=object)
    sub_code = np.asarray(sub_code, dtype=np.int64)
    seen = int(np.count_nonzero(np.bincount(sub_code, minlength=len(student_ids)))) if len(sub_code) else 0
    if students is not None and len(g_sub):
        known = pd.Index(students).get_indexer(pd.Index(student_ids, dtype=object)) >= 0
        valid &= known[sub_code][np.maximum(g_sub, 0)]
    pending = np.isnan(g_share)
    n_pending = int(np.count_nonzero(valid & pending))
    valid &= ~pending
    raw = Raw(gb, student_ids[sub_code], _parse_times(sub_time), g_sub[valid], g_item[valid],
              g_share[valid], students_seen=seen, pending=n_pending)
    raw.student_ids, raw.sub_code = student_ids, sub_code
    return raw


# --- SQLite: the fast path ------------------------------------------------------------------------
#
# Handing millions of rows to Python one tuple at a time costs more than the query itself. So
# SQLite packs each grade into one integer and returns them all as one comma-separated text that
# numpy parses in C. The integer holds the submitted notebook's rowid, the cell's rowid, whether
# the score is a manual one, and the score in thousandths of a point plus 1 (0: no score yet).
# The grade table is read in slices by a few threads: sqlite3 releases the GIL while a query
# runs, so they use the cores while the caller does other work (such as checking the roster).

_CELL_BITS = 16             # up to 65,535 cells (base_cell rows) in a gradebook
_SCORE_BITS = 20            # 19 bits of score code and 1 bit "manual"
_CELL_MASK = (1 << _CELL_BITS) - 1
_MASK = (1 << _SCORE_BITS) - 1
_CODE_MASK = (1 << 19) - 1
_SUB_LIMIT = 1 << (62 - _CELL_BITS - _SCORE_BITS)   # submitted notebooks: over 67 million
_SQLITE_STEP = 2_000_000    # grade rows per query: keeps each packed text far below SQLite's limit
_SCORE_CODE = f"""CASE WHEN g.manual_score IS NOT NULL
       THEN {1 << 19} | min({_CODE_MASK}, max(0, CAST(round((g.manual_score + COALESCE(g.extra_credit, 0)) * 1000) AS INTEGER)) + 1)
     WHEN g.auto_score IS NOT NULL
       THEN min({_CODE_MASK}, max(0, CAST(round((g.auto_score + COALESCE(g.extra_credit, 0)) * 1000) AS INTEGER)) + 1)
     ELSE 0 END"""
_SUBS_PACKED = """
SELECT group_concat(sn.rowid || ',' || st.rowid || ',' ||
       COALESCE(CAST(round((julianday(sa.timestamp) - 2440587.5) * 86400000) AS INTEGER), -1))
FROM submitted_notebook sn
JOIN submitted_assignment sa ON sa.id = sn.assignment_id
JOIN student st ON st.id = sa.student_id
WHERE sn.notebook_id IN (SELECT id FROM notebook WHERE name = ?)
"""


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, check_same_thread=False)
    con.execute("PRAGMA query_only = ON")
    return con


def _workers() -> int:
    env = os.environ.get("COURSEKIT_READ_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, min(4, os.cpu_count() or 1))


def _parse_ints(text: str | None, width: int) -> np.ndarray:
    if not text:
        return np.empty((0, width), dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",").reshape(-1, width)


class PendingRead:
    """A gradebook being read; ``result()`` waits for it. ``cancel()`` stops the queries."""

    def __init__(self, gb: Gradebook, tags: Tags):
        self.gb, self.tags = gb, tags
        self._cons: list = []
        self._futures: list = []
        self._pool = None
        self._cancelled = False
        if gb.sqlite_path is not None:
            self._start_sqlite()

    # the SQLite queries, each on its own connection in a worker thread
    def _connect(self) -> sqlite3.Connection:
        con = _sqlite_connect(self.gb.sqlite_path)
        self._cons.append(con)
        if self._cancelled:
            con.interrupt()
        return con

    def _grades(self, lo: int, hi: int) -> str | None:
        """The packed text of the grades in rows ``lo <= rowid < hi`` (runs in a worker thread)."""
        con = self._connect()
        try:
            packed = f"(sn.rowid << {_CELL_BITS + _SCORE_BITS}) | (bc.rowid << {_SCORE_BITS}) | ({_SCORE_CODE})"
            sql = (f"SELECT group_concat({packed}) "
                   "FROM grade g JOIN submitted_notebook sn ON sn.id = g.notebook_id "
                   "JOIN base_cell bc ON bc.id = g.cell_id WHERE g.rowid >= ? AND g.rowid < ?")
            text = con.execute(sql, (lo, hi)).fetchone()[0]
        finally:
            con.close()
        return text

    def _decode(self, text) -> tuple:
        """(submitted notebook rowid, item, share or NaN when pending) from a packed text.

        Done by the caller, not the worker threads: numpy here would compete with them for the GIL.
        """
        values = _parse_ints(text, 1)[:, 0]
        del text
        code = values & _MASK
        score = np.where(code == 0, np.nan, ((code & _CODE_MASK) - 1) / 1000.0)
        keep, item, share = _shares(self._tables, (values >> _SCORE_BITS) & _CELL_MASK, score, (code >> 19) == 1)
        return values[keep] >> (_CELL_BITS + _SCORE_BITS), item, share

    def _subs(self) -> tuple:
        con = self._connect()
        try:
            subs = _parse_ints(con.execute(_SUBS_PACKED, (NOTEBOOK,)).fetchone()[0], 3)
            return subs, con.execute("SELECT rowid, id FROM student").fetchall()
        finally:
            con.close()

    def _start_sqlite(self) -> None:
        gb = self.gb
        try:
            con = _sqlite_connect(gb.sqlite_path)
        except sqlite3.Error as exc:
            raise UsageError(f"{gb.label}: cannot open the gradebook ({exc})")
        try:
            names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            _check_tables(names, gb)
            cells = con.execute(_CELLS_SQL.replace(":notebook", "?").format(cell_key="bc.rowid"), (NOTEBOOK,)).fetchall()
            self.cells = _item_map(pd.DataFrame(cells, columns=["cell", "module", "item", "max_score", "cell_type"]),
                                   self.tags)
            # (MIN and MAX in one query would scan the table; apart, each is one lookup)
            lo = con.execute("SELECT MIN(rowid) FROM grade").fetchone()[0]
            hi = con.execute("SELECT MAX(rowid) FROM grade").fetchone()[0]
            max_sn = con.execute("SELECT MAX(rowid) FROM submitted_notebook").fetchone()[0] or 0
            max_bc = con.execute("SELECT MAX(rowid) FROM base_cell").fetchone()[0] or 0
        except sqlite3.Error as exc:
            raise UsageError(f"{gb.label}: cannot read the gradebook ({exc}); is it an nbgrader SQLite gradebook?")
        finally:
            con.close()
        if max_sn >= _SUB_LIMIT or max_bc > _CELL_MASK:
            self.cells = None            # keys too large to pack: read it the general way
            return
        from concurrent.futures import ThreadPoolExecutor

        cells = self.cells
        self._tables = _cell_tables(cells)
        jobs = []
        if len(cells) and lo is not None:
            n = _workers() if hi - lo > 400_000 else 1
            n = max(n, n * math.ceil((hi - lo + 1) / (n * _SQLITE_STEP)))
            bounds = np.linspace(lo, hi + 1, n + 1).astype(np.int64)
            jobs = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
        self._pool = ThreadPoolExecutor(max(1, min(len(jobs) + 1, _workers() + 1)), thread_name_prefix="gradebook")
        self._subs_future = self._pool.submit(self._subs)
        self._futures = [self._pool.submit(self._grades, *job) for job in jobs]

    def cancel(self) -> None:
        self._cancelled = True
        for con in list(self._cons):
            try:
                con.interrupt()
            except sqlite3.ProgrammingError:
                pass
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def result(self, students=None) -> Raw:
        if self.gb.sqlite_path is None or self.cells is None:
            return _read_sqlalchemy(self.gb, self.tags, students)
        try:
            parts = [self._decode(f.result()) for f in self._futures]   # numpy work here, in order
            subs, students_rows = self._subs_future.result()
        except sqlite3.Error as exc:
            raise UsageError(f"{self.gb.label}: cannot read the gradebook ({exc})")
        finally:
            self._pool.shutdown(wait=False)
        st_rowid = np.array([r[0] for r in students_rows], dtype=np.int64)
        st_id = np.array([r[1] for r in students_rows], dtype=object)
        pos = _lookup(st_rowid, subs[:, 1])
        ok = pos >= 0
        ms = subs[ok, 2]
        times = np.where(ms < 0, np.datetime64("NaT"), ms.astype("datetime64[ms]")).astype("datetime64[ns]")
        cat = lambda i, dt: np.concatenate([p[i] for p in parts]) if parts else np.empty(0, dt)  # noqa: E731
        return _finish(self.gb, subs[ok, 0], pos[ok], st_id, times, cat(0, np.int64), cat(1, np.int32),
                       cat(2, np.float64), students)


def _read_sqlalchemy(gb: Gradebook, tags: Tags, students) -> Raw:
    """Any database SQLAlchemy can reach (PostgreSQL included): portable SQL, rows to pandas."""
    from sqlalchemy import bindparam, create_engine, inspect, text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = create_engine(gb.url)
    except (SQLAlchemyError, ImportError) as exc:
        raise UsageError(f"{gb.label}: cannot open the gradebook ({_first_line(exc)})")
    try:
        with engine.connect() as conn:
            _check_tables(inspect(conn).get_table_names(), gb)
            cells = pd.DataFrame(conn.execute(text(_CELLS_SQL.format(cell_key="bc.id")), {"notebook": NOTEBOOK}).fetchall(),
                                 columns=["cell", "module", "item", "max_score", "cell_type"])
            cells = _item_map(cells, tags)
            subs = conn.execute(text(_SUBS_SQL), {"notebook": NOTEBOOK}).fetchall()
            g_sub, g_cell, g_score, manual_flags = [], [], np.empty(0), np.empty(0, dtype=bool)
            if len(cells):
                auto_test = "g.cell_id IN :auto"
                wanted = _WANTED.format(auto_test=auto_test, manual_test="g.cell_id IN :manual")
                sql = (f"SELECT g.notebook_id, g.cell_id, {_SCORE.format(auto_test=auto_test)}, "
                       "g.manual_score IS NOT NULL FROM grade g "
                       f"WHERE g.cell_id IN :cells AND {wanted}")
                stmt = text(sql).bindparams(*(bindparam(k, expanding=True) for k in ("auto", "manual", "cells")))
                none = ["\x00none"]  # an IN list may not be empty
                rows = conn.execute(stmt, {"auto": [str(c) for c in cells.loc[~cells["manual"], "cell"]] or none,
                                           "manual": [str(c) for c in cells.loc[cells["manual"], "cell"]] or none,
                                           "cells": [str(c) for c in cells["cell"]]}).fetchall()
                g_sub = [r[0] for r in rows]
                g_cell = [r[1] for r in rows]
                g_score = np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=np.float64)
                manual_flags = np.array([bool(r[3]) for r in rows], dtype=bool)
    except UsageError:
        raise
    except (SQLAlchemyError, ImportError, OSError) as exc:
        raise UsageError(f"{gb.label}: cannot read the gradebook ({_first_line(exc)})")
    finally:
        engine.dispose()
    # text keys -> integer codes, as the SQLite path has them
    sub_index = pd.Index([str(x[0]) for x in subs])
    cell_index = pd.Index(cells["cell"].astype(str))
    cells = cells.assign(cell=np.arange(len(cells), dtype=np.int64))
    gs = sub_index.get_indexer(pd.Index([str(x) for x in g_sub], dtype=object)) if len(g_sub) else np.empty(0, np.int64)
    gc = cell_index.get_indexer(pd.Index([str(c) for c in g_cell], dtype=object)) if len(g_cell) else np.empty(0, np.int64)
    keep, item, share = _shares(_cell_tables(cells), gc, np.asarray(g_score, dtype=np.float64), manual_flags)
    codes, student_ids = pd.factorize(np.array([x[1] for x in subs], dtype=object))
    return _finish(gb, np.arange(len(subs), dtype=np.int64), codes, student_ids, [x[2] for x in subs],
                   gs[keep], item, share, students)


def start_read(gradebook: str | Path | Gradebook, tags: Tags, *, source: str | None = None) -> PendingRead:
    """Start reading a gradebook (SQLite: in background threads); ``.result()`` returns :class:`Raw`."""
    gb = gradebook if isinstance(gradebook, Gradebook) else locate(gradebook, source)
    return PendingRead(gb, tags)


def read_gradebook(gradebook: str | Path | Gradebook, tags: Tags, *, source: str | None = None,
                   students=None) -> Raw:
    """Read the counted grades of tagged items from one gradebook, as arrays.

    ``students``: keep only these learner ids (e.g. a roster's). Raises UsageError when the
    gradebook is missing, unreadable, unreachable or not an nbgrader gradebook.
    """
    return start_read(gradebook, tags, source=source).result(students)


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
    counts once, with the highest points; of equal points, the earliest time is kept.
    """
    if recs.empty:
        return recs
    keys = ["learner", "module", "item", "competency"]
    order = recs.assign(_neg=-recs["points"]).sort_values(keys + ["_neg", "time"], na_position="last", kind="stable")
    return order.drop_duplicates(keys, keep="first").drop(columns="_neg").sort_index()


# ---------------------------------------------------------------------------------------------
# The attainment rule

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
    p = np.cumsum(points, axis=-1)
    o = np.cumsum(out_of, axis=-1)
    n = np.cumsum(items, axis=-1)
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
