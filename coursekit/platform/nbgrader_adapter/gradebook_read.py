"""The fast reader of counted grades: SQL over nbgrader's gradebook tables, for evidence.

A pledge report over a whole civil service reads millions of grades, so the gradebook is read
with a few SQL queries over nbgrader's tables (``grade``, ``grade_cells``, ``base_cell``,
``submitted_notebook``, ``submitted_assignment``, ``assignment``, ``notebook``, ``student``), not
object by object. The SQL states the score rule of :mod:`.gradebook` (manual over automatic,
extra credit up to full marks, a written answer pending until a trainer marks it);
``tests/test_evidence.py`` holds the two statements of the rule together.

``tags`` is any object with ``items`` (each with ``manual``) and ``index()`` mapping
(module, grade_id) to a position in ``items``: :class:`coursekit.platform.evidence.Tags`.
"""

from __future__ import annotations

import math
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from coursekit.errors import UsageError
from coursekit.platform import compiled, paths
from coursekit.platform.nbgrader_adapter.gradebook import NOTEBOOK, database_url

SELF_PACED = "self-paced"
COHORT = "cohort"
SOURCES = (SELF_PACED, COHORT)
TABLES = ("grade", "grade_cells", "base_cell", "submitted_notebook", "submitted_assignment",
          "assignment", "notebook", "student")

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
        url_text = database_url(text)
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


def _item_map(cells: pd.DataFrame, tags: "Tags") -> pd.DataFrame:
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
    """Positions of ``wanted`` in ``keys`` (unique integers); -1 where absent."""
    return _Positions(keys).find(wanted)


class _Positions:
    """Positions of unique integer keys, found again and again (a table built once)."""

    def __init__(self, keys: np.ndarray):
        self.keys = np.asarray(keys, dtype=np.int64)
        self.table = None
        if len(self.keys) and self.keys.min() >= 0 and self.keys.max() < 8 * len(self.keys) + 1_000_000:
            self.table = np.full(int(self.keys.max()) + 1, -1, dtype=np.int64)   # rowids are dense: index directly
            self.table[self.keys] = np.arange(len(self.keys))
        else:
            self.order = np.argsort(self.keys, kind="stable")
            self.sorted = self.keys[self.order]

    def find(self, wanted: np.ndarray) -> np.ndarray:
        wanted = np.asarray(wanted, dtype=np.int64)
        if not len(self.keys):
            return np.full(len(wanted), -1, dtype=np.int64)
        if self.table is not None:
            top = len(self.table) - 1
            inside = (wanted >= 0) & (wanted <= top)
            if inside.all():
                return self.table[wanted]
            return np.where(inside, self.table[np.clip(wanted, 0, top)], -1)
        pos = np.clip(np.searchsorted(self.sorted, wanted), 0, len(self.keys) - 1)
        return np.where(self.sorted[pos] == wanted, self.order[pos], -1)


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
#
# nbgrader names a submitted notebook by a 32-character id (a UUID in hex). Looking that id up
# in submitted_notebook's index for every grade costs more than reading the grade itself, so
# when every submitted notebook's id is 32 bytes long, SQLite hands over the grades' ids as one
# text (32 bytes each, no separator) beside the packed integers, and numpy matches them: a
# submission's grades are stored one after another, so only where the id changes is it looked
# up, in a hash table of the ids (:class:`_IdIndex`). Otherwise the join does it. The cells'
# ids and the submitted assignments' ids are matched the same way.

_CELL_BITS = 16             # up to 65,535 cells (base_cell rows) in a gradebook
_SCORE_BITS = 20            # 19 bits of score code and 1 bit "manual"
_CELL_MASK = (1 << _CELL_BITS) - 1
_MASK = (1 << _SCORE_BITS) - 1
_CODE_MASK = (1 << 19) - 1
_SUB_LIMIT = 1 << (62 - _CELL_BITS - _SCORE_BITS)   # submitted notebooks: over 67 million
_SQLITE_STEP = 1_000_000    # grade rows per query: keeps each text far below SQLite's limit, and memory small
_SCORE_CODE = f"""CASE WHEN g.manual_score IS NOT NULL
       THEN {1 << 19} | min({_CODE_MASK}, max(0, CAST(round((g.manual_score + COALESCE(g.extra_credit, 0)) * 1000) AS INTEGER)) + 1)
     WHEN g.auto_score IS NOT NULL
       THEN min({_CODE_MASK}, max(0, CAST(round((g.auto_score + COALESCE(g.extra_credit, 0)) * 1000) AS INTEGER)) + 1)
     ELSE 0 END"""
_ID_BYTES = 32              # nbgrader's ids: uuid4().hex
_ID_PLACEHOLDER = "\x01" * _ID_BYTES   # a grade whose notebook id is not 32 bytes: matches no submission
_MS = "COALESCE(CAST(round((julianday(sa.timestamp) - 2440587.5) * 86400000) AS INTEGER), -1)"
# Each submitted notebook with its learner's id as nbgrader recorded it (as _SUBS_SQL has it) and
# its time in ms: the way for ids that are not 32 bytes.
_SUBS_ROWS = f"""
SELECT sn.rowid, sa.student_id, {_MS}
FROM submitted_notebook sn
JOIN submitted_assignment sa ON sa.id = sn.assignment_id
WHERE sn.notebook_id IN (SELECT id FROM notebook WHERE name = ?)
"""
# Learners' ids come as one text, separated by a character no id holds (checked): handed over row
# by row, each row waits for the interpreter, which other threads hold while the command starts.
_SEP = "\x1f"
# The submitted assignments with their learners' ids as nbgrader recorded them, which numpy then
# finds among the student table's ids (as the portable reader's _SUBS_SQL takes them).
_SA_PACKED = f"""
SELECT CAST(group_concat(CASE WHEN length(CAST(sa.id AS BLOB)) = {_ID_BYTES} THEN sa.id ELSE '{_ID_PLACEHOLDER}' END, '')
            AS BLOB),
       group_concat(sa.student_id, char({ord(_SEP)})),
       group_concat({_MS}),
       count(*),
       sum(typeof(sa.student_id) = 'text' AND instr(sa.student_id, char({ord(_SEP)})) = 0)
FROM submitted_assignment sa
"""
_SN_PACKED = f"""
SELECT CAST(group_concat(CASE WHEN length(CAST(sn.assignment_id AS BLOB)) = {_ID_BYTES} THEN sn.assignment_id
                         ELSE '{_ID_PLACEHOLDER}' END, '') AS BLOB),
       group_concat(sn.rowid)
FROM submitted_notebook sn
WHERE sn.notebook_id IN (SELECT id FROM notebook WHERE name = ?)
"""


