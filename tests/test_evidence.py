"""Evidence records from real nbgrader gradebooks, and the attainment rule."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

import evidence_course as ec
from coursekit.platform import evidence
from coursekit.platform.nbgrader_adapter import gradebook, gradebook_read
from coursekit.platform import paths
from coursekit.errors import UsageError

# nbgrader's own Gradebook API warns about its session handling; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


ANA_ALPHA = ec.full_marks("m10_alpha")                           # everything right, written answer graded
ANA_BETA = {"q1": 1, "q2": 2, "q3": 0, "w1": None}               # written answer not graded yet
BEN_ALPHA = {"q1": 2, "q2": 0, "q3": 1.5, "q4": 2, "w1": None}


@pytest.fixture
def cohort(root, tmp_path):
    path = tmp_path / "cohort" / "gradebook.db"
    path.parent.mkdir()
    ec.make_gradebook(path, [("ana", "m10_alpha", ANA_ALPHA, ec.at(1)), ("ana", "m11_beta", ANA_BETA, ec.at(10)),
                             ("ben", "m10_alpha", BEN_ALPHA, ec.at(3))])
    return path


def _key(df):
    df = df.astype({c: str for c in ("learner", "module", "item", "competency", "level", "source")})
    return df.sort_values(["learner", "module", "item", "competency"]).reset_index(drop=True)


def test_records_from_an_nbgrader_gradebook(cohort):
    recs = evidence.records(cohort)
    assert list(recs.columns) == evidence.RECORD_COLUMNS
    assert len(recs) == 6 + 3 + 5            # one per graded item and competency; pending answers absent
    ana = recs[recs["learner"] == "ana"]
    q4 = ana[(ana["module"] == "m10_alpha") & (ana["item"] == "q4")]
    assert sorted(q4["competency"].astype(str)) == ["fairness_testing", "human_oversight"]
    assert set(q4["level"].astype(str)) == {"practitioner"}
    w1 = ana[(ana["module"] == "m10_alpha") & (ana["item"] == "w1")].iloc[0]
    assert (w1["points"], w1["out_of"], w1["competency"]) == (4.0, 4.0, "human_oversight")
    assert ana[(ana["module"] == "m11_beta") & (ana["item"] == "w1")].empty      # not graded: pending
    ben_q3 = recs[(recs["learner"] == "ben") & (recs["item"] == "q3")].iloc[0]
    assert (ben_q3["points"], ben_q3["out_of"]) == (1.5, 3.0)
    assert set(recs["source"].astype(str)) == {"cohort"}
    assert ana[ana["module"] == "m11_beta"]["time"].iloc[0] == pd.Timestamp("2025-01-10 12:00:00")
    raw = evidence.read_gradebook(cohort, evidence.course_tags())
    assert raw.pending == 2 and raw.students_seen == 2


def test_manual_score_overrides_autograder_and_extra_credit_is_capped(root, tmp_path):
    path = tmp_path / "gb.db"
    ec.make_gradebook(path, [("ana", "m10_alpha", {"q1": (0.0, 2.0), "q2": ("auto", 1.0)}, ec.at(1))])
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{path}", course_id="coursekit") as gb:
        g = gb.find_grade("q2", "exercise", "m10_alpha", "ana")
        g.extra_credit = 5.0
        gb.db.commit()
    recs = evidence.records(path).set_index("item")
    assert recs.loc["q1", "points"] == 2.0          # the trainer's manual score wins
    assert recs.loc["q2", "points"] == 2.0          # 1 + 5 extra credit, capped at the item's points


def test_the_sql_reader_and_the_python_score_rule_agree(root, tmp_path):
    """The score rule is stated twice (SQL for speed, Python for one submission): same numbers."""
    path = tmp_path / "gb.db"
    ec.make_gradebook(path, [("ana", "m10_alpha", {"q1": (0.0, 2.0), "q2": ("auto", 1.0)}, ec.at(1))])
    with gradebook.open_gradebook(f"sqlite:///{path}") as gb:
        g = gb.find_grade("q2", "exercise", "m10_alpha", "ana")
        g.extra_credit = 0.5
        gb.db.commit()
        python = gradebook.question_scores(gb, "m10_alpha", "ana")
    sql = evidence.records(path).drop_duplicates("item").set_index("item")
    for gid, q in python.items():
        if q.score is None:                          # pending: no evidence record at all
            assert gid not in sql.index
        else:
            assert sql.loc[gid, "points"] == pytest.approx(q.score * sql.loc[gid, "out_of"] / q.max_score), gid
    assert python["q2"].score == 1.5                 # auto 1 + extra credit 0.5, below full marks


def test_counted_score_rule():
    rule = gradebook.counted_score
    assert rule(manual=1.0, auto=2.0, extra=None, max_score=2, written=False) == 1.0      # manual wins
    assert rule(manual=None, auto=1.0, extra=3.0, max_score=2, written=False) == 2.0      # extra, capped
    assert rule(manual=None, auto=0.0, extra=None, max_score=4, written=True) is None     # pending
    assert rule(manual=3.0, auto=None, extra=None, max_score=4, written=True) == 3.0
    assert rule(manual=None, auto=None, extra=None, max_score=2, written=False) is None


def test_points_are_scaled_to_the_notebooks_points(root, tmp_path):
    """A gradebook made when an item was worth 4 points still gives a share of today's 2 points."""
    mods = {"m10_alpha": dict(ec.MODULES["m10_alpha"],
                              items=[ec.Q("q1", ("fairness_testing",), "awareness", 4)])}
    path = tmp_path / "old.db"
    ec.make_gradebook(path, [("ana", "m10_alpha", {"q1": 3}, ec.at(1))], modules=mods)
    rec = evidence.records(path).iloc[0]
    assert (rec["points"], rec["out_of"]) == (1.5, 2.0)


