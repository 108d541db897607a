"""The gradebook's grade table read from the file's pages gives exactly what SQL gives, and every
layout the page reader does not expect sends it back to SQL, from where it stopped."""

from __future__ import annotations

import random
import sqlite3

import numpy as np
import pandas as pd
import pytest

import evidence_course as ec
from coursekit.platform import evidence
from coursekit.platform.nbgrader_adapter import grade_pages, gradebook_read, sqlite_pages

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


def _scores(rng, spec):
    """Scores of every kind a column can hold: whole (stored as integers), halves, thirds, none,
    manual over automatic, below zero and above full marks."""
    out = {}
    for q in spec["items"]:
        kind = rng.random()
        if q.manual:
            out[q.gid] = None if kind < 0.25 else rng.choice([0, q.points / 2, q.points, q.points / 3])
        elif kind < 0.1:
            out[q.gid] = (rng.choice([0.0, 1.0]), rng.choice([0.5, q.points, -1.0, q.points + 2]))
        else:
            out[q.gid] = rng.choice([0, 1, q.points, q.points / 3, 0.0005, 2.0005, q.points * 7])
    return out


@pytest.fixture
def big(root, tmp_path):
    """A gradebook of 60 learners across every module, with extra credit on some grades."""
    rng = random.Random(11)
    subs = [(f"l{i:02d}", mid, _scores(rng, spec), ec.at(1 + rng.randrange(25), 1 + rng.randrange(5)))
            for i in range(60) for mid, spec in ec.MODULES.items() if rng.random() < 0.9]
    path = tmp_path / "big.db"
    ec.make_gradebook(path, subs)
    with sqlite3.connect(path) as con:
        con.execute("UPDATE grade SET extra_credit = 0.25 WHERE rowid % 7 = 0")
        con.execute("UPDATE grade SET extra_credit = 1 WHERE rowid % 11 = 0")
    return path


def _read(path, monkeypatch, pages: str) -> pd.DataFrame:
    monkeypatch.setenv("COURSEKIT_COMPILED", pages)
    recs = evidence.records(path, evidence.course_tags())
    return recs.sort_values(["learner", "module", "item", "competency"]).reset_index(drop=True)


