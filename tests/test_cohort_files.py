"""Cohort files a learner cannot misuse: uploads, feedback and clean-up.

Uploads are hostile (symbolic links, archive members that climb out, damaged archives, a zip bomb
whose header lies); feedback pages show a learner's own work and the kit's messages and nothing of
the tests, whatever the learner wrote; and grading leaves no temporary folder or process behind.
Each test checks its own temporary folder and its own child processes, so that tests running in
parallel do not see each other's.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest

import minicourse
from coursekit.cli import main

pytestmark = pytest.mark.slow

MODULE = minicourse.MODULE
RIGHT = {"q1_answer": "higher = 'a'", "q2_answer": "ratio = rates['b'] / rates['a']"}


def _answered(root, **answers):
    nb = nbformat.read(root / "exercises" / MODULE / "exercise.ipynb", as_version=4)
    for gid, code in {**RIGHT, **answers}.items():
        minicourse.set_answer(nb, gid, code)
    return nb


def _init(tmp_path, ids):
    roster = tmp_path / "roster.csv"
    roster.write_text("learner_id,department,profile\n" + "".join(f"{i},Benefits,caseworker\n" for i in ids))
    cohort = tmp_path / "cohort"
    assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(roster)]) == 0
    return cohort


@pytest.fixture
def own_tmp(tmp_path, monkeypatch):
    """The test's own temporary folder as TMPDIR, for this process and the ones it starts."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    yield tmp
    tempfile.tempdir = None


def _collect(cohort, source, capsys):
    capsys.readouterr()
    status = main(["cohort", "collect", MODULE, "--dir", str(cohort), "--from", str(source), "--json"])
    captured = capsys.readouterr()
    return status, captured


# --- uploads ------------------------------------------------------------------------------------

def test_symbolic_links_in_an_upload_folder_are_never_followed(mini_course, tmp_path, capsys):
    cohort = _init(tmp_path, ["L1", "L2", "L3", "L4"])
    outside = tmp_path / "trainer_home"
    outside.mkdir()
    nbformat.write(_answered(mini_course), outside / "notes.ipynb")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    nbformat.write(_answered(mini_course, q1_answer="higher = 'b'"), uploads / "L1.ipynb")
    (uploads / "L2.ipynb").symlink_to(cohort / "source" / MODULE / "exercise.ipynb")   # the model answers
    (uploads / "L3.ipynb").symlink_to(outside / "notes.ipynb")                        # the trainer's file
    (uploads / "more").symlink_to(outside, target_is_directory=True)                  # a folder outside
    status, captured = _collect(cohort, uploads, capsys)
    out = json.loads(captured.out)
    assert out["collected"] == ["L1"]
    why = {i["file"]: i["why"] for i in out["ignored"]}
    assert set(why) == {"L2.ipynb", "L3.ipynb", "more"} and all("symbolic link" in w for w in why.values())
    assert status == 1
    assert sorted(p.name for p in (cohort / "submitted").iterdir()) == ["L1"]


def test_archive_members_that_climb_out_are_reported_and_not_collected(mini_course, tmp_path, capsys):
    cohort = _init(tmp_path, ["L1", "L2", "L3"])
    archive = tmp_path / "uploads.zip"
    text = nbformat.writes(_answered(mini_course))
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("uploads/L1.ipynb", text)
        zf.writestr("uploads/../../L2.ipynb", text)
        zf.writestr("/etc/L3.ipynb", text)
    status, captured = _collect(cohort, archive, capsys)
    out = json.loads(captured.out)
    assert out["collected"] == ["L1"] and status == 1
    why = {i["file"]: i["why"] for i in out["ignored"]}
    assert set(why) == {"uploads/../../L2.ipynb", "/etc/L3.ipynb"}
    assert all("'..'" in w for w in why.values())
    assert not (tmp_path / "L2.ipynb").exists() and not (cohort / "submitted" / "L2").exists()


def test_a_damaged_archive_is_one_clear_error_and_collects_nothing(mini_course, tmp_path, capsys):
    cohort = _init(tmp_path, ["L1", "L2"])
    archive = tmp_path / "uploads.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("L1.ipynb", nbformat.writes(_answered(mini_course)))
        zf.writestr("L2.ipynb", nbformat.writes(_answered(mini_course)) * 20)
    data = bytearray(archive.read_bytes())
    second = data.index(b"PK\x03\x04", 10)
    for i in range(second + 80, second + 400):       # inside L2's compressed data
        data[i] ^= 0x5A
    archive.write_bytes(bytes(data))
    status, captured = _collect(cohort, archive, capsys)
    assert status == 2
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "damaged" in lines[0] and "L2.ipynb" in lines[0] and "Traceback" not in captured.err
    assert not (cohort / "submitted").exists() or not any((cohort / "submitted").iterdir())


def _zip_of_zeros(path: Path, name: str, size: int, claim: int | None) -> None:
    """A zip with ``size`` zero bytes deflated; its headers then claim ``claim`` bytes."""
    chunk = bytes(16 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(name, "w") as fh:
            left = size
            while left > 0:
                fh.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)
    if claim is not None:
        data = bytearray(path.read_bytes())
        local = data.index(b"PK\x03\x04")
        central = data.index(b"PK\x01\x02")
        data[local + 22:local + 26] = claim.to_bytes(4, "little")
        data[central + 24:central + 28] = claim.to_bytes(4, "little")
        path.write_bytes(bytes(data))