def test_fast_sqlite_reader_equals_the_portable_sql_reader(cohort, monkeypatch):
    tags = evidence.course_tags()
    fast = evidence.records(cohort, tags)
    gb = evidence.locate(cohort)
    portable = evidence.records_from_raw(gradebook_read._read_sqlalchemy(gb, tags, None), tags)
    via_url = evidence.records(f"sqlite:///{cohort}", tags)
    monkeypatch.setattr(gradebook_read, "_SQLITE_STEP", 4)              # many slices, several threads
    monkeypatch.setenv("COURSEKIT_READ_WORKERS", "3")
    sliced = evidence.records(cohort, tags)
    read = gradebook_read.start_read(cohort, tags)
    assert read._ids_by_text                                            # nbgrader's ids, matched by numpy
    read.cancel()
    dangling = ec.copy_gradebook(cohort, "dangling.db", [               # a grade of no submitted notebook: not read
        "INSERT INTO grade SELECT 'g' || substr(id, 2), '0123456789abcdef0123456789abcdef', cell_id, auto_score, "
        "manual_score, extra_credit, needs_manual_grade FROM grade LIMIT 1"])
    sid = _one(cohort, "SELECT id FROM submitted_notebook ORDER BY id LIMIT 1")
    odd = ec.copy_gradebook(cohort, "odd_ids.db", [                     # an id of another length: the join matches it
        f"UPDATE submitted_notebook SET id = '{sid}-x' WHERE id = '{sid}'",
        f"UPDATE grade SET notebook_id = '{sid}-x' WHERE notebook_id = '{sid}'"])
    read = gradebook_read.start_read(odd, tags)
    assert not read._ids_by_text
    read.cancel()
    read = gradebook_read.start_read(cohort, tags)
    assert read._cells_text is not None                                 # cells matched by numpy too
    read.cancel()
    c1, c2 = (_one(cohort, f"SELECT gc.id FROM grade_cells gc JOIN grade g ON g.cell_id = gc.id "
                           f"ORDER BY gc.id LIMIT 1 OFFSET {k}") for k in (0, 1))
    if c1 == c2:
        c2 = _one(cohort, f"SELECT g.cell_id FROM grade g WHERE g.cell_id != '{c1}' LIMIT 1")

    def renamed(cell, new):                                     # a cell's id changed everywhere it is used
        return [f"UPDATE {table} SET {col} = '{new}' WHERE {col} = '{cell}'"
                for table, col in (("base_cell", "id"), ("grade_cells", "id"), ("grade", "cell_id"))]

    twins = ec.copy_gradebook(cohort, "twin_cells.db", renamed(c2, c1[:8] + c2[8:]))   # same first 8 bytes: join
    short = ec.copy_gradebook(cohort, "short_cell.db", renamed(c2, "c2"))               # not 32 bytes: join
    stray = ec.copy_gradebook(cohort, "stray_cell.db", [              # a grade of no cell: not read
        "INSERT INTO grade SELECT 'h' || substr(id, 2), notebook_id, 'fedcba9876543210fedcba9876543210', "
        "auto_score, manual_score, extra_credit, needs_manual_grade FROM grade LIMIT 1"])
    aid = _one(cohort, "SELECT id FROM submitted_assignment ORDER BY id LIMIT 1")
    odd_assignment = ec.copy_gradebook(cohort, "odd_assignment.db", [   # not 32 bytes: the join matches it
        f"UPDATE submitted_assignment SET id = '{aid}-x' WHERE id = '{aid}'",
        f"UPDATE submitted_notebook SET assignment_id = '{aid}-x' WHERE assignment_id = '{aid}'"])
    for db, by_numpy in ((odd_assignment, False), (cohort, True)):
        with sqlite3.connect(db) as con:
            assert (_subs_by_text(con) is not None) == by_numpy
    for db, by_numpy in ((twins, False), (short, False), (stray, True)):
        read = gradebook_read.start_read(db, tags)
        assert (read._cells_text is not None) == by_numpy
        read.cancel()
    by_join = [evidence.records(gb, tags) for gb in (dangling, odd, twins, short, stray, odd_assignment)]
    monkeypatch.setattr(gradebook_read, "_SUB_LIMIT", 1)                # keys too large to pack: general path
    fallback = evidence.records(cohort, tags)
    for other in (portable, via_url, sliced, fallback, *by_join):
        pd.testing.assert_frame_equal(_key(fast), _key(other))


