"""`coursekit build`: releases are deterministic, current, tagged and leak nothing."""

import json

import nbformat
import pytest

import minicourse
from coursekit.platform.authoring import build
from coursekit.cli import main

pytestmark = pytest.mark.slow


def test_second_build_changes_no_byte(mini_course):
    release = mini_course / "exercises" / minicourse.MODULE / "exercise.ipynb"
    before = release.read_bytes()
    changed, problems = build.build()
    assert changed == [] and problems == []
    assert release.read_bytes() == before


def test_release_has_stubs_and_no_secrets(mini_course):
    text = (mini_course / "exercises" / minicourse.MODULE / "exercise.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "higher = 'a'" not in text and "max(rates" not in text
    assert "raise NotImplementedError()" in text
    assert json.loads(text)["metadata"]["coursekit"]["module"] == minicourse.MODULE


def test_check_passes_when_current(mini_course, capsys):
    assert main(["build", "--check"]) == 0


def test_check_fails_on_stale_release(mini_course, capsys):
    src = mini_course / "solutions" / minicourse.MODULE / "exercise.ipynb"
    nb = nbformat.read(src, as_version=4)
    nb.cells[0].source += "\n\nA new sentence."
    nbformat.write(nb, src)
    assert main(["build", "--check"]) == 1
    assert "stale" in capsys.readouterr().err


def test_check_fails_on_leaked_solution_line(mini_course, capsys):
    release = mini_course / "exercises" / minicourse.MODULE / "exercise.ipynb"
    nb = nbformat.read(release, as_version=4)
    nb.cells[2].source = "higher = 'a'"
    nbformat.write(nb, release)
    assert main(["build", "--check"]) == 1
    assert "leaks a solution" in capsys.readouterr().err


def test_check_fails_on_untagged_graded_cell(mini_course, capsys):
    src = mini_course / "solutions" / minicourse.MODULE / "exercise.ipynb"
    nb = nbformat.read(src, as_version=4)
    del nb.cells[3].metadata["coursekit"]
    nb.cells[5].metadata["coursekit"]["competencies"] = ["not_a_competency"]
    nbformat.write(nb, src)
    assert main(["build", "--check"]) == 1
    err = capsys.readouterr().err
    assert "'q1'" in err and "unknown competency" in err


def test_unknown_module_is_a_usage_error(mini_course, capsys):
    assert main(["build", "m42_nope"]) == 2
    assert "no module 'm42_nope'" in capsys.readouterr().err