def _count_batches(monkeypatch) -> list:
    calls = []
    real = grade_pages.decode

    def counted(*args, **kwargs):
        calls.append(len(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(grade_pages, "decode", counted)
    return calls


def _count_queries(monkeypatch) -> list:
    """The slices of the grade table read with SQL: (lowest rowid, highest + 1)."""
    seen = []
    real = gradebook_read.PendingRead._grades
    monkeypatch.setattr(gradebook_read.PendingRead, "_grades",
                        lambda self, lo, hi: seen.append((lo, hi)) or real(self, lo, hi))
    return seen


def test_pages_and_sql_give_the_same_records(big, monkeypatch):
    by_sql = _read(big, monkeypatch, "0")
    monkeypatch.setattr(gradebook_read, "_PAGE_BATCH", 3)            # many batches, in several threads
    batches = _count_batches(monkeypatch)
    by_query = _count_queries(monkeypatch)
    by_pages = _read(big, monkeypatch, "1")
    assert len(batches) > 5 and not by_query                          # the pages were really read, all of them
    pd.testing.assert_frame_equal(by_sql, by_pages)
    assert len(by_sql) > 400 and (by_sql["points"] % 1 != 0).any()


def test_what_the_page_reader_does_not_expect_is_read_with_sql(big, monkeypatch):
    """Each of these stops the page reader (at once, or part way through: SQL reads the rest)."""
    by_sql = _read(big, monkeypatch, "0")
    with sqlite3.connect(big) as con:
        late = con.execute("SELECT max(rowid) - 5 FROM grade").fetchone()[0]
        cell = con.execute(f"SELECT cell_id FROM grade WHERE rowid = {late}").fetchone()[0]
    cases = {
        "wal.db": ["PRAGMA journal_mode = WAL"],                                     # newer pages elsewhere
        "added_column.db": ["ALTER TABLE grade ADD COLUMN comment TEXT"],            # old rows lack it
        "overflow.db": [f"UPDATE grade SET id = '{'x' * 5000}' WHERE rowid = {late}"],   # a record on overflow pages
        "text_score.db": [f"UPDATE grade SET extra_credit = 'a lot' WHERE rowid = {late}"],
    }
    monkeypatch.setattr(gradebook_read, "_PAGE_BATCH", 2)
    by_query = _count_queries(monkeypatch)
    for name, statements in cases.items():
        copy = ec.copy_gradebook(big, name, statements)
        by_query.clear()
        got = _read(copy, monkeypatch, "1")
        assert by_query, name                                        # SQL read (some of) it
        expected = _read(copy, monkeypatch, "0")
        pd.testing.assert_frame_equal(expected, got, obj=name)
        if name != "text_score.db":                                   # text counts as 0 extra credit in SQL
            pd.testing.assert_frame_equal(by_sql, got, obj=name)
    # stray grades, which both ways leave out: of a cell that is not in the gradebook, of a notebook
    # id of another length, of a notebook that does not exist (in the middle of a notebook's grades)
    stray = ec.copy_gradebook(big, "stray.db", [
        "INSERT INTO grade SELECT 'h' || substr(id, 2), notebook_id, 'fedcba9876543210fedcba9876543210', "
        "auto_score, manual_score, extra_credit, needs_manual_grade FROM grade LIMIT 1",
        f"UPDATE grade SET notebook_id = 'short' WHERE rowid = {late}",
        f"UPDATE grade SET notebook_id = '0123456789abcdef0123456789abcdef' WHERE rowid = {late - 40}"])
    by_query.clear()
    by_pages = _read(stray, monkeypatch, "1")
    assert not by_query                                              # all of it read from the pages
    expected = _read(stray, monkeypatch, "0")
    pd.testing.assert_frame_equal(expected, by_pages)
    assert len(expected) < len(by_sql) and cell


def test_a_failure_part_way_is_read_from_where_the_pages_stopped(big, monkeypatch):
    with sqlite3.connect(big) as con:
        late = con.execute("SELECT max(rowid) - 3 FROM grade").fetchone()[0]
    copy = ec.copy_gradebook(big, "late_overflow.db", [f"UPDATE grade SET id = '{'y' * 5000}' WHERE rowid = {late}"])
    monkeypatch.setattr(gradebook_read, "_PAGE_BATCH", 1)
    batches = _count_batches(monkeypatch)
    seen = _count_queries(monkeypatch)
    got = _read(copy, monkeypatch, "1")
    assert len(batches) > 3 and seen and min(lo for lo, _ in seen) > 1    # pages first, then SQL for the rest
    pd.testing.assert_frame_equal(_read(copy, monkeypatch, "0"), got)


def test_the_page_reader_refuses_a_file_it_cannot_read_with_certainty(big, tmp_path):
    wal = ec.copy_gradebook(big, "w.db", ["PRAGMA journal_mode = WAL"])
    con = sqlite_pages.read_lock(wal)
    try:
        with pytest.raises(sqlite_pages.Unsupported):
            sqlite_pages.Table(wal, con, "grade")
    finally:
        con.close()
    con = sqlite_pages.read_lock(big)
    try:
        table = sqlite_pages.Table(big, con, "grade")
        with sqlite3.connect(big) as plain:
            rows = plain.execute("SELECT count(*) FROM grade").fetchone()[0]
        assert int(table.cell_counts(table.leaves).sum()) == rows
        table.close()
    finally:
        con.close()


def test_the_read_lock_keeps_writers_out_until_the_read_ends(big):
    con = sqlite_pages.read_lock(big)
    writer = sqlite3.connect(big, timeout=0.1)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            with writer:
                writer.execute("UPDATE grade SET auto_score = 0")
    finally:
        con.close()
    with writer:
        writer.execute("UPDATE grade SET auto_score = auto_score")        # free again
    writer.close()


def test_the_compiled_merge_equals_numpy(root, tmp_path, monkeypatch):
    """Two gradebooks grading the same people: the compiled merge keeps the same first results and
    the same later improvements as numpy's."""
    rng = random.Random(5)
    paths = []
    for g in range(2):
        subs = [(f"l{i:02d}", mid, _scores(rng, spec), ec.at(1 + rng.randrange(25), 1 + g))
                for i in range(40) for mid, spec in ec.MODULES.items() if rng.random() < 0.8]
        paths.append(tmp_path / f"c{g}.db")
        ec.make_gradebook(paths[-1], subs)
    tags = evidence.course_tags()
    ids = pd.Index([f"l{i:02d}" for i in range(0, 40, 1) if i != 7])        # one learner not on the roster
    out = {}
    for compiled in (False, True):
        monkeypatch.setenv("COURSEKIT_COMPILED", "1" if compiled else "0")
        merged = gradebook_read.merge_reads(ids, [evidence.locate(p) for p in paths], tags,
                                            np.datetime64("2025-12-01", "ns"))
        shares = np.where(merged.share_code > 0, merged.share_values[np.maximum(merged.share_code.astype(np.int64) - 1, 0)], -1)
        order = np.lexsort((merged.more_item, merged.more_learner))
        out[compiled] = (shares, np.where(merged.share_code > 0, merged.sub_time[merged.sub], 0),
                         merged.more_learner[order], merged.more_item[order], merged.more_gain[order],
                         merged.more_time[order], merged.pending, merged.undated, merged.not_on_roster, merged.records)
    assert len(out[True][2]) > 10                                     # later improvements were found
    for a, b in zip(out[False], out[True]):
        np.testing.assert_array_equal(a, b)


def test_the_compiled_merge_codes_shares_as_numpy_does(monkeypatch):
    """Slice after slice, with more distinct shares than a 16-bit code holds (the codes widen and
    the compiled merge's table grows part way through a slice), pending grades, 0.0 and -0.0,
    grades of no submission or of no one on the roster, and clashes; some slices merged the numpy
    way in between: the same shares held, clashes and counts as numpy alone gives."""
    rng = np.random.default_rng(3)
    people, items = 400, 400
    sub_l = np.where(rng.random(people) < 0.05, -1, rng.permutation(people))     # a submission per person
    nat = rng.random(people) < 0.1
    slices = []
    for sizes in ((5_000, 80_000, 120), (90_000, 7_000)):     # two gradebooks: a (person, item) once in each
        cells = rng.choice(people * items, sum(sizes), replace=False)
        for part in np.split(cells, np.cumsum(sizes)[:-1]):
            size = len(part)
            share = np.where(rng.random(size) < 0.5, rng.integers(0, 50, size) / 50.0,
                             rng.integers(0, 10**7, size) / 1e7)
            share[rng.random(size) < 0.05] = np.nan
            share[rng.random(size) < 0.02] = -0.0
            share[rng.random(size) < 0.02] = 0.0
            g_sub = np.where(rng.random(size) < 0.03, -1, part // items)
            slices.append((g_sub, (part % items).astype(np.int32), share))

    def merged(ways):
        store = gradebook_read._Store(people, items)
        counts = []
        for (g_sub, g_item, g_share), way in zip(slices, ways):
            monkeypatch.setenv("COURSEKIT_COMPILED", way)
            counts.append(store.merge(sub_l, nat, g_sub, g_item, g_share, 7))
        return store, counts

    def shares(store, code):
        return np.where(code > 0, store.share_values()[np.maximum(np.asarray(code, dtype=np.int64) - 1, 0)], -1.0)

    by_numpy, counts = merged("00000")
    assert len(by_numpy.values) > np.iinfo(np.uint16).max and by_numpy.code.dtype == np.uint32
    for ways in ("11111", "10101"):
        store, their_counts = merged(ways)
        assert their_counts == counts
        assert store.code.dtype == np.uint32
        np.testing.assert_array_equal(shares(store, store.code), shares(by_numpy, by_numpy.code))
        np.testing.assert_array_equal(store.sub, by_numpy.sub)
        mine, theirs = ([np.concatenate([np.asarray(c[k], dtype=np.int64) for c in st.clashes]) for k in range(4)]
                        for st in (store, by_numpy))
        assert len(mine[0]) > 1000
        for k in (0, 1, 3):
            np.testing.assert_array_equal(mine[k], theirs[k])
        np.testing.assert_array_equal(shares(store, mine[2]), shares(by_numpy, theirs[2]))
