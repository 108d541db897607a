"""`coursekit check` on a tiny course: the grader tells right from wrong and says why."""

import json

import nbformat
import pytest

import minicourse
from coursekit.cli import main

pytestmark = pytest.mark.slow


def _release(root):
    return root / "exercises" / minicourse.MODULE / "exercise.ipynb"


def _check_json(path, capsys, *extra):
    assert main(["check", str(path), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _write(tmp_path, name, nb):
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _copy_out(notebook, tmp_path):
    """The instructor version outside solutions/, where `coursekit check` grades it."""
    return _write(tmp_path, "instructor_version.ipynb", nbformat.read(notebook, as_version=4))


def test_release_scores_zero_and_solution_full(mini_course, learner_home, capsys, tmp_path):
    out = _check_json(_release(mini_course), capsys)
    assert out["module"] == minicourse.MODULE and out["status"] == "graded"
    assert (out["total"], out["max"]) == (0, 5)
    statuses = {q["grade_id"]: q["status"] for q in out["questions"]}
    assert statuses == {"q1": "not_attempted", "q2": "not_attempted", "w1_memo": "not_attempted"}

    out = _check_json(_copy_out(mini_course / "solutions" / minicourse.MODULE / "exercise.ipynb", tmp_path), capsys)
    assert out["total"] == out["max"] == 5
    written = [q for q in out["questions"] if q["grade_id"] == "w1_memo"][0]
    assert written["points"] is None and written["status"] == "needs_grading"


def test_wrong_answer_loses_points_with_hidden_test_message(mini_course, learner_home, capsys, tmp_path):
    nb = nbformat.read(_release(mini_course), as_version=4)
    minicourse.set_answer(nb, "q1_answer", "higher = 'b'")
    minicourse.set_answer(nb, "q2_answer", "ratio = 0.5")
    out = _check_json(_write(tmp_path, "attempt.ipynb", nb), capsys)
    by_id = {q["grade_id"]: q for q in out["questions"]}
    assert by_id["q1"]["points"] == 0 and by_id["q1"]["status"] == "failed"
    assert by_id["q1"]["message"] == "Compare the two rates again."
    assert "max(" not in by_id["q1"]["message"]          # no hidden test code in feedback
    assert by_id["q2"]["points"] == 3
    assert out["total"] == 3


def test_infinite_loop_ends_with_zero_and_time_message(mini_course, learner_home, capsys, tmp_path):
    nb = nbformat.read(_release(mini_course), as_version=4)
    minicourse.set_answer(nb, "q1_answer", "while True:\n    pass")
    minicourse.set_answer(nb, "q2_answer", "ratio = 0.5")
    out = _check_json(_write(tmp_path, "loop.ipynb", nb), capsys, "--cell-timeout", "2")
    by_id = {q["grade_id"]: q for q in out["questions"]}
    assert out["status"] == "graded"
    assert by_id["q1"]["status"] == "timed_out" and by_id["q1"]["points"] == 0
    assert "ran for more than 2 s" in by_id["q1"]["message"]
    assert by_id["q2"]["points"] == 3                   # the rest of the notebook still counts


def test_memory_hog_is_stopped_by_the_limit(mini_course, learner_home, capsys, tmp_path):
    nb = nbformat.read(_release(mini_course), as_version=4)
    minicourse.set_answer(nb, "q1_answer", "blob = bytearray(3 * 1024**3)\nhigher = 'a'")
    out = _check_json(_write(tmp_path, "hog.ipynb", nb), capsys, "--memory-mb", "1500")
    q1 = [q for q in out["questions"] if q["grade_id"] == "q1"][0]
    assert q1["points"] == 0 and "memory" in q1["message"]


def test_killed_kernel_is_a_failure_not_a_zero(mini_course, learner_home, capsys, tmp_path):
    nb = nbformat.read(_release(mini_course), as_version=4)
    minicourse.set_answer(nb, "q1_answer", "import os\nos._exit(3)")
    out = _check_json(_write(tmp_path, "exit.ipynb", nb), capsys)
    assert out["status"] == "failed" and out["reason"].startswith("kernel died")


def test_course_update_that_renames_a_question_does_not_stop_checks(mini_course, learner_home, capsys, tmp_path):
    """A learner checked before the course renamed a question: nbgrader would refuse to regenerate
    the module while the old submission refers to the old cell, so every later check failed."""
    assert _check_json(_release(mini_course), capsys)["status"] == "graded"
    solution = mini_course / "solutions" / minicourse.MODULE / "exercise.ipynb"
    nb = nbformat.read(solution, as_version=4)
    for cell in nb.cells:
        if cell.metadata["nbgrader"].get("grade_id") == "q2":
            cell.metadata["nbgrader"]["grade_id"] = "q2_ratio"
    nbformat.write(nb, solution)

    out = _check_json(_copy_out(solution, tmp_path), capsys)
    assert out["status"] == "graded" and out["total"] == out["max"] == 5
    assert {q["grade_id"] for q in out["questions"]} == {"q1", "q2_ratio", "w1_memo"}


def test_human_output_lists_each_question(mini_course, learner_home, capsys):
    assert main(["check", str(_release(mini_course))]) == 0
    text = capsys.readouterr().out
    assert "q1" in text and "q2" in text and "Autograded total: 0 / 5" in text


@pytest.mark.parametrize("content, needle", [
    (None, "no such file"),
    ("", "empty"),
    ("{not json", "not valid notebook JSON"),
    ('{"a": 1}', "not a Jupyter notebook"),
])
def test_bad_files_exit_2_with_one_line(mini_course, learner_home, capsys, tmp_path, content, needle):
    path = tmp_path / "answer.ipynb"
    if content is not None:
        path.write_text(content)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_model_answer_in_solutions_is_not_recorded_as_evidence(mini_course, learner_home, capsys, monkeypatch):
    """Checking the course's solutions/ would record full marks as the learner's own work."""
    model = mini_course / "solutions" / minicourse.MODULE / "exercise.ipynb"
    monkeypatch.chdir(mini_course)
    for path in (model, model.relative_to(mini_course), mini_course / "solutions" / "." / minicourse.MODULE / ".." /
                 minicourse.MODULE / "exercise.ipynb"):
        assert main(["check", str(path)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1
        assert "model answer (solutions/)" in err and f"exercises/{minicourse.MODULE}/exercise.ipynb" in err
    assert not learner_home.exists() or not any(learner_home.rglob("gradebook.db"))  # nothing recorded

    # The check cell's subprocess says the same, as its one JSON line.
    from coursekit.platform.grading import check
    assert check.main([str(model)]) == 2
    assert "model answer" in json.loads(capsys.readouterr().out)["error"]


def test_notebook_of_no_module_exits_2(mini_course, learner_home, capsys, tmp_path):
    nb = nbformat.read(_release(mini_course), as_version=4)
    nb.metadata["coursekit"] = {"module": "m99_unknown"}
    path = _write(tmp_path, "other.ipynb", nb)
    assert main(["check", str(path)]) == 2
    assert "belongs to no module" in capsys.readouterr().err


def test_check_from_inside_the_notebook(mini_course, learner_home, capsys, monkeypatch):
    from coursekit.selfcheck import check_this_notebook

    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    check_this_notebook()
    assert "coursekit check" in capsys.readouterr().out       # outside JupyterLab: how to check

    monkeypatch.setenv("JPY_SESSION_NAME", str(_release(mini_course)))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    check_this_notebook()
    assert capsys.readouterr().out == ""                       # while nbgrader grades: nothing

    monkeypatch.delenv("NBGRADER_EXECUTION")
    check_this_notebook()
    assert "Autograded total: 0 / 5" in capsys.readouterr().out


def test_first_module_from_the_command_line(learner_home, capsys, tmp_path):
    """The foundation's promise: the release scores 0, the instructor version full marks."""
    from coursekit.platform import syllabus

    first = syllabus.modules()[0]
    out = _check_json(first.exercise_notebook, capsys)
    assert out["status"] == "graded" and out["total"] == 0 and out["max"] >= 10
    out = _check_json(_copy_out(first.solution_notebook, tmp_path), capsys)
    assert out["total"] == out["max"] >= 10
