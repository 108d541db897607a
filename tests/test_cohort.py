"""`coursekit cohort` on the tiny course: set up, release, collect, grade a batch of good and bad
notebooks in parallel, resume after a kill, feedback without hidden tests, export by competency."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

import minicourse
from coursekit.cli import main

pytestmark = pytest.mark.slow

MODULE = minicourse.MODULE
RIGHT = {"q1_answer": "higher = 'a'", "q2_answer": "ratio = rates['b'] / rates['a']"}


# ---------------------------------------------------------------------------------------------
# helpers

def _release_nb(root):
    return nbformat.read(root / "exercises" / MODULE / "exercise.ipynb", as_version=4)


def _answered(root, **answers):
    nb = _release_nb(root)
    for gid, code in {**RIGHT, **answers}.items():
        minicourse.set_answer(nb, gid, code)
    return nb


def _write_roster(path, ids, with_names=False):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["learner_id", "first_name", "last_name", "email", "department", "profile"])
        for i, lid in enumerate(ids):
            name = ("Ann", "Example", f"ann.example{i}@ministry.example") if with_names else ("", "", "")
            w.writerow([lid, *name, "Benefits", "caseworker"])
    return path


def _init(tmp_path, ids, *extra, with_names=False):
    roster = _write_roster(tmp_path / "roster.csv", ids, with_names)
    cohort = tmp_path / "cohort"
    assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(roster), *extra]) == 0
    return cohort


def _grade_json(cohort, capsys, *extra):
    capsys.readouterr()
    status = main(["cohort", "grade", MODULE, "--dir", str(cohort), "--json", *extra])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    return status, {s["learner"]: s for s in out["submissions"]}, captured.err


# ---------------------------------------------------------------------------------------------
# roster

BAD_ROSTERS = [
    ("learner_id,first_name,department\nL1,Ann,Tax\n", "field profile: missing column"),
    ("learner_id,department,profile\nL1,Tax,caseworker\nL2,Tax,caseworker\nL1,Tax,caseworker\n",
     "row 4, field learner_id: the same id as row 2"),
    ("learner_id,department,profile\nL1,Tax,caseworker\n,Tax,caseworker\n", "row 3, field learner_id: is empty"),
    ("learner_id,department,profile\nL 1,Tax,caseworker\n", "row 2, field learner_id: is not a valid id"),
    ("learner_id,department,profile\nL1,Tax,astronaut\n", "row 2, field profile: unknown profile 'astronaut'"),
    ("learner_id,department,profile\nL1,,caseworker\n", "row 2, field department: is empty"),
    ("", "the roster is empty"),
]


def test_bad_roster_exits_2_and_writes_nothing(mini_course, tmp_path, capsys):
    cohort = tmp_path / "cohort"
    for i, (content, needle) in enumerate(BAD_ROSTERS):
        roster = tmp_path / f"roster{i}.csv"
        roster.write_text(content)
        assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(roster)]) == 2, content
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert str(roster) in err and needle in err, (needle, err)
        assert not cohort.exists()


def test_init_sets_up_nbgrader_course_and_reinit_adds_learners(mini_course, tmp_path, capsys):
    db = tmp_path / "elsewhere" / "grades.db"
    db.parent.mkdir()
    cohort = _init(tmp_path, ["L001", "L002"], "--db-url", f"sqlite:///{db}", with_names=True)
    assert (cohort / "source" / MODULE / "exercise.ipynb").exists()
    cfg = (cohort / "nbgrader_config.py").read_text()
    assert "add_missing_cells = True" in cfg and f"sqlite:///{db}" in cfg and "ClearHiddenTests" in cfg
    assert db.exists() and not (cohort / "gradebook.db").exists()

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}", course_id="coursekit") as gb:
        assert sorted(s.id for s in gb.students) == ["L001", "L002"]
        assert gb.find_student("L001").first_name == "Ann"

    # Running init again with a longer roster adds the new learner and keeps everything else.
    _write_roster(tmp_path / "roster2.csv", ["L001", "L002", "L003"])
    assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(tmp_path / "roster2.csv")]) == 0
    assert "1 added, 2 updated" in capsys.readouterr().out
    with Gradebook(f"sqlite:///{db}", course_id="coursekit") as gb:
        assert sorted(s.id for s in gb.students) == ["L001", "L002", "L003"]

    # A command on a folder that is not a cohort is one clear line.
    assert main(["cohort", "grade", MODULE, "--dir", str(tmp_path)]) == 2
    assert "not a cohort folder" in capsys.readouterr().err


def test_learners_option_picks_submissions_and_refuses_unknown_ids():
    from coursekit.errors import UsageError
    from coursekit.platform.cohort import grade

    subs = ["L001", "L002", "L003"]
    assert grade._only(subs, ["L003", "L001"], MODULE) == ["L001", "L003"]
    with pytest.raises(UsageError, match="--learners: no submission of m00_demo from L009, l002"):
        grade._only(subs, ["L001", "l002", "L009"], MODULE)
    # on the command line: comma-separated, spaces and a trailing comma forgiven
    import argparse

    from coursekit.cli import cohort as cohort_cli

    parser = argparse.ArgumentParser()
    cohort_cli.register(parser.add_subparsers())
    args = parser.parse_args(["cohort", "grade", MODULE, "--learners", " L001, L002 ,"])
    assert args.learners == ["L001", "L002"]


# ---------------------------------------------------------------------------------------------
# collect

def test_collect_reports_unknown_and_duplicate_learners(mini_course, tmp_path, capsys):
    cohort = _init(tmp_path, ["L001", "L002", "L003"])
    up = tmp_path / "uploads"
    (up / "late").mkdir(parents=True)
    nb = _answered(mini_course)
    nbformat.write(nb, up / "L001.ipynb")
    nbformat.write(nb, up / "l002.ipynb")                 # case differs from the roster: still L002
    nbformat.write(nb, up / "L003.ipynb")
    nbformat.write(nb, up / "late" / "L003.ipynb")       # a second file for L003
    nbformat.write(nb, up / "mallory.ipynb")             # nobody of that name in the roster
    (up / "notes.docx").write_text("not a notebook")

    capsys.readouterr()
    assert main(["cohort", "collect", MODULE, "--dir", str(cohort), "--from", str(up), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert sorted(out["collected"]) == ["L001", "L002"]
    assert out["unknown"] == [{"file": "mallory.ipynb", "learner": "mallory"}]
    assert out["duplicates"] == [{"learner": "L003", "files": ["L003.ipynb", "late/L003.ipynb"]}]
    assert out["ignored"][0]["file"] == "notes.docx"
    sub = cohort / "submitted" / "L002" / MODULE
    assert (sub / "exercise.ipynb").exists() and (sub / "timestamp.txt").read_text().strip()
    assert not (cohort / "submitted" / "L003").exists()

    # Collecting the same uploads again changes nothing; the human summary names the problems.
    assert main(["cohort", "collect", MODULE, "--dir", str(cohort), "--from", str(up)]) == 1
    text = capsys.readouterr().out
    assert "0 collected" in text and "2 unchanged" in text
    assert "unknown learner: mallory.ipynb" in text and "duplicate: 2 files for L003" in text


def test_release_and_collect_through_the_exchange(mini_course, tmp_path, capsys):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    cohort = _init(tmp_path, ["L001", "L002"], "--exchange", str(exchange), "--course-id", "cohort_a")
    assert main(["cohort", "release", MODULE, "--dir", str(cohort)]) == 0
    assert (exchange / "cohort_a" / "outbound" / MODULE / "exercise.ipynb").exists()
    assert (cohort / "handout" / MODULE / "exercise.ipynb").exists()
    with zipfile.ZipFile(cohort / "handout" / f"{MODULE}.zip") as zf:
        assert f"{MODULE}/exercise.ipynb" in zf.namelist()
    readme = (cohort / "handout" / MODULE / "README.txt").read_text()
    assert "imports `coursekit`" in readme and "python3 kit.py lab" in readme   # what the learner needs

    # What `nbgrader submit` leaves in the inbound folder: L002 submitted twice, mallory once.
    inbound = exchange / "cohort_a" / "inbound"
    inbound.mkdir(exist_ok=True)
    for who, ts, answer in [("L001", "2026-01-05 10:00:00.000000 UTC", "higher = 'a'"),
                            ("L002", "2026-01-05 10:00:00.000000 UTC", "higher = 'b'"),
                            ("L002", "2026-01-05 11:00:00.000000 UTC", "higher = 'a'"),
                            ("mallory", "2026-01-05 10:00:00.000000 UTC", "higher = 'a'")]:
        folder = inbound / f"{who}+{MODULE}+{ts}+x{len(answer)}{ts[11:13]}"
        folder.mkdir()
        nbformat.write(_answered(mini_course, q1_answer=answer), folder / "exercise.ipynb")
        (folder / "timestamp.txt").write_text(ts)
        (folder / "submission_secret.txt").write_text(f"secret of {who} at {ts}")
    capsys.readouterr()
    assert main(["cohort", "collect", MODULE, "--dir", str(cohort), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert sorted(out["collected"]) == ["L001", "L002"]
    assert [u["learner"] for u in out["unknown"]] == ["mallory"]
    latest = nbformat.read(cohort / "submitted" / "L002" / MODULE / "exercise.ipynb", as_version=4)
    assert any("higher = 'a'" in c.source for c in latest.cells)        # nbgrader keeps the latest
    assert (cohort / "submitted" / "L002" / MODULE / "timestamp.txt").read_text().startswith("2026-01-05 11:00")

    # Feedback goes back through the exchange too, under nbgrader's hash of each submission.
    status, subs, _ = _grade_json(cohort, capsys, "--quiet")
    assert status == 0 and {s["score"] for s in subs.values()} == {5}
    assert main(["cohort", "feedback", MODULE, "--dir", str(cohort)]) == 0
    assert len(list((exchange / "cohort_a" / "feedback").glob("*.html"))) == 2


# ---------------------------------------------------------------------------------------------
# grade: a batch of good and bad notebooks

def _corpus(root) -> dict:
    """learner id -> notebook bytes (or raw text for files that are not notebooks)."""
    def dump(nb):
        return nbformat.writes(nb)

    out = {"good1": dump(_answered(root)), "good2": dump(_answered(root))}
    out["badjson"] = '{"cells": [ {"cell_type": "code", '
    out["empty"] = ""
    nb = _answered(root)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in ("q1", "q2")]
    out["deleted"] = dump(nb)                      # test cells deleted: restored from the source
    nb = _answered(root, q2_answer="ratio = 2.0")
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "q2":
            c.source = "pass  # the learner 'fixed' the test"
    out["edited"] = dump(nb)                       # locked test edited: restored, wrong answer loses
    out["wrong"] = dump(_answered(root, q1_answer="higher = 'b'"))
    out["loop"] = dump(_answered(root, q1_answer="while True:\n    pass"))
    out["exit"] = dump(_answered(root, q1_answer="import os\nos._exit(3)"))
    out["hog"] = dump(_answered(root, q1_answer="blob = bytearray(3 * 1024**3)\nhigher = 'a'"))
    out["huge"] = dump(_answered(root, q1_answer="print('x' * 4_000_000)\nfor i in range(5000):\n    print(i)\nhigher = 'a'"))
    nb = _answered(root)
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    nb.metadata["language_info"] = {"name": "R"}
    out["foreign"] = dump(nb)
    nb = _answered(root)
    nb.metadata["coursekit"] = {"module": "m01_right_tool"}
    out["other"] = dump(nb)
    return out


EXPECTED = {  # learner: (status, score, reason starts with / note)
    "good1": ("graded", 5, ""), "good2": ("graded", 5, ""),
    "badjson": ("failed", None, "unreadable notebook"), "empty": ("failed", None, "unreadable notebook"),
    "deleted": ("graded", 5, ""), "edited": ("graded", 2, ""), "wrong": ("graded", 3, ""),
    "loop": ("graded", 3, "q1: timed out"), "exit": ("failed", None, "kernel died"),
    "hog": ("graded", 3, "q1: out of memory"), "huge": ("graded", 5, ""), "foreign": ("graded", 5, ""),
    "other": ("failed", None, "notebook of another module"),
}


def test_batch_of_bad_submissions_then_skip_feedback_and_export(mini_course, tmp_path, capsys):
    corpus = _corpus(mini_course)
    cohort = _init(tmp_path, sorted(corpus), with_names=True)
    assert main(["cohort", "release", MODULE, "--dir", str(cohort)]) == 0
    uploads = tmp_path / "uploads.zip"
    with zipfile.ZipFile(uploads, "w") as zf:
        for lid, text in corpus.items():
            zf.writestr(f"uploads/{lid}.ipynb", text)
    assert main(["cohort", "collect", MODULE, "--dir", str(cohort), "--from", str(uploads)]) == 0

    limits = ["--cell-timeout", "5", "--memory-mb", "1500", "--workers", "2"]
    status, subs, err = _grade_json(cohort, capsys, *limits)
    assert status == 1                                   # some failed: the exit status says so
    assert "grading m00_demo" in err                     # the progress bar, on stderr
    assert set(subs) == set(corpus)
    for lid, (st, score, why) in EXPECTED.items():
        got = subs[lid]
        assert got["status"] == st, (lid, got)
        if st == "graded":
            assert got["score"] == score and got["max_score"] == 5, (lid, got)
            assert why in " ".join(got.get("notes", [])), (lid, got)
        else:
            assert got["score"] is None and got["reason"].startswith(why), (lid, got)
    graded = cohort / "autograded" / "huge" / MODULE / "exercise.ipynb"
    assert graded.stat().st_size < 2_000_000             # a huge output is cut down, not kept

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{cohort / 'gradebook.db'}", course_id="coursekit") as gb:
        in_gb = {s.student.id: s.score for s in gb.assignment_submissions(MODULE)}
    assert set(in_gb) == {k for k, v in EXPECTED.items() if v[0] == "graded"}   # no silent zeros
    assert in_gb["wrong"] == 3

    # Again: unchanged notebooks are skipped; a changed one is graded again.
    nbformat.write(_answered(mini_course, q1_answer="higher = 'b'"),
                   cohort / "submitted" / "good2" / MODULE / "exercise.ipynb")
    status, subs, _ = _grade_json(cohort, capsys, *limits, "--quiet")
    assert subs["good2"]["status"] == "graded" and subs["good2"]["score"] == 3
    assert subs["good1"]["status"] == "skipped" and subs["good1"]["score"] == 5
    assert subs["wrong"]["status"] == "skipped" and subs["wrong"]["score"] == 3
    assert subs["badjson"]["status"] == "failed"
    assert sum(s["status"] == "skipped" for s in subs.values()) == 8

    # Feedback: no hidden test code, markers or tracebacks of hidden asserts.
    assert main(["cohort", "feedback", MODULE, "--dir", str(cohort)]) == 0
    from coursekit.platform.cohort.feedback import visible_text

    for lid in ("wrong", "edited", "good1", "good2", "loop"):
        page = (cohort / "feedback" / lid / MODULE / "exercise.html").read_text()
        text = visible_text(page)
        assert "HIDDEN TESTS" not in page
        assert "max(rates" not in text and "abs(ratio - 0.5)" not in text
        if lid in ("wrong", "edited", "good2"):
            assert "Traceback" not in text
    assert "Compare the two rates again." in visible_text(
        (cohort / "feedback" / "wrong" / MODULE / "exercise.html").read_text())
    assert "Divide the smaller rate by the larger one." in visible_text(
        (cohort / "feedback" / "edited" / MODULE / "exercise.html").read_text())
    assert not (cohort / "feedback" / "badjson").exists()

    # Export: evidence records and per-competency rows, learner ids only.
    assert main(["cohort", "export", "--dir", str(cohort)]) == 0
    ev = list(csv.DictReader(open(cohort / "export" / "evidence.csv")))
    assert list(ev[0]) == ["learner", "module", "item", "competency", "level", "points", "out_of", "source", "time",
                          "isolation"]
    assert {r["isolation"] for r in ev} <= {"full", "partial", "none"}
    assert {r["source"] for r in ev} == {"cohort"}
    assert {r["learner"] for r in ev} == {k for k, v in EXPECTED.items() if v[0] == "graded"}
    wrong_q1 = [r for r in ev if r["learner"] == "wrong" and r["item"] == "q1"]
    assert [(r["competency"], r["level"], float(r["points"]), float(r["out_of"])) for r in wrong_q1] == \
        [("fairness_testing", "working", 0.0, 2.0)]
    comp = list(csv.DictReader(open(cohort / "export" / "competencies.csv")))
    good = {(r["competency"], r["level"]): float(r["share"]) for r in comp if r["learner"] == "good1"}
    assert good == {("fairness_testing", "working"): 1.0, ("fairness_testing", "practitioner"): 1.0}
    assert main(["cohort", "export", "--dir", str(cohort), "--format", "json"]) == 0
    assert json.loads((cohort / "export" / "competencies.json").read_text())[0]["learner"]
    for f in (cohort / "export").iterdir():
        body = f.read_text()
        assert "Ann" not in body and "Example" not in body and "@" not in body

    # A new upload not graded yet: its learner gets no page (an old one would not match), and is told.
    nbformat.write(_answered(mini_course, q2_answer="ratio = 0.25"),
                   cohort / "submitted" / "foreign" / MODULE / "exercise.ipynb")
    capsys.readouterr()
    assert main(["cohort", "feedback", MODULE, "--dir", str(cohort)]) == 1
    assert "withheld for foreign: its current upload is not graded yet" in capsys.readouterr().err
    assert not (cohort / "feedback" / "foreign" / MODULE / "exercise.html").exists()
    assert (cohort / "feedback" / "good1" / MODULE / "exercise.html").exists()


# ---------------------------------------------------------------------------------------------
# a killed batch resumes

def test_killed_batch_resumes_then_a_notebook_overruns(mini_course, tmp_path, capsys):
    import psutil

    ids = [f"L{i:03d}" for i in range(1, 7)]
    cohort = _init(tmp_path, ids)
    for i, lid in enumerate(ids):
        dest = cohort / "submitted" / lid / MODULE
        dest.mkdir(parents=True)
        q1 = "higher = 'a'" if i % 2 == 0 else "higher = 'b'"
        nbformat.write(_answered(mini_course, q1_answer=q1), dest / "exercise.ipynb")

    records = cohort / ".coursekit" / "grades" / MODULE
    proc = subprocess.Popen([sys.executable, "-m", "coursekit", "cohort", "grade", MODULE, "--dir", str(cohort),
                             "--workers", "1", "--quiet", "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        done = list(records.glob("*.json")) if records.exists() else []
        if len(done) >= 2:
            break
        time.sleep(0.1)
    assert proc.poll() is None, "the batch finished before it could be killed; make the notebooks slower"
    os.kill(proc.pid, signal.SIGKILL)                      # kill -9, mid-batch
    proc.wait()
    first = {p.stem: json.loads(p.read_text()) for p in records.glob("*.json")}
    assert 2 <= len(first) < len(ids)

    # No grader or kernel of the killed batch is left running.
    for _ in range(50):
        orphans = [p for p in psutil.process_iter(["cmdline", "environ"])
                   if (p.info.get("environ") or {}).get("COURSEKIT_PARENT_PID") == str(proc.pid)]
        if not orphans:
            break
        time.sleep(0.2)
    assert not orphans

    killed_run_dir = Path((cohort / ".coursekit" / "last-run-dir").read_text())
    status, subs, _ = _grade_json(cohort, capsys, "--workers", "2", "--quiet")
    assert status == 0
    assert not killed_run_dir.exists()          # the killed run's scratch folder is cleaned up
    assert {lid for lid, s in subs.items() if s["status"] == "skipped"} == set(first)
    assert all(s["status"] in ("graded", "skipped") for s in subs.values())
    assert {lid: s["score"] for lid, s in subs.items()} == {lid: (5 if i % 2 == 0 else 3) for i, lid in enumerate(ids)}

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{cohort / 'gradebook.db'}", course_id="coursekit") as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions(MODULE)}
    assert scores == {lid: (5 if i % 2 == 0 else 3) for i, lid in enumerate(ids)}

    # A notebook over the whole-notebook limit is failed, and its grader and kernel are gone.
    dest = cohort / "submitted" / "L001" / MODULE
    nbformat.write(_answered(mini_course, q1_answer="import time\ntime.sleep(120)\nhigher = 'a'"),
                   dest / "exercise.ipynb")
    status, subs, _ = _grade_json(cohort, capsys, "--timeout", "6", "--cell-timeout", "100", "--quiet")
    assert status == 1
    assert subs["L001"]["status"] == "failed"
    assert subs["L001"]["reason"].startswith("timed out") and "6 s" in subs["L001"]["reason"]
    assert sum(s["status"] == "skipped" for s in subs.values()) == len(ids) - 1
    left = [p for p in psutil.process_iter(["environ"])
            if (p.info.get("environ") or {}).get("COURSEKIT_PARENT_PID") == str(os.getpid())]
    assert not left, "a grader or kernel outlived its notebook's time limit"
