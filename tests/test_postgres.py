"""A PostgreSQL gradebook, on a real server (tests/postgres.py): what the workshop guide tells
trainers to do with one.

- ``cohort init --db-url postgresql://...``, with the password in ``~/.pgpass``, and nbgrader's own
  commands in the cohort folder;
- two trainers grading two halves of a cohort at the same time into the one gradebook, then
  feedback and export from it;
- ``pledge report`` reading two PostgreSQL gradebooks and an SQLite one together;
- the evidence reader giving the same records from PostgreSQL as from SQLite.

Without PostgreSQL these are skipped, with the reason (or fail, where COURSEKIT_REQUIRE_SERVERS
is set, as in CI).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import zipfile

import nbformat
import pandas as pd
import pytest
import yaml

import evidence_course as ec
import minicourse
from coursekit.cli import main
from coursekit.platform import evidence
from coursekit.platform.nbgrader_adapter import gradebook as nbgb

MODULE = minicourse.MODULE
RIGHT = {"q1_answer": "higher = 'a'", "q2_answer": "ratio = rates['b'] / rates['a']"}


# ---------------------------------------------------------------------------------------------
# helpers

def _roster(path, ids):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["learner_id", "first_name", "last_name", "email", "department", "profile"])
        for lid in ids:
            w.writerow([lid, "", "", "", "Benefits", "caseworker"])
    return path


def _answered(course_root, **answers):
    nb = nbformat.read(course_root / "exercises" / MODULE / "exercise.ipynb", as_version=4)
    for gid, code in {**RIGHT, **answers}.items():
        minicourse.set_answer(nb, gid, code)
    return nb


def _dbname(url: str) -> str:
    return url.rsplit("/", 1)[1]


# ---------------------------------------------------------------------------------------------
# The URL a trainer types (no server needed)

def test_a_postgresql_url_gets_the_driver_the_kit_installs(tmp_path, monkeypatch):
    from coursekit.platform.nbgrader_adapter.config import course_config

    typed = "postgresql://grader:p%40ss@db.internal:5433/benefits_march?sslmode=require"
    working = "postgresql+psycopg://grader:p%40ss@db.internal:5433/benefits_march?sslmode=require"
    assert nbgb.database_url(typed) == working
    for unchanged in (working, "postgresql+psycopg2://grader@db/x", f"sqlite:///{tmp_path}/gradebook.db",
                      "not a url"):
        assert nbgb.database_url(unchanged) == unchanged
    assert nbgb.shown_url(typed) == "postgresql://grader:***@db.internal:5433/benefits_march?sslmode=require"
    # nbgrader's own configuration (CourseDirectory.db_url) gets the working form too
    monkeypatch.setenv("COURSEKIT_ROOT", str(minicourse.REPO))
    assert course_config(tmp_path, typed).CourseDirectory.db_url == working
    # and SQLAlchemy opens it with psycopg (v3), without a connection being made
    from sqlalchemy import create_engine

    engine = create_engine(nbgb.database_url(typed))
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


# ---------------------------------------------------------------------------------------------
# cohort init, with the password in ~/.pgpass

@pytest.mark.slow
@pytest.mark.servers
@pytest.mark.xdist_group("servers")
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_cohort_init_on_postgresql_reads_the_password_from_pgpass(postgres, mini_course, tmp_path, monkeypatch, capsys):
    url = postgres("init", password=False)            # postgresql://grader@127.0.0.1:PORT/init_N
    assert postgres.password not in url
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("PGPASSFILE", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    roster = _roster(tmp_path / "roster.csv", ["L001", "L002"])
    cohort = tmp_path / "cohort"

    # No password anywhere: one clear line, no half-made folder.
    assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(roster), "--db-url", url]) == 2
    err = capsys.readouterr().err
    assert "could not set up the gradebook at postgresql://grader@127.0.0.1" in err
    assert len(err.strip().splitlines()) == 1 and "password" in err and not cohort.exists()
    assert postgres.admin("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", _dbname(url)) == [(0,)]

    # With ~/.pgpass (mode 600), as the workshop guide says.
    pgpass = home / ".pgpass"
    pgpass.write_text(postgres.pgpass_line())
    pgpass.chmod(0o600)
    assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(roster), "--db-url", url,
                 "--course-id", "benefits-march"]) == 0
    out = capsys.readouterr().out
    assert f"gradebook: {nbgb.database_url(url)}" in out
    cfg = (cohort / "nbgrader_config.py").read_text()
    assert repr(nbgb.database_url(url)) in cfg and postgres.password not in cfg
    assert not (cohort / "gradebook.db").exists()

    db = _dbname(url)
    assert postgres.admin("SELECT id FROM student ORDER BY id", db) == [("L001",), ("L002",)]
    assert postgres.admin("SELECT version_num FROM alembic_version", db) == [(nbgb.alembic_head(),)]
    assert postgres.admin("SELECT id FROM course", db) == [("benefits-march",)]

    # nbgrader's own commands in the cohort folder (formgrader, `nbgrader db ...`) read its
    # nbgrader_config.py and open the gradebook it names, as here (in-process: their start-up
    # costs seconds).
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    own = CourseDirectory(config=PyFileConfigLoader("nbgrader_config.py", path=str(cohort)).load_config())
    assert own.db_url == nbgb.database_url(url)
    with Gradebook(own.db_url, course_id="benefits-march") as gb:
        assert sorted(s.id for s in gb.students) == ["L001", "L002"]

    # Running init again with the URL as typed adds the new learner; another URL is refused.
    _roster(tmp_path / "roster2.csv", ["L001", "L002", "L003"])
    assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(tmp_path / "roster2.csv"),
                 "--db-url", url]) == 0
    assert "1 added, 2 updated" in capsys.readouterr().out
    assert postgres.admin("SELECT count(*) FROM student", db) == [(3,)]
    assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(roster),
                 "--db-url", url.replace(db, "elsewhere")]) == 2
    assert "already uses the gradebook" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Two trainers, one gradebook

LEARNERS = [f"L{i:03d}" for i in range(1, 5)]
WRONG = {"L002": {"q1_answer": "higher = 'b'"},      # q1 (2 points) lost: 3 of 5
         "L004": {"q2_answer": "ratio = 0.25"}}      # q2 (3 points) lost: 2 of 5
SCORES = {lid: 5 - (2 if lid == "L002" else 0) - (3 if lid == "L004" else 0) for lid in LEARNERS}


def _grade_process(cohort, learners):
    return subprocess.Popen([sys.executable, "-m", "coursekit", "cohort", "grade", MODULE, "--dir", str(cohort),
                             "--learners", ",".join(learners), "--workers", "1", "--quiet", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


@pytest.mark.slow
@pytest.mark.servers
@pytest.mark.xdist_group("servers")
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
@pytest.mark.long
def test_two_trainers_grade_halves_at_once_into_one_gradebook(postgres, mini_course, tmp_path, capsys):
    url = postgres("shared")                             # with the grader role's password
    roster = _roster(tmp_path / "roster.csv", LEARNERS)
    uploads = tmp_path / "uploads.zip"
    with zipfile.ZipFile(uploads, "w") as zf:
        for lid in LEARNERS:
            zf.writestr(f"{lid}.ipynb", nbformat.writes(_answered(mini_course, **WRONG.get(lid, {}))))
    folders = [tmp_path / "anna", tmp_path / "ben"]      # each trainer's own cohort folder
    for folder in folders:
        assert main(["cohort", "init", "--dir", str(folder), "--roster", str(roster), "--db-url", url,
                     "--course-id", "benefits-march"]) == 0
        assert main(["cohort", "release", MODULE, "--dir", str(folder)]) == 0
        assert main(["cohort", "collect", MODULE, "--dir", str(folder), "--from", str(uploads)]) == 0
    said = capsys.readouterr()
    assert "gradebook: postgresql+psycopg://grader:***@127.0.0.1" in said.out
    assert postgres.password not in said.out + said.err          # the URL's password is never printed
    halves = [LEARNERS[:2], LEARNERS[2:]]

    # A learner id without a submission is refused before anything is graded.
    assert main(["cohort", "grade", MODULE, "--dir", str(folders[0]), "--learners", "L001,L099"]) == 2
    assert "--learners: no submission of m00_demo from L099" in capsys.readouterr().err

    started = time.monotonic()
    procs = [_grade_process(folder, half) for folder, half in zip(folders, halves)]
    results = [p.communicate(timeout=240) for p in procs]
    seconds = time.monotonic() - started
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err[-3000:]
    for (out, _), half in zip(results, halves):
        subs = {s["learner"]: s for s in json.loads(out)["submissions"]}
        assert set(subs) == set(half)
        assert {lid: (s["status"], s["score"]) for lid, s in subs.items()} == \
            {lid: ("graded", SCORES[lid]) for lid in half}

    # Nothing lost, nothing doubled: one submission per learner, one grade per cell.
    db = _dbname(url)
    per_learner = dict(postgres.admin(
        "SELECT sa.student_id, count(*) FROM submitted_assignment sa GROUP BY sa.student_id", db))
    assert per_learner == {lid: 1 for lid in LEARNERS}
    assert postgres.admin("SELECT count(*) FROM submitted_notebook", db) == [(len(LEARNERS),)]
    cells = postgres.admin("SELECT count(*) FROM grade_cells", db)[0][0]
    assert cells == 3                                     # q1, q2 and the written w1 of the mini course
    grades = postgres.admin("SELECT count(*), count(DISTINCT (notebook_id, cell_id)) FROM grade", db)[0]
    assert grades == (len(LEARNERS) * cells, len(LEARNERS) * cells)
    auto = dict(postgres.admin(
        "SELECT sa.student_id, sum(g.auto_score) FROM grade g JOIN submitted_notebook sn ON sn.id = g.notebook_id "
        "JOIN submitted_assignment sa ON sa.id = sn.assignment_id GROUP BY sa.student_id", db))
    assert {lid: float(v) for lid, v in auto.items()} == {lid: float(s) for lid, s in SCORES.items()}

    # Feedback: each trainer returns the pages of the learners they graded.
    for folder, half in zip(folders, halves):
        assert main(["cohort", "feedback", MODULE, "--dir", str(folder)]) == 0
        pages = sorted(p.parent.parent.name for p in (folder / "feedback").glob(f"*/{MODULE}/exercise.html"))
        assert pages == half
        page = (folder / "feedback" / half[1] / MODULE / "exercise.html").read_text()
        assert "HIDDEN TESTS" not in page and "max(rates" not in page
    wrong = (folders[0] / "feedback" / "L002" / MODULE / "exercise.html").read_text()
    assert "Compare the two rates again." in wrong

    # Export: either trainer gets the whole cohort's evidence from the shared gradebook. (How
    # isolated each notebook's grading was is in the grading folder's records, not the gradebook.)
    exports = []
    for folder, half in zip(folders, halves):
        assert main(["cohort", "export", "--dir", str(folder)]) == 0
        ev = pd.read_csv(folder / "export" / "evidence.csv", dtype={"learner": str, "isolation": str})
        assert ev.loc[ev["learner"].isin(half), "isolation"].notna().all()
        exports.append(ev.drop(columns="isolation").sort_values(["learner", "item", "competency"])
                       .reset_index(drop=True))
    pd.testing.assert_frame_equal(exports[0], exports[1])
    ev = exports[0]
    assert sorted(ev["learner"].unique()) == LEARNERS
    assert not ev.duplicated(["learner", "module", "item", "competency"]).any()
    auto_items = ev[ev["item"].isin(["q1", "q2"])]
    assert auto_items.groupby("learner")["points"].sum().to_dict() == {lid: float(s) for lid, s in SCORES.items()}
    assert set(ev["source"]) == {"cohort"}
    print(f"two trainers graded {len(LEARNERS)} notebooks at once in {seconds:.1f} s")


# ---------------------------------------------------------------------------------------------
# Evidence and pledge reports read PostgreSQL gradebooks as they read SQLite ones

ANA_ALPHA = ec.full_marks("m10_alpha")                            # everything right, written answer graded
ANA_BETA = {"q1": 1, "q2": 2, "q3": 0, "w1": None}                # written answer not graded yet
BEN_ALPHA = {"q1": 2, "q2": 0, "q3": 1.5, "q4": 2, "w1": None}
BEN_BETA = {"q1": (0.0, 1.0), "q2": ("auto", 1.0), "q3": 2, "w1": 2}   # a trainer's override; a manual grade


@pytest.fixture
def course(tmp_path, monkeypatch):
    root = ec.make_root(tmp_path / "root")
    ec.use_root(monkeypatch, root)
    monkeypatch.setenv("COURSEKIT_HOME", str(tmp_path / "home"))
    yield root
    ec.use_root(monkeypatch, root)


def _both(postgres, tmp_path, name, submissions, extra_credit=()):
    """The same grades in a new SQLite gradebook and a new PostgreSQL one: (path, URL as typed)."""
    path = tmp_path / f"{name}.db"
    url = postgres(name)
    nbgb.stamp_new_gradebook(url)                          # spares nbgrader its alembic subprocess
    for where in (path, nbgb.database_url(url)):
        ec.make_gradebook(where, submissions)
        with nbgb.open_gradebook(str(where) if "://" in str(where) else f"sqlite:///{where}") as gb:
            for gid, mid, lid, credit in extra_credit:
                gb.find_grade(gid, "exercise", mid, lid).extra_credit = credit
            gb.db.commit()
    return path, url


def _in_order(recs: pd.DataFrame) -> pd.DataFrame:
    """Records sorted by their key, text columns as plain text: neither database promises an order of
    rows, and the order of a categorical's categories follows the rows."""
    text = ["learner", "module", "item", "competency", "level", "source"]
    recs = recs.astype({c: str for c in text})
    return recs.sort_values(["learner", "module", "item", "competency"]).reset_index(drop=True)