def _id_words(ids: bytes | None) -> np.ndarray:
    """32-byte ids, one after another, as rows of four 64-bit words."""
    if not ids:
        return np.empty((0, _ID_BYTES // 8), dtype=np.uint64)
    if len(ids) % _ID_BYTES:
        raise sqlite3.DatabaseError("ids that should be 32 bytes each are not")
    return np.frombuffer(ids, dtype=np.uint64).reshape(-1, _ID_BYTES // 8)


def _whole_ids(ids: bytes | None) -> bool:
    return not ids or len(ids) % _ID_BYTES == 0


_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5], dtype=np.uint64)


class _IdIndex:
    """32-byte ids found by a 64-bit hash of their bytes (a hash table, no sorting), each match
    then compared byte for byte: exact, as long as no two ids of the index share a hash
    (``unique``; the caller otherwise takes another way)."""

    def __init__(self, words: np.ndarray):
        self.words = words
        self.index = pd.Index(self.hash(words))
        self.unique = bool(self.index.is_unique)

    def __len__(self) -> int:
        return len(self.words)

    @staticmethod
    def hash(words: np.ndarray) -> np.ndarray:
        h = words[:, 0] * _MIX[0] if len(words) else np.empty(0, dtype=np.uint64)
        for k in range(1, words.shape[1]):
            h ^= words[:, k] * _MIX[k]
            h ^= h >> np.uint64(31)
        return h

    def find(self, words: np.ndarray) -> np.ndarray:
        """Each id's position in the index; -1 where it is not there."""
        if not len(words) or not len(self.words):
            return np.full(len(words), -1, dtype=np.int64)
        pos = self.index.get_indexer(self.hash(words)).astype(np.int64)
        hit = np.flatnonzero(pos >= 0)
        same = (self.words[pos[hit]] == words[hit]).all(axis=1)
        pos[hit[~same]] = -1                 # the same hash, another id: that id is not in the index
        return pos


def _student_ids(con) -> list:
    """The student table's ids, in one text when they can be (see _SEP)."""
    ids, n, whole = con.execute(f"SELECT group_concat(id, char({ord(_SEP)})), count(*), "
                                f"sum(typeof(id) = 'text' AND instr(id, char({ord(_SEP)})) = 0) FROM student").fetchone()
    if not n:
        return []
    if whole == n:
        return ids.split(_SEP)
    return [r[0] for r in con.execute("SELECT id FROM student")]


def _learners_of(names: list, students: list) -> tuple:
    """(each submission's learner as a position in the learners' ids, -1 for none; the learners'
    ids): the student table's, then those a submission names that the table does not hold, as
    nbgrader recorded them (what the portable reader's _SUBS_SQL gives)."""
    if not names:
        return np.empty(0, dtype=np.int64), students
    students = list(dict.fromkeys(students))         # the table's key: never twice, but never trusted
    at = pd.Index(students, dtype=object).get_indexer(wanted := pd.Index(names, dtype=object))
    missing = at < 0
    if missing.any():
        codes, others = pd.factorize(wanted[missing])        # a submission of no learner (NULL): -1
        at[missing] = np.where(codes >= 0, codes + len(students), -1)
        students = students + list(others)
    return at.astype(np.int64), students


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, check_same_thread=False)
    con.execute("PRAGMA query_only = ON")
    return con


_PAGE_BATCH = 8_192         # leaf pages decoded at a time: about 300,000 grades
_PAGES_AHEAD = 16           # batches decoded ahead of their use (about 100 MB): the workers go on while
                            # the caller checks the roster, waits for the submissions or reduces a slice


PAGES_FROM = 200_000         # grade rows from which the pages are read (see coursekit.platform.compiled)


def _pages_ready() -> bool:
    """The compiled loops of :mod:`.grade_pages`, loaded; False where they cannot be."""
    try:
        from coursekit.platform.nbgrader_adapter import grade_pages
    except ImportError:
        return False
    return grade_pages.ready()