def _subs_by_text(con):
    return gradebook_read.PendingRead._subs_by_text(con, [r[0] for r in con.execute("SELECT id FROM student")])


def test_learners_are_matched_to_their_submissions_as_the_join_matches_them(cohort):
    """Each submission counts for the learner nbgrader recorded it under, found in numpy as the
    portable reader finds it: an id with a comma and letters beyond ASCII, an id in other case, an
    id the student table does not hold. An id the packed text cannot keep whole, or none at all
    (which counts for no one), is read with SQL rows."""
    tags = evidence.course_tags()

    def renamed(old, new):
        return [f"UPDATE {table} SET {col} = {new} WHERE {col} = '{old}'"
                for table, col in (("student", "id"), ("submitted_assignment", "student_id"))]

    cases = {   # name: (changes, read by numpy, learners)
        "renamed": (renamed("ana", "'Ana, Ó''Neill'"), True, {"Ana, Ó'Neill", "ben"}),
        "orphan": (["UPDATE submitted_assignment SET student_id = 'nobody' WHERE student_id = 'ben'"], True,
                   {"ana", "nobody"}),
        "case": (["UPDATE submitted_assignment SET student_id = 'BEN' WHERE student_id = 'ben'"], True, {"ana", "BEN"}),
        "separator": (renamed("ben", "'ben' || char(31)"), False, {"ana", "ben\x1f"}),
        "no_learner": (["UPDATE submitted_assignment SET student_id = NULL WHERE student_id = 'ben'"], False, {"ana"}),
    }
    for name, (statements, by_numpy, learners) in cases.items():
        db = ec.copy_gradebook(cohort, f"{name}.db", statements)
        with sqlite3.connect(db) as con:
            assert (_subs_by_text(con) is not None) == by_numpy, name
        fast = evidence.records(db, tags)
        portable = evidence.records_from_raw(gradebook_read._read_sqlalchemy(evidence.locate(db), tags, None), tags)
        pd.testing.assert_frame_equal(_key(fast), _key(portable), obj=name)
        assert set(fast["learner"].astype(str)) == learners, name


def _one(db, sql):
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchone()[0]


def test_learners_filter_and_an_empty_gradebook(root, cohort, tmp_path):
    assert set(evidence.records(cohort, learners=["ben"])["learner"].astype(str)) == {"ben"}
    empty = tmp_path / "empty.db"
    ec.make_gradebook(empty, [])
    recs = evidence.records(empty)
    assert recs.empty and list(recs.columns) == evidence.RECORD_COLUMNS


def test_personal_gradebook_is_self_paced(root, tmp_path):
    path = paths.personal_course_dir() / "gradebook.db"
    path.parent.mkdir(parents=True)
    ec.make_gradebook(path, [(paths.SELF_LEARNER_ID, "m10_alpha", ANA_ALPHA, ec.at(2))])
    assert evidence.locate(path).source == evidence.SELF_PACED
    assert evidence.locate(paths.personal_gradebook_url()).source == evidence.SELF_PACED
    assert set(evidence.records(paths.personal_gradebook_url())["source"].astype(str)) == {"self-paced"}
    assert evidence.locate(path.parent).source == evidence.SELF_PACED        # a course folder: its gradebook


# ---------------------------------------------------------------------------------------------
# The rule

def rank(levels: dict, threshold=evidence.THRESHOLD, min_items=evidence.MIN_ITEMS) -> int:
    """levels: {rank: [(points, out_of), ...]} for one learner and competency."""
    pts, out, n = np.zeros(4), np.zeros(4), np.zeros(4)
    for r, items in levels.items():
        for p, o in items:
            pts[r - 1] += p
            out[r - 1] += o
            n[r - 1] += 1
    return int(evidence.attain(pts, out, n, threshold, min_items))