@pytest.mark.servers
@pytest.mark.xdist_group("servers")
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_evidence_records_are_the_same_from_postgresql_and_sqlite(postgres, course, tmp_path):
    subs = [("ana", "m10_alpha", ANA_ALPHA, ec.at(1)), ("ana", "m11_beta", ANA_BETA, ec.at(10)),
            ("ben", "m10_alpha", BEN_ALPHA, ec.at(3)), ("ben", "m11_beta", BEN_BETA, ec.at(4, 2))]
    path, url = _both(postgres, tmp_path, "evidence", subs, extra_credit=[("q2", "m11_beta", "ben", 5.0)])
    lite, pg = _in_order(evidence.records(path)), _in_order(evidence.records(url))
    assert len(lite) == 6 + 3 + 5 + 4                     # one per graded item and competency; pending left out
    pd.testing.assert_frame_equal(pg, lite)
    ben_beta = pg[(pg["learner"] == "ben") & (pg["module"] == "m11_beta")].set_index("item")
    assert ben_beta.loc["q1", "points"] == 1.0            # the trainer's manual score wins
    assert ben_beta.loc["q2", "points"] == 2.0            # 1 + 5 extra credit, capped at the item's 2 points
    tags = evidence.course_tags()
    raw_lite, raw_pg = evidence.read_gradebook(path, tags), evidence.read_gradebook(url, tags)
    assert (raw_pg.pending, raw_pg.students_seen) == (raw_lite.pending, raw_lite.students_seen) == (2, 2)
    only_ana = evidence.records(url, learners=["ana"])
    assert set(only_ana["learner"]) == {"ana"} and len(only_ana) == 6 + 3