def _workers() -> int:
    env = os.environ.get("COURSEKIT_READ_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, min(4, os.cpu_count() or 1))


def _parse_ints(text: str | None, width: int) -> np.ndarray:
    if not text:
        return np.empty((0, width), dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",").reshape(-1, width)


def _text_id(column: str) -> str:
    """SQL: the 32-byte id in ``column``, or a placeholder that matches nothing when it is not 32 bytes."""
    return f"CASE WHEN length(CAST({column} AS BLOB)) = {_ID_BYTES} THEN {column} ELSE '{_ID_PLACEHOLDER}' END"


# The grades' cells are matched the same way as their submitted notebooks, which spares SQLite a
# lookup in base_cell's index per grade: a gradebook has a few hundred cells, told apart here by
# the first 8 bytes of their ids (and every grade's whole id is then compared with its cell's).
# When two cells share their first 8 bytes, or an id is not 32 bytes, SQLite joins base_cell.

def _cell_keys(rows) -> tuple | None:
    """(sorted first 8 bytes of each cell id as uint64, the ids' 32 bytes in that order, rowids),
    or None when the cells cannot be told apart that way."""
    if not rows or any(not isinstance(r[1], bytes) or len(r[1]) != _ID_BYTES for r in rows):
        return None
    ids = np.frombuffer(b"".join(r[1] for r in rows), dtype=f"S{_ID_BYTES}")
    words = ids.view(np.uint64).reshape(len(rows), _ID_BYTES // 8)
    order = np.argsort(words[:, 0], kind="stable")
    first = words[order, 0]
    if len(first) > 1 and (first[1:] == first[:-1]).any():
        return None
    return first, words[order], np.array([r[0] for r in rows], dtype=np.int64)[order]


def _cell_of(ids: bytes | None, keys: tuple) -> np.ndarray:
    """Each grade's cell rowid (0: no such cell), from the grades' cell ids, 32 bytes each."""
    first, words, rowid = keys
    if not ids:
        return np.empty(0, dtype=np.int64)
    if len(ids) % _ID_BYTES:
        raise sqlite3.DatabaseError("the grades' cell ids are not 32 bytes each")
    n = len(ids) // _ID_BYTES
    grade = np.frombuffer(ids, dtype=np.uint64).reshape(n, _ID_BYTES // 8)
    pos = np.clip(np.searchsorted(first, grade[:, 0]), 0, len(first) - 1)
    same = (words[pos] == grade).all(axis=1)
    return np.where(same, rowid[pos], 0)


class PendingRead:
    """A gradebook being read; ``result()`` waits for it. ``cancel()`` stops the queries."""

    def __init__(self, gb: Gradebook, tags: "Tags | None"):
        import threading

        self.gb, self.tags = gb, None
        self._tagged = threading.Event()       # the tags given (they may come after the read starts)
        self._general = False                  # read the general way (keys too large to pack)
        self._raw_cells = None
        self._cons: list = []
        self._futures: list = []
        self._jobs: list = []
        self._pool = None
        self._cancelled = False
        self._pages_future = None
        self._lock = None                 # the page reader's read transaction, while it reads
        if gb.sqlite_path is not None:
            self._start_sqlite(tags)
        elif tags is not None:
            self.tags = tags

    def set_tags(self, tags: "Tags") -> None:
        """The items to read (when the read was started before they were known); once only."""
        if self._tagged.is_set():
            return
        self.tags = tags
        if self._raw_cells is not None:
            self.cells = _item_map(self._raw_cells, tags)
            self._tables = _cell_tables(self.cells)
        self._tagged.set()

    # the SQLite queries, each on its own connection in a worker thread
    def _connect(self) -> sqlite3.Connection:
        con = _sqlite_connect(self.gb.sqlite_path)
        self._cons.append(con)
        if self._cancelled:
            con.interrupt()
        return con

    def _grades(self, lo: int, hi: int) -> tuple:
        """The grades in rows ``lo <= rowid < hi`` (runs in a worker thread): each one's submitted
        notebook rowid (None when the join packs it into the text instead), and the packed text."""
        con = self._connect()
        cells = None
        try:
            if self._cells_text is not None:
                score, cell_join = _SCORE_CODE, ""
            else:
                score, cell_join = f"(bc.rowid << {_SCORE_BITS}) | ({_SCORE_CODE})", "JOIN base_cell bc ON bc.id = g.cell_id "
            if self._ids_by_text:
                cell_text = (f"CAST(group_concat({_text_id('g.cell_id')}, '') AS BLOB)" if self._cells_text is not None
                             else "NULL")
                sql = (f"SELECT CAST(group_concat({_text_id('g.notebook_id')}, '') AS BLOB), {cell_text}, "
                       f"group_concat({score}) FROM grade g {cell_join}WHERE g.rowid >= ? AND g.rowid < ?")
                ids, cells, text = con.execute(sql, (lo, hi)).fetchone()
            else:
                packed = f"(sn.rowid << {_CELL_BITS + _SCORE_BITS}) | {score}"
                sql = (f"SELECT NULL, group_concat({packed}) "
                       "FROM grade g JOIN submitted_notebook sn ON sn.id = g.notebook_id "
                       "JOIN base_cell bc ON bc.id = g.cell_id WHERE g.rowid >= ? AND g.rowid < ?")
                ids, text = con.execute(sql, (lo, hi)).fetchone()
        finally:
            con.close()
        if self._ids_by_text:
            # matched here, while the caller may still be busy: 8 bytes a grade wait for it, not 32
            ids = self._submission_of(ids, self._sn_future.result())
            if self._cells_text is not None:
                cells = _cell_of(cells, self._cells_text)
        return ids, cells, text

    def _notebook_ids(self) -> tuple:
        """Every submitted notebook's id and rowid: (an :class:`_IdIndex` of the ids, rowids), or
        when two ids share a hash, (the ids sorted, as 32-byte strings, rowids in that order)."""
        con = self._connect()
        try:
            ids, rowids = con.execute("SELECT CAST(group_concat(id, '') AS BLOB), group_concat(rowid) "
                                      "FROM submitted_notebook").fetchone()
        finally:
            con.close()
        rowid = _parse_ints(rowids, 1)[:, 0]
        index = _IdIndex(_id_words(ids))
        if index.unique:
            return index, rowid
        keys = np.frombuffer(ids, dtype=f"S{_ID_BYTES}") if ids else np.empty(0, f"S{_ID_BYTES}")
        order = np.argsort(keys, kind="stable")
        return keys[order], rowid[order]

    @staticmethod
    def _submission_of(ids: bytes | None, sn_ids: tuple) -> np.ndarray:
        """Each grade's submitted notebook rowid (-1: none), from the grades' ids, 32 bytes each."""
        if not ids:
            return np.empty(0, dtype=np.int64)
        if len(ids) % _ID_BYTES:          # cannot happen with 32-byte ids; never guess if it does
            raise sqlite3.DatabaseError("the grades' submitted notebook ids are not 32 bytes each")
        n = len(ids) // _ID_BYTES
        words = np.frombuffer(ids, dtype=np.uint64).reshape(n, _ID_BYTES // 8)
        head = np.ones(n, dtype=bool)
        head[1:] = (words[1:] != words[:-1]).any(axis=1)       # where a new submission's grades begin
        starts = np.flatnonzero(head)
        found = PendingRead._rowids_of(words[starts], sn_ids)
        return np.repeat(found, np.diff(np.append(starts, n)))

    @staticmethod
    def _rowids_of(words: np.ndarray, sn_ids: tuple) -> np.ndarray:
        """The rowid of the submitted notebook of each id (rows of four 64-bit words); -1: none."""
        keys, rowid = sn_ids
        if not len(keys) or not len(words):
            return np.full(len(words), -1, dtype=np.int64)
        if isinstance(keys, _IdIndex):
            pos = keys.find(words)
            return np.where(pos >= 0, rowid[pos], -1)
        wanted = np.ascontiguousarray(words).view(f"S{_ID_BYTES}").ravel()
        pos = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
        return np.where(keys[pos] == wanted, rowid[pos], -1)

    def _decode(self, part) -> tuple:
        """(submitted notebook rowid, item, share or NaN when pending) from a slice's texts (SQL)
        or arrays (pages).

        Done by the caller, not the worker threads: numpy here would compete with them for the GIL.
        """
        ids, cells, text = part             # each grade's submitted notebook rowid and cell rowid, or None
        values = text if isinstance(text, np.ndarray) else _parse_ints(text, 1)[:, 0]
        del text
        code = values & _MASK
        if cells is None:
            cells = (values >> _SCORE_BITS) & _CELL_MASK
        elif len(cells) != len(values):
            raise sqlite3.DatabaseError("the grades' cells and scores do not line up")
        score = np.where(code == 0, np.nan, ((code & _CODE_MASK) - 1) / 1000.0)
        keep, item, share = _shares(self._tables, cells, score, (code >> 19) == 1)
        if self._ids_by_text:
            if len(ids) != len(values):
                raise sqlite3.DatabaseError("the grades' ids and scores do not line up")
            sub = ids[keep]
            found = sub >= 0                 # as the join would: a grade of no submitted notebook is not read
            return sub[found], item[found], share[found]
        return values[keep] >> (_CELL_BITS + _SCORE_BITS), item, share

    def _subs(self) -> tuple:
        """(per submitted notebook: its rowid, its learner's position in the learners' ids, its
        time in ms or -1; the learners' ids)."""
        con = self._connect()
        try:
            students = _student_ids(con)
            found = self._subs_by_text(con, students) if self._ids_by_text else None
            if found is not None:
                return found
            rows = con.execute(_SUBS_ROWS, (NOTEBOOK,)).fetchall()
            at, students = _learners_of([r[1] for r in rows], students)
            subs = np.column_stack([np.array([r[0] for r in rows], dtype=np.int64), at,
                                    np.array([r[2] for r in rows], dtype=np.int64)]).reshape(-1, 3)
            return subs, students
        finally:
            con.close()

    @staticmethod
    def _subs_by_text(con, students: list) -> tuple | None:
        """What ``_subs`` gives, with the submitted assignments matched to their notebooks by id in
        numpy: a join looks each one up in the table at random, a read from disk each once the
        table outgrows SQLite's cache. None when some id is not 32 bytes, or a learner's id is
        not text that the packed text keeps whole."""
        sa_ids, sa_students, sa_ms, n_sa, whole = con.execute(_SA_PACKED).fetchone()
        if n_sa and whole != n_sa:
            return None
        sn_ids, sn_rowids = con.execute(_SN_PACKED, (NOTEBOOK,)).fetchone()
        if not (_whole_ids(sa_ids) and _whole_ids(sn_ids)):
            return None
        index = _IdIndex(_id_words(sa_ids))
        odd = (index.words == _id_words(_ID_PLACEHOLDER.encode())).all(axis=1).any()
        if odd or not index.unique:         # an id that is not 32 bytes, or two ids that share a hash
            return None
        ms = _parse_ints(sa_ms, 1)[:, 0]
        names = sa_students.split(_SEP) if n_sa else []
        pos = index.find(_id_words(sn_ids)) if sn_ids else np.empty(0, dtype=np.int64)
        sn_rowid = _parse_ints(sn_rowids, 1)[:, 0]
        if len(names) != n_sa or len(ms) != n_sa or len(index.words) != n_sa or len(pos) != len(sn_rowid):
            raise sqlite3.DatabaseError("the submissions' ids and numbers do not line up")
        at, students = _learners_of(names, students)
        hit = pos >= 0
        return np.column_stack([sn_rowid[hit], at[pos[hit]], ms[pos[hit]]]), students

    def _start_sqlite(self, tags) -> None:
        gb = self.gb
        try:
            con = _sqlite_connect(gb.sqlite_path)
        except sqlite3.Error as exc:
            raise UsageError(f"{gb.label}: cannot open the gradebook ({exc})")
        try:
            names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            _check_tables(names, gb)
            cells = con.execute(_CELLS_SQL.replace(":notebook", "?").format(cell_key="bc.rowid"), (NOTEBOOK,)).fetchall()
            self._raw_cells = pd.DataFrame(cells, columns=["cell", "module", "item", "max_score", "cell_type"])
            # (MIN and MAX in one query would scan the table; apart, each is one lookup)
            lo = con.execute("SELECT MIN(rowid) FROM grade").fetchone()[0]
            hi = con.execute("SELECT MAX(rowid) FROM grade").fetchone()[0]
            max_sn = con.execute("SELECT MAX(rowid) FROM submitted_notebook").fetchone()[0] or 0
            max_bc = con.execute("SELECT MAX(rowid) FROM base_cell").fetchone()[0] or 0
            self._ids_by_text = con.execute("SELECT NOT EXISTS (SELECT 1 FROM submitted_notebook "
                                            f"WHERE length(CAST(id AS BLOB)) != {_ID_BYTES})").fetchone()[0] == 1
            self._cells_text = (_cell_keys(con.execute("SELECT rowid, CAST(id AS BLOB) FROM base_cell").fetchall())
                                if self._ids_by_text else None)
        except sqlite3.Error as exc:
            raise UsageError(f"{gb.label}: cannot read the gradebook ({exc}); is it an nbgrader SQLite gradebook?")
        finally:
            con.close()
        if max_sn >= _SUB_LIMIT or max_bc > _CELL_MASK:
            self._general = True         # keys too large to pack: read it the general way
            self._raw_cells = None
            if tags is not None:
                self.set_tags(tags)
            return
        from concurrent.futures import ThreadPoolExecutor

        if tags is not None:
            self.set_tags(tags)
        cells = self.cells if tags is not None else self._raw_cells    # tagged cells, once known
        jobs = []
        if len(cells) and lo is not None:
            n = _workers() if hi - lo > 400_000 else 1
            n = max(n, n * math.ceil((hi - lo + 1) / (n * _SQLITE_STEP)))
            bounds = np.linspace(lo, hi + 1, n + 1).astype(np.int64)
            jobs = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
        self._pool = ThreadPoolExecutor(max(1, min(len(jobs) + 1, _workers() + 1)), thread_name_prefix="gradebook")
        self._subs_future = self._pool.submit(self._subs)
        if self._ids_by_text:
            self._sn_future = self._pool.submit(self._notebook_ids)
        self._jobs = jobs
        if jobs and self._ids_by_text and self._cells_text is not None and compiled.wanted(hi - lo + 1, PAGES_FROM):
            self._pages_future = self._pool.submit(self._open_pages)
        else:   # a few slices ahead of the reader, not all: each read slice waits in memory until used
            self._futures = [self._pool.submit(self._grades, *job) for job in jobs[:_workers()]]

    # the grade table read from the file's pages (grade_pages), when it can be
    def _open_pages(self):
        """(the grade table's pages, its columns, its batches of leaf pages, the first batches
        under way) under a read lock; None: read it with SQL."""
        if not _pages_ready():
            return None
        from coursekit.platform.nbgrader_adapter import grade_pages, sqlite_pages

        try:
            self._lock = sqlite_pages.read_lock(self.gb.sqlite_path)
            table = sqlite_pages.Table(self.gb.sqlite_path, self._lock, "grade")
            columns = grade_pages.columns_of(table)
        except (sqlite_pages.Unsupported, sqlite3.Error, OSError, ValueError):
            self._unlock()
            return None
        # the first batches start now, not when the caller first asks for grades
        batches = [table.leaves[a:a + _PAGE_BATCH] for a in range(0, len(table.leaves), _PAGE_BATCH)]
        futures = []
        for b in batches[:_PAGES_AHEAD]:
            table.will_need(b)
            futures.append(self._pool.submit(self._page_part, table, b, columns))
        return table, columns, batches, futures

    def _page_part(self, table, pages: np.ndarray, columns: dict) -> tuple:
        """One batch of leaf pages decoded (in a worker thread): a part as ``_grades`` gives it,
        and the first and last rowid in it. Waits for the tags."""
        from coursekit.platform.nbgrader_adapter import grade_pages, sqlite_pages

        self._tagged.wait()
        if self._cancelled:
            raise sqlite_pages.Unsupported("cancelled")
        grp, heads, item, share, span = grade_pages.decode(table, pages, columns, self._cells_text, self._tables)
        table.let_go(pages)
        sub = self._rowids_of(heads, self._sn_future.result())[grp]
        found = sub >= 0                     # as the join would: a grade of no submitted notebook is not read
        return (sub[found], item[found], share[found]), span

    def _unlock(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.close()

    def _parts(self):
        """Each slice of grades decoded, in rowid order: from the pages while they can be read,
        then with SQL from where they could not (all of it when they cannot be read at all)."""
        from coursekit.platform.nbgrader_adapter.sqlite_pages import Unsupported

        last = None                                  # the last rowid decoded from the pages
        opened = self._pages_future.result() if self._pages_future is not None else None
        if opened is not None:
            table, columns, batches, futures = opened
            try:
                for k in range(len(batches)):
                    while len(futures) < min(len(batches), k + _PAGES_AHEAD):
                        table.will_need(batches[len(futures)])
                        futures.append(self._pool.submit(self._page_part, table, batches[len(futures)], columns))
                    part, span = futures[k].result()
                    futures[k] = None
                    if span is not None:
                        if last is not None and span[0] <= last:
                            raise Unsupported("rowids out of order")
                        last = span[1]
                    yield part
                return
            except Unsupported:
                for f in futures:
                    if f is not None:
                        f.cancel()
            finally:
                self._unlock()
                table.close()
        jobs = self._jobs if last is None else [(max(a, last + 1), b) for a, b in self._jobs if b > last + 1]
        self._futures = []
        for k in range(len(jobs)):
            while len(self._futures) < min(len(jobs), k + 1 + _workers()):
                self._futures.append(self._pool.submit(self._grades, *jobs[len(self._futures)]))
            part = self._futures[k].result()
            self._futures[k] = None            # the slice's texts go as soon as it is decoded
            yield self._decode(part)

    def cancel(self) -> None:
        self._cancelled = True
        self._tagged.set()                     # a batch waiting for tags stops instead
        if self._pages_future is not None:
            self._pages_future.add_done_callback(lambda _: self._unlock())
        for con in list(self._cons):
            try:
                con.interrupt()
            except sqlite3.ProgrammingError:
                pass
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def stream(self, tags: "Tags | None" = None) -> "Stream":
        """The gradebook's submissions now, and its grades slice by slice as they are read, so that
        a caller can reduce each slice and let it go (memory then follows people, not grades)."""
        if tags is not None:
            self.set_tags(tags)
        if self.gb.sqlite_path is None or self._general:
            raw = _read_sqlalchemy(self.gb, self.tags, None)
            return Stream(raw.student_ids, raw.sub_code, raw.sub_time,
                          iter([(raw.g_sub, raw.g_item, raw.g_frac)]), raw.pending)
        try:
            subs, learners = self._subs_future.result()
        except sqlite3.Error as exc:
            self._pool.shutdown(wait=False)
            raise UsageError(f"{self.gb.label}: cannot read the gradebook ({exc})")
        st_id, sub_key, sub_code, times = self._submissions(subs, learners)
        return Stream(st_id, sub_code, times, self._slices(sub_key), 0)

    def _slices(self, sub_key: np.ndarray):
        """Each slice's (submission position or -1, item, share or NaN when pending), in order."""
        positions = _Positions(sub_key)
        try:
            for sn, item, share in self._parts():
                yield positions.find(sn), item, share
        except sqlite3.Error as exc:
            raise UsageError(f"{self.gb.label}: cannot read the gradebook ({exc})")
        finally:
            self._unlock()
            self._pool.shutdown(wait=False)

    @staticmethod
    def _submissions(subs: np.ndarray, learners: list) -> tuple:
        """(learner ids, submitted notebook rowids, each one's learner position, times)."""
        ok = subs[:, 1] >= 0
        ms = subs[ok, 2]
        times = np.where(ms < 0, np.datetime64("NaT"), ms.astype("datetime64[ms]")).astype("datetime64[ns]")
        return np.array(learners, dtype=object), subs[ok, 0], subs[ok, 1], times

    def result(self, students=None, tags: "Tags | None" = None) -> Raw:
        if tags is not None:
            self.set_tags(tags)
        if self.gb.sqlite_path is None or self._general:
            return _read_sqlalchemy(self.gb, self.tags, students)
        try:
            parts = [list(part) for part in self._parts()]          # numpy work here, in order
            subs, learners = self._subs_future.result()
        except sqlite3.Error as exc:
            raise UsageError(f"{self.gb.label}: cannot read the gradebook ({exc})")
        finally:
            self._unlock()
            self._pool.shutdown(wait=False)
        st_id, sub_key, sub_code, times = self._submissions(subs, learners)
        g_sub, g_item, g_share = (_take_column(parts, i, dt) for i, dt in enumerate((np.int64, np.int32, np.float64)))
        return _finish(self.gb, sub_key, sub_code, st_id, times, g_sub, g_item, g_share, students)


@dataclass
class Stream:
    """A gradebook being read slice by slice (:meth:`PendingRead.stream`)."""

    student_ids: np.ndarray        # the gradebook's learner ids (object)
    sub_code: np.ndarray           # per submission: position in student_ids
    sub_time: np.ndarray           # per submission: datetime64[ns], NaT when not recorded
    slices: object                 # iterator of (submission position or -1, item, share or NaN: pending)
    pending: int = 0               # pending answers already left out of the slices


def _take_column(parts: list, i: int, dtype) -> np.ndarray:
    """Column ``i`` of every part (lists of arrays) joined, as ``dtype``; each part lets go of its
    copy at once, and one part's array is used as it is, so no column is held twice over."""
    cols = [p[i] for p in parts]
    for p in parts:
        p[i] = None
    if not cols:
        return np.empty(0, dtype)
    joined = cols[0] if len(cols) == 1 else np.concatenate(cols)
    del cols
    return joined.astype(dtype, copy=False)


def _read_sqlalchemy(gb: Gradebook, tags: "Tags", students) -> Raw:
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
            subs = [r for r in conn.execute(text(_SUBS_SQL), {"notebook": NOTEBOOK}).fetchall()
                    if r[1] is not None]                  # a submission of no learner counts for no one
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


def start_read(gradebook: str | Path | Gradebook, tags: "Tags | None", *, source: str | None = None) -> PendingRead:
    """Start reading a gradebook (SQLite: in background threads); ``.result()`` returns :class:`Raw`.
    ``tags`` may be None when they are not known yet: then ``stream``/``result`` take them."""
    gb = gradebook if isinstance(gradebook, Gradebook) else locate(gradebook, source)
    return PendingRead(gb, tags)


def prefetch(path: str) -> PendingRead | None:
    """Start reading a cohort's SQLite gradebook file before the items to read are known, so that
    its submissions are queried while the command is still starting; None when it is not such a
    file or cannot be read (the command then starts the read itself, and reports any error)."""
    try:
        if "://" in str(path):
            return None
        gb = locate(path)
        if gb.source != COHORT or gb.sqlite_path is None:
            return None
        return PendingRead(gb, None)
    except (UsageError, OSError, sqlite3.Error, ValueError):
        return None


def read_gradebook(gradebook: str | Path | Gradebook, tags: "Tags", *, source: str | None = None,
                   students=None) -> Raw:
    """Read the counted grades of tagged items from one gradebook, as arrays.

    ``students``: keep only these learner ids (e.g. a roster's). Raises UsageError when the
    gradebook is missing, unreadable, unreachable or not an nbgrader gradebook.
    """
    return start_read(gradebook, tags, source=source).result(students)


# ---------------------------------------------------------------------------------------------
# Several gradebooks at once

@dataclass
class Merged:
    """The roster's evidence from all gradebooks, as the steps by which each best result arrived.

    For each (member of staff, item): the first result, then each later result that beat every
    earlier one, with its gain (how much it raised the best share of the item's points so far).
    Summing the steps gives each person's best result per item; summing those up to a date
    gives what was known then. With one gradebook every result is a first result.

    The first results are held as people x items arrays (memory follows people, not grades):
    ``share_code`` (0: no result; else 1 + a position in ``share_values``) and ``sub`` (the
    result's submission, whose time is ``sub_time``). The few later steps (only where several
    gradebooks grade the same person on the same item) are lists: ``more_learner``,
    ``more_item``, ``more_gain``, ``more_time``.
    """

    tags: "Tags"
    share_code: np.ndarray         # (roster, items) uint16/uint32: 0 none, else 1 + index into share_values
    share_values: np.ndarray       # float64: the distinct shares of the items' points (0..1)
    sub: np.ndarray                # (roster, items) int32: the first result's submission
    sub_time: np.ndarray           # int64 ns since the epoch, per submission (undated: the report's date)
    more_learner: np.ndarray       # later steps: roster position ...
    more_item: np.ndarray          # ... item ...
    more_gain: np.ndarray          # ... rise in the best share (0..1] ...
    more_time: np.ndarray          # ... and time (int64 ns)
    sources: dict                  # gradebook label -> source
    not_on_roster: int = 0
    pending: int = 0
    undated: int = 0
    records: int = 0               # graded answers counted: one per person and item
    earliest: int | None = None    # first and last time of any step (int64 ns)
    latest: int | None = None

    @property
    def has_evidence(self) -> bool:
        return self.records > 0


def best_first(learner: np.ndarray, item: np.ndarray, share: np.ndarray, when: np.ndarray):
    """The rule for results of one person on one item, wherever they are combined: the best share
    counts; of equal shares, the earliest.

    Returns the order that groups each (learner, item) together with its results in time order,
    the better first on the same time, and a mask of each group's first entry in that order.
    (Sorted by share instead of time, the first entry would be the best: see :func:`best_of`.)
    """
    order = np.lexsort((-share, when, item, learner))
    lo, it = learner[order], item[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (it[1:] != it[:-1])
    return order, first


def best_of(learner: np.ndarray, item: np.ndarray, share: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Positions of the result that counts for each (learner, item): the best share, then the earliest."""
    order = np.lexsort((when, -share, item, learner))
    lo, it = learner[order], item[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (it[1:] != it[:-1])
    return np.sort(order[first])


#: Slices of at least this many grades are merged by a compiled loop (see coursekit.platform.compiled).
COMPILED_MERGE = 100_000


class _Store:
    """The first result per (person, item), filled slice by slice (see :class:`Merged`)."""

    def __init__(self, n: int, n_items: int):
        self.code = np.zeros((n, n_items), dtype=np.uint16)
        self.sub = np.zeros((n, n_items), dtype=np.int32)
        self.values: dict = {}                    # share -> its position + 1
        self.clashes: list = []                   # (learner, item, share code, submission) already held
        self._table = None                        # the shares' codes for the compiled merge (_share_table)

    def codes(self, share: np.ndarray) -> np.ndarray:
        """Each share's code (1 + its position among the distinct shares seen)."""
        local, known = self.local_codes(share)
        return known[local] if len(known) else np.zeros(len(share), dtype=np.int64)

    def local_codes(self, share: np.ndarray) -> tuple:
        """(each share's position among this slice's distinct shares, -1 for NaN; their codes)."""
        local, distinct = pd.factorize(share, sort=False)
        known = np.array([self.values.setdefault(float(v), len(self.values) + 1) for v in distinct], dtype=np.int64)
        if len(self.values) >= np.iinfo(self.code.dtype).max:
            self.code = self.code.astype(np.uint32)
        return local, known

    def merge(self, sub_l: np.ndarray, nat: np.ndarray, g_sub: np.ndarray, g_item: np.ndarray,
              g_share: np.ndarray, offset: int) -> tuple:
        """Merge a slice of one gradebook's grades (submission position or -1, item, share or NaN
        when pending); returns (pending, undated). Large slices are merged by a compiled loop."""
        if compiled.wanted(len(g_sub), COMPILED_MERGE) and _pages_ready():
            return self._merge_compiled(sub_l, nat, g_sub, g_item, g_share, offset)
        found = g_sub >= 0
        waiting = np.isnan(g_share)
        pending = int(np.count_nonzero(found & waiting))
        keep = found & ~waiting
        g_sub = g_sub[keep]
        learner = sub_l[g_sub]
        on = learner >= 0
        g_sub = g_sub[on]
        undated = int(np.count_nonzero(nat[g_sub]))
        self.add(learner[on], g_item[keep][on], g_share[keep][on], (g_sub + offset).astype(np.int32))
        return pending, undated

    def _merge_compiled(self, sub_l, nat, g_sub, g_item, g_share, offset) -> tuple:
        from coursekit.platform.nbgrader_adapter import grade_pages

        clashes = np.empty((len(g_sub), 4), dtype=np.int64)
        added = np.empty(len(g_sub), dtype=np.float64)
        state = np.zeros(6, dtype=np.int64)          # pending, undated, clashes, codes, added, stopped at
        while True:
            keys, codes = self._share_table()
            state[3] = len(self.values)
            limit = min(np.iinfo(self.code.dtype).max, len(keys) // 2)
            grade_pages.merge_slice(self.code, self.sub, sub_l, nat, g_sub, g_item, g_share, keys, codes,
                                    limit, state[5], offset, added, clashes, state)
            for v in added[:state[4]]:
                self.values.setdefault(float(v), len(self.values) + 1)
            state[4] = 0
            self._table[2] = len(self.values)             # the table holds them too
            if state[5] == len(g_sub):
                break
            if len(self.values) >= np.iinfo(self.code.dtype).max:     # room for more codes, then on
                self.code = self.code.astype(np.uint32)
        if state[2]:
            self.clashes.append(tuple(clashes[:state[2], k].copy() for k in range(4)))
        return int(state[0]), int(state[1])

    def _share_table(self) -> tuple:
        """The shares' codes as an open-addressing table for the compiled merge, at most half full
        (rebuilt when the shares have outgrown it, or were added by the numpy way)."""
        table = self._table
        if table is None or table[2] != len(self.values) or len(self.values) * 2 >= len(table[0]):
            size = 4096
            while size <= 4 * len(self.values):
                size *= 2
            keys, codes = np.zeros(size), np.zeros(size, dtype=np.int64)
            from coursekit.platform.nbgrader_adapter import grade_pages

            grade_pages.fill_share_table(np.array(list(self.values), dtype=np.float64),
                                         np.array(list(self.values.values()), dtype=np.int64), keys, codes)
            table = self._table = [keys, codes, len(self.values)]
        return table[0], table[1]

    def add(self, learner: np.ndarray, item: np.ndarray, share: np.ndarray, sub: np.ndarray) -> None:
        code = self.codes(share)
        held = self.code[learner, item] != 0
        if held.any():                            # a second gradebook's result for the same person and item
            self.clashes.append((learner[held], item[held], code[held], sub[held]))
            free = ~held
            learner, item, code, sub = learner[free], item[free], code[free], sub[free]
        self.code[learner, item] = code
        self.sub[learner, item] = sub

    def share_values(self) -> np.ndarray:
        out = np.zeros(len(self.values), dtype=np.float64)
        for v, k in self.values.items():
            out[k - 1] = v
        return out


def merge_reads(ids: pd.Index, gradebooks: list, tags: "Tags", as_of: np.datetime64,
                started: dict | None = None, merging=None) -> Merged:
    """Read each gradebook; a person graded on an item more than once counts once, with the best.

    Best: the highest share of the item's points; of equal shares, the earliest. Learners absent
    from the roster are left out (and counted). Evidence without a timestamp is dated ``as_of``.
    ``ids``: the roster's learner ids, whose positions the result uses. ``started``: reads already
    under way (:func:`start_read`), by gradebook URL. Each slice of grades is reduced into the
    people x items arrays as it arrives, so no list of every grade is ever held. ``merging``: called
    once the first gradebook's submissions are in, when the merge starts: from then on the
    compiled loops leave the interpreter mostly free for the caller's other work.
    """
    outside: set = set()
    sources, pending, undated = {}, 0, 0
    as_of_ns = np.int64(as_of.astype("datetime64[ns]").astype(np.int64))
    started = started or {}
    store = _Store(len(ids), len(tags.items))
    times = []                                    # per gradebook: its submissions' times (ns)
    n_subs = 0
    for gb in gradebooks:
        stream = (started.get(gb.url) or start_read(gb, tags)).stream(tags)
        if merging is not None:
            merging()
            merging = None
        if paths.SELF_LEARNER_ID in set(stream.student_ids.tolist()):
            raise UsageError(f"{gb.label}: is a learner's own gradebook of self-paced checks (a copy of one), "
                             "not a cohort's; learners export their own work with `coursekit progress --export`")
        sources[gb.label] = gb.source
        pending += stream.pending
        on_roster = ids.get_indexer(pd.Index(stream.student_ids, dtype=object))   # per learner of the gradebook
        sub_l = on_roster[stream.sub_code] if len(stream.sub_code) else np.empty(0, dtype=np.int64)
        outside.update(stream.student_ids[np.unique(stream.sub_code[sub_l < 0])].tolist())
        nat = np.isnat(stream.sub_time)
        times.append(np.where(nat, as_of_ns, stream.sub_time.astype(np.int64)))
        for g_sub, g_item, g_share in stream.slices:
            waiting, no_date = store.merge(sub_l, nat, g_sub, g_item, g_share, n_subs)
            pending += waiting
            undated += no_date
        n_subs += len(stream.sub_time)
    sub_time = np.concatenate(times) if times else np.empty(0, dtype=np.int64)
    values = store.share_values()
    more = [np.empty(0, dtype=dt) for dt in (np.int32, np.int32, np.float64, np.int64)]
    if store.clashes:
        more = _resolve(store, values, sub_time)
    code, sub = store.code, store.sub
    records, earliest, latest = _held_span(code, sub, sub_time)
    if records and len(more[3]):
        earliest, latest = min(earliest, int(more[3].min())), max(latest, int(more[3].max()))
    return Merged(tags, code, values, sub, sub_time, *more, sources, len(outside), pending, undated,
                  records, earliest, latest)


def _held_span(code: np.ndarray, sub: np.ndarray, sub_time: np.ndarray) -> tuple:
    """(results held, the earliest and the latest of their times, None when none is held). Large
    arrays: a compiled loop in two threads; else numpy, a block of people at a time (bounded memory)."""
    if compiled.wanted(code.size, COMPILED_MERGE) and _pages_ready():
        from concurrent.futures import ThreadPoolExecutor

        from coursekit.platform.nbgrader_adapter import grade_pages

        half = code.shape[0] // 2
        with ThreadPoolExecutor(2) as pool:       # the loop leaves the interpreter: both halves at once
            parts = list(pool.map(lambda rows: grade_pages.held_span(code[rows], sub[rows], sub_time),
                                  (slice(0, half), slice(half, None))))
        records = sum(n for n, _, _ in parts)
        held = [(lo, hi) for n, lo, hi in parts if n]
        if not held:
            return records, None, None
        return records, min(lo for lo, _ in held), max(hi for _, hi in held)
    records, earliest, latest = 0, None, None
    step = max(1, 4_000_000 // max(1, code.shape[1]))
    for a in range(0, code.shape[0], step):
        present = code[a:a + step] != 0
        n = int(np.count_nonzero(present))
        if n:
            times = sub_time[sub[a:a + step][present]]
            lo, hi = int(times.min()), int(times.max())
            earliest = lo if earliest is None else min(earliest, lo)
            latest = hi if latest is None else max(latest, hi)
        records += n
    return records, earliest, latest


def _resolve(store: _Store, values: np.ndarray, sub_time: np.ndarray) -> list:
    """Where several gradebooks grade the same person on the same item: per (person, item), in
    time order (better first on the same date), keep the results that beat every earlier one,
    each with its gain over the best before it. The first stays in the store; the later ones
    are returned as (learner, item, gain, time)."""
    cl, ci, cc, cs = (np.concatenate([c[k] for c in store.clashes]) for k in range(4))
    store.clashes = []
    pairs = np.unique(cl.astype(np.int64) * store.code.shape[1] + ci)
    pl, pi = (pairs // store.code.shape[1]).astype(np.int64), (pairs % store.code.shape[1]).astype(np.int64)
    learner = np.concatenate([pl, cl]).astype(np.int32)
    item = np.concatenate([pi, ci]).astype(np.int32)
    code = np.concatenate([store.code[pl, pi].astype(np.int64), cc])
    sub = np.concatenate([store.sub[pl, pi].astype(np.int64), cs])
    frac, when = values[code - 1], sub_time[sub]
    order, new_group = best_first(learner, item, frac, when)
    learner, item, frac, when, code, sub = (a[order] for a in (learner, item, frac, when, code, sub))
    group = np.cumsum(new_group)
    best = np.maximum.accumulate(frac + 2.0 * group) - 2.0 * group      # running best within a group
    before = np.where(new_group, -1.0, np.concatenate([[0.0], best[:-1]]))
    improves = new_group | (frac > before)
    gain = np.where(new_group, frac, frac - before)
    store.code[learner[new_group], item[new_group]] = code[new_group]
    store.sub[learner[new_group], item[new_group]] = sub[new_group]
    later = improves & ~new_group
    return [learner[later], item[later], gain[later], when[later]]