@pytest.mark.parametrize("levels, expected", [
    ({}, 0),                                                   # no evidence
    ({1: [(2, 2)]}, 0),                                        # one item is not enough
    ({1: [(2, 2), (1, 1)]}, 1),                                # two items, all right: awareness
    ({1: [(2, 2), (1, 1)], 2: [(2, 2)]}, 2),                   # the pool at working has 3 items
    ({1: [(1, 1)], 2: [(2, 2)]}, 2),                           # 1 + 1 items pooled reach the minimum
    ({1: [(2, 2), (2, 2)], 2: [(0, 2)]}, 1),                   # 4 of 6 at working: 67%, stays awareness
    ({1: [(4, 5), (4, 5)]}, 1),                                # exactly 80% is enough
    ({1: [(3.99, 5), (4, 5)]}, 0),                             # just under 80% is not
    ({3: [(2, 2), (2, 2)]}, 3),                                # practitioner work without the basics
    ({1: [(0, 2), (0, 2)], 3: [(2, 2), (2, 2)]}, 0),           # but weak basics pull every level down
    ({1: [(1, 1), (1, 1)], 2: [(0, 2)], 3: [(2, 2), (3, 3), (3, 3)]}, 3),   # 10 of 12 pooled at practitioner
    ({1: [(2, 2), (2, 2)], 4: [(0, 3)]}, 1),                   # a failed expert item does not remove awareness
])
def test_attain_rule(levels, expected):
    assert rank(levels) == expected


def test_attain_rule_parameters_and_shapes():
    assert rank({1: [(1, 1)]}, min_items=1) == 1
    assert rank({1: [(3, 5), (3, 5)]}, threshold=0.6) == 1
    pts = np.array([[[2, 2, 0, 0]], [[0, 0, 0, 0]]], dtype=float)   # 2 learners x 1 competency x 4 levels
    out = np.array([[[2, 2, 0, 0]], [[2, 2, 0, 0]]], dtype=float)
    n = np.array([[[1, 1, 0, 0]], [[1, 1, 0, 0]]], dtype=float)
    assert evidence.attain(pts, out, n).tolist() == [[2], [0]]


def test_attained_levels_from_records(cohort):
    levels = evidence.attained_levels(evidence.records(cohort))
    assert levels.loc["ana", "human_oversight"] == "practitioner"   # 9 of 9 points, 3 items
    assert levels.loc["ana", "ai_fit"] == "working"                 # practitioner answer not graded yet
    assert levels.loc["ana", "fairness_testing"] is None           # 6 of 8 points pooled: 75%
    assert levels.loc["ben"].isna().all()
    assert levels.loc["ana", "procurement"] is None


def test_best_evidence_counts_a_learner_once(root, cohort, tmp_path):
    other = tmp_path / "other.db"
    better = dict(BEN_ALPHA, q2=2, q3=3, w1=4)
    ec.make_gradebook(other, [("ben", "m10_alpha", better, ec.at(20)), ("ana", "m10_alpha", ANA_ALPHA, ec.at(30))])
    both = pd.concat([evidence.records(cohort), evidence.records(other)], ignore_index=True)
    best = evidence.best(both)
    assert not best.duplicated(["learner", "module", "item", "competency"]).any()
    ana_q1 = best[(best["learner"] == "ana") & (best["item"] == "q1") & (best["module"] == "m10_alpha")].iloc[0]
    assert ana_q1["time"] == pd.Timestamp("2025-01-01 12:00:00")   # equal points: the earlier one
    ben_q2 = best[(best["learner"] == "ben") & (best["item"] == "q2")].iloc[0]
    assert ben_q2["points"] == 2.0
    levels = evidence.attained_levels(both)
    assert levels.loc["ben", "human_oversight"] == "practitioner"


# ---------------------------------------------------------------------------------------------
# Bad gradebooks: one clear error naming it

def test_missing_gradebook(root, tmp_path):
    with pytest.raises(UsageError, match=r"nope\.db: no such gradebook file"):
        evidence.records(tmp_path / "nope.db")
    with pytest.raises(UsageError, match="no such gradebook file"):
        evidence.records(f"sqlite:///{tmp_path / 'nope.db'}")
    assert not (tmp_path / "nope.db").exists()                    # reading never creates one


def test_a_file_that_is_not_a_database(root, tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("learner_id,department\n" * 50)
    with pytest.raises(UsageError, match=r"roster\.csv: cannot .* gradebook.*not a database"):
        evidence.records(bad)


def test_a_database_that_is_not_a_gradebook(root, tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE things (x)")
    with pytest.raises(UsageError, match=r"other\.db: is not an nbgrader gradebook \(no table 'grade'\)"):
        evidence.records(other)


def test_an_unreachable_database_hides_the_password(root):
    url = "postgresql://reporter:s3cret@127.0.0.1:1/gradebook"
    with pytest.raises(UsageError) as err:
        evidence.records(url)
    assert "cannot" in str(err.value) and "reporter:***@127.0.0.1" in str(err.value)
    assert "s3cret" not in str(err.value)


def test_a_folder_without_a_gradebook(root, tmp_path):
    with pytest.raises(UsageError, match="is a folder with no gradebook.db"):
        evidence.records(tmp_path)