STRONG = ec.full_marks("m10_alpha", manual=False)        # reaches working in both competencies
WEAK = dict(STRONG, q2=0)                                 # fairness testing: 4 of 6, not reached
PLEDGE = {
    "ministry": "Ministry of Social Affairs",
    "title": "Caseworkers can question AI",
    "target_date": "2027-12-31",
    "targets": [{"name": "Caseworkers oversee AI outputs", "profiles": ["caseworker"],
                 "competencies": ["human_oversight", "fairness_testing"], "level": "working", "share": 0.7}],
}


@pytest.mark.servers
@pytest.mark.xdist_group("servers")
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_pledge_report_reads_two_postgresql_gradebooks_and_a_sqlite_one(postgres, course, tmp_path, capsys):
    staff = [f"cw-{i:02d}" for i in range(14)]
    # January (PostgreSQL) for eight of them; March (PostgreSQL) and May (SQLite): more, and second attempts.
    january = [(lid, "m10_alpha", WEAK if lid in ("cw-01", "cw-03", "cw-09") else STRONG, ec.at(10 + i))
               for i, lid in enumerate(["cw-00", "cw-01", "cw-02", "cw-03", "cw-04", "cw-08", "cw-09", "cw-10"])]
    march = [("cw-01", "m10_alpha", STRONG, ec.at(15, 3)),       # weak in January, strong now: reached
             ("cw-03", "m10_alpha", WEAK, ec.at(16, 3)),         # weak twice: not reached
             ("cw-06", "m10_alpha", STRONG, ec.at(17, 3)),
             ("cw-11", "m10_alpha", STRONG, ec.at(18, 3))]
    may = [("cw-02", "m10_alpha", WEAK, ec.at(5, 5)),            # strong in January: a weaker retake changes nothing
           ("cw-07", "m10_alpha", WEAK, ec.at(6, 5)),
           ("cw-12", "m10_alpha", STRONG, ec.at(7, 5)),
           ("visitor-1", "m10_alpha", STRONG, ec.at(8, 5))]      # not on the roster
    reached = {"cw-00", "cw-01", "cw-02", "cw-04", "cw-06", "cw-08", "cw-10", "cw-11", "cw-12"}   # 9 of 14
    pg_a = _both(postgres, tmp_path, "january", january)
    pg_b = _both(postgres, tmp_path, "march", march)
    lite_c = tmp_path / "may.db"
    ec.make_gradebook(lite_c, may)

    roster = tmp_path / "roster.csv"
    with open(roster, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["learner_id", "department", "profile"])
        w.writerows([lid, "Benefits", "caseworker"] for lid in staff)
    pledge = tmp_path / "pledge.yml"
    pledge.write_text(yaml.safe_dump(PLEDGE))

    def report(gradebooks, out):
        args = ["pledge", "report", "--pledge", str(pledge), "--roster", str(roster), "--out", str(out)]
        for g in gradebooks:
            args += ["--gradebook", str(g)]
        capsys.readouterr()
        assert main(args) == 0, capsys.readouterr().err
        return capsys.readouterr().out, pd.read_csv(out / "progress.csv", dtype=str, keep_default_na=False)

    said, mixed = report([pg_a[1], pg_b[1], lite_c], tmp_path / "mixed")
    # each person and item counts once, with the best result: 9 of the 14 reach the target
    assert said.startswith(f"Ministry of Social Affairs: 'Caseworkers oversee AI outputs' "
                           f"{100 * len(reached) / len(staff):.1f}% of 70%"), said
    page = (tmp_path / "mixed" / "report.html").read_text()
    assert "not on the roster" in page                           # visitor-1, from the SQLite gradebook
    assert postgres.password not in said + page + (tmp_path / "mixed" / "progress.csv").read_text()

    # The same grades, all in SQLite files: the same report.
    _, lite = report([pg_a[0], pg_b[0], lite_c], tmp_path / "sqlite")
    pd.testing.assert_frame_equal(mixed, lite)
