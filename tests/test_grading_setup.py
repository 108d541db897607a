"""When the exercise's own first cells fail on the grading machine (a package it cannot import or,
isolated, cannot read), every submission is `failed` with that reason, never graded as a zero."""

from __future__ import annotations

import csv
import json

import nbformat
import pytest

import minicourse
from coursekit.cli import main

pytestmark = pytest.mark.slow

MODULE = minicourse.MODULE
RIGHT = {"q1_answer": "higher = 'a'", "q2_answer": "ratio = rates['b'] / rates['a']"}


def _cohort(root, tmp_path, ids):
    roster = tmp_path / "roster.csv"
    with open(roster, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["learner_id", "department", "profile"])
        w.writerows([lid, "Benefits", "caseworker"] for lid in ids)
    cohort = tmp_path / "cohort"
    assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(roster)]) == 0
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for lid in ids:
        nb = nbformat.read(root / "exercises" / MODULE / "exercise.ipynb", as_version=4)
        for gid, code in RIGHT.items():
            minicourse.set_answer(nb, gid, code)
        nbformat.write(nb, uploads / f"{lid}.ipynb")
    assert main(["cohort", "collect", MODULE, "--dir", str(cohort), "--from", str(uploads)]) == 0
    return cohort


def _grade(cohort, capsys) -> dict:
    capsys.readouterr()
    main(["cohort", "grade", MODULE, "--dir", str(cohort), "--json", "--quiet", "--allow-unisolated"])
    return {s["learner"]: s for s in json.loads(capsys.readouterr().out)["submissions"]}


def _break_setup(cohort, code: str) -> None:
    """The cohort's own setup cell, as the grading machine would run it, now fails."""
    src = cohort / "source" / MODULE / "exercise.ipynb"
    nb = nbformat.read(src, as_version=4)
    setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    setup.source = code + "\n" + setup.source
    nbformat.write(nb, src)


def test_a_setup_cell_that_fails_on_the_grading_machine_fails_the_submission(mini_course, tmp_path, capsys):
    cohort = _cohort(mini_course, tmp_path, ["L001"])
    _break_setup(cohort, "import coursekit_no_such_package")
    got = _grade(cohort, capsys)["L001"]
    assert got["status"] == "failed" and got["score"] is None, got
    assert "own cell setup failed before any learner code ran" in got["reason"]
    assert "ModuleNotFoundError" in got["reason"] and "coursekit_no_such_package" in got["reason"]


def test_a_learner_cell_above_the_setup_is_graded_as_usual(mini_course, tmp_path, capsys):
    # The setup fails only where the learner added code above it that breaks it: that is the
    # learner's doing, so the notebook is graded as usual; the other learner's is untouched.
    cohort = _cohort(mini_course, tmp_path, ["L001", "L002"])
    sub = cohort / "submitted" / "L001" / MODULE / "exercise.ipynb"
    nb = nbformat.read(sub, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import sys; sys.modules['math'] = None"))
    nbformat.write(nb, sub)
    _break_setup(cohort, "import math")
    got = _grade(cohort, capsys)
    assert got["L001"]["status"] == "graded" and got["L001"]["score"] is not None, got["L001"]
    assert got["L001"]["score"] < got["L001"]["max_score"], got["L001"]
    assert got["L002"]["status"] == "graded" and got["L002"]["score"] == got["L002"]["max_score"], got["L002"]