def test_a_zip_bomb_cannot_exhaust_memory_whatever_its_header_says(mini_course, tmp_path, capsys):
    cohort = _init(tmp_path, ["L1"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lying = tmp_path / "lying.zip"
    _zip_of_zeros(lying, "L1.ipynb", 2_000_000_000, claim=4_000)          # 2 GB declared as 4 kB
    status, captured = _collect(cohort, lying, capsys)
    assert status == 2 and "damaged" in captured.err and "Traceback" not in captured.err
    honest = tmp_path / "honest.zip"
    _zip_of_zeros(honest, "L1.ipynb", 1_000_000_000, claim=None)          # 1 GB, and says so
    status, captured = _collect(cohort, honest, capsys)
    assert status == 1 and "larger than 100 MB" in captured.out
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 600, f"collecting a zip bomb grew this process by {grown_mb:.0f} MB"
    assert not (cohort / "submitted").exists() or not any((cohort / "submitted").iterdir())


# --- feedback -----------------------------------------------------------------------------------

MARKERS = ["### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS",
           "### BEGIN MARK SCHEME", "### END MARK SCHEME"]


def test_feedback_shows_own_work_and_messages_never_the_tests(mini_course, tmp_path, own_tmp, capsys):
    cohort = _init(tmp_path, ["good", "markers", "empty", "wrong"])
    marker_code = "\n".join(f"# {m}" for m in MARKERS) + "\nprint(" + repr(" ".join(MARKERS)) + ")\nhigher = 'a'"
    notebooks = {"good": _answered(mini_course), "markers": _answered(mini_course, q1_answer=marker_code),
                 "wrong": _answered(mini_course, q1_answer="higher = 'b'\nprint('my own output')")}
    empty = _answered(mini_course)
    empty.cells = []
    notebooks["empty"] = empty
    for lid, nb in notebooks.items():
        d = cohort / "submitted" / lid / MODULE
        d.mkdir(parents=True)
        nbformat.write(nb, d / "exercise.ipynb")
    capsys.readouterr()
    assert main(["cohort", "grade", MODULE, "--dir", str(cohort), "--json", "--quiet"]) == 0
    subs = {s["learner"]: s for s in json.loads(capsys.readouterr().out)["submissions"]}
    assert {k: (s["status"], s["score"]) for k, s in subs.items()} == {
        "good": ("graded", 5), "markers": ("graded", 5), "wrong": ("graded", 3), "empty": ("graded", 0)}
    assert main(["cohort", "feedback", MODULE, "--dir", str(cohort)]) == 0
    from coursekit.platform.cohort.feedback import hidden_test_lines, visible_text
    from coursekit.platform.nbgrader_adapter import cells

    hidden = hidden_test_lines(nbformat.read(cohort / "source" / MODULE / "exercise.ipynb", as_version=4),
                               cells.markers())
    assert hidden
    pages = {lid: (cohort / "feedback" / lid / MODULE / "exercise.html").read_text() for lid in notebooks}
    for lid, page in pages.items():
        text = visible_text(page)
        for line in hidden:
            assert line not in text, (lid, line)
        assert "Traceback" not in text
        assert "awaiting a trainer" in text            # the written answer is not shown as 0
        assert "Score: 0.0 / " not in text
    assert "my own output" in visible_text(pages["wrong"])            # their own cell's output
    assert "Compare the two rates again." in visible_text(pages["wrong"])   # the kit's message
    assert "BEGIN HIDDEN TESTS" in visible_text(pages["markers"])      # their own comment, shown as text
    assert not list((cohort / "feedback").rglob("*.tmp*"))


# --- clean-up -----------------------------------------------------------------------------------

def test_check_leaves_no_temporary_folder_or_process(mini_course, learner_home, own_tmp, tmp_path, capsys):
    path = tmp_path / "attempt.ipynb"
    nbformat.write(_answered(mini_course), path)
    assert main(["check", str(path)]) == 0
    assert sorted(p.name for p in own_tmp.iterdir()) == []
    assert psutil.Process().children(recursive=True) == []


def test_the_next_grade_removes_what_a_killed_one_left(mini_course, tmp_path, own_tmp, learner_home, capsys):
    cohort = _init(tmp_path, ["L1"])
    d = cohort / "submitted" / "L1" / MODULE
    d.mkdir(parents=True)
    nbformat.write(_answered(mini_course), d / "exercise.ipynb")
    assert main(["cohort", "grade", MODULE, "--dir", str(cohort), "--quiet"]) == 0
    # What kill -9 leaves: the run's scratch folder (noted in the cohort) and a check's scratch.
    left = own_tmp / "ck-grade-killed"
    (left / "w0").mkdir(parents=True)
    (left / "w0" / "scratch-3.db").write_text("x")
    (cohort / ".coursekit" / "last-run-dir").write_text(str(left))
    dead_pid = 2 ** 22 + 12345
    stale = own_tmp / f"coursekit-grade-{dead_pid}-abc"
    stale.mkdir()
    assert main(["cohort", "grade", MODULE, "--dir", str(cohort), "--quiet"]) == 0     # nothing new to grade
    assert not left.exists()
    path = tmp_path / "attempt.ipynb"
    nbformat.write(_answered(mini_course), path)
    assert main(["check", str(path)]) == 0
    assert not stale.exists()
    assert psutil.Process().children(recursive=True) == []
