"""check("q1") and hint("q1"): one question checked at once, by the graded check's own tests and
value export, with its feedback; hints that never give the answer away; attempts recorded."""

import json
import re
import shutil
import time

import nbformat
import pytest
import yaml

import minicourse
from coursekit import selfcheck
from coursekit.platform import attempts, syllabus
from coursekit.platform.grading import check as full_check
from coursekit.platform.grading import question

pytestmark = pytest.mark.slow     # each test starts the checking process and its runner
MODULE = minicourse.MODULE
HIDDEN_TEXT = ["max(rates", "abs(ratio - 0.5)", "BEGIN HIDDEN TESTS"]


@pytest.fixture(autouse=True)
def close_services():
    yield
    for service in selfcheck._services.values():
        service.close()
    selfcheck._services.clear()


@pytest.fixture
def exercise(mini_course, learner_home):
    return mini_course / "exercises" / MODULE / "exercise.ipynb"


def answered(release, tmp_path, answers: dict[str, str]):
    """A copy of the release with the given answer cells filled in (as a learner saves it)."""
    nb = nbformat.read(release, as_version=4)
    for gid, code in answers.items():
        minicourse.set_answer(nb, gid, code)
    path = tmp_path / "mine" / "exercise.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return path


def namespace_of(answers: dict[str, str]) -> dict:
    """What the learner's kernel holds after running the setup and the answer cells."""
    ns = {}
    exec("rates = {'a': 0.10, 'b': 0.05}", ns)
    for code in answers.values():
        exec(code, ns)
    return ns


def test_right_answer_passes_and_wrong_answer_gets_the_full_checks_sentence(exercise):
    right = selfcheck.check("q1", notebook=exercise, namespace={"higher": "a"})
    assert right.passed is True and right.mode == question.HIDDEN
    assert repr(right).startswith("q1: correct")
    wrong = selfcheck.check("q1", notebook=exercise, namespace={"higher": "b"})
    assert wrong.passed is False
    assert repr(wrong) == "q1: not yet (0 / 2). Compare the two rates again."
    for text in (repr(wrong), wrong._repr_html_()):
        assert "Traceback" not in text and "AssertionError" not in text
        assert not any(h in text for h in HIDDEN_TEXT), text


@pytest.mark.parametrize("answers", [
    {"q1_answer": "higher = 'b'", "q2_answer": "ratio = rates['b'] / rates['a']"},
    {"q1_answer": "higher = 'a'", "q2_answer": "ratio = 2.0"},
    {"q1_answer": "higher = 'zz'", "q2_answer": "ratio = 1"},
])
def test_verdict_equals_the_full_checks(exercise, tmp_path, answers):
    graded = full_check.check(answered(exercise, tmp_path, answers))
    ns = namespace_of(answers)
    for q in graded.questions:
        if not q.autograded:
            continue
        instant = selfcheck.check(q.grade_id, notebook=exercise, namespace=ns)
        part = instant.parts[0]
        assert (part["grade_id"], part["points"], part["status"], part["message"]) == (
            q.grade_id, q.points, q.status.value, q.message)


def test_second_check_is_fast(exercise):
    selfcheck.check("q1", notebook=exercise, namespace={"higher": "a"})
    started = time.perf_counter()
    verdict = selfcheck.check("q2", notebook=exercise, namespace={"ratio": 0.5})
    seconds = time.perf_counter() - started
    assert verdict.passed
    print(f"second check: {seconds:.2f} s")
    assert seconds < 2.0, f"a check after the first took {seconds:.2f} s"


def test_without_solutions_the_visible_checks_run_and_say_so(exercise, mini_course):
    shutil.rmtree(mini_course / "solutions")
    syllabus._load.cache_clear()
    verdict = selfcheck.check("q1", notebook=exercise, namespace={"higher": "b"})
    # "b" passes the visible check (one of the group names); the hidden test is not there to fail it
    assert verdict.passed is True and verdict.mode == question.VISIBLE
    assert "visible checks" in repr(verdict) and question.VISIBLE_NOTE in repr(verdict)
    assert "correct" not in repr(verdict)
    assert selfcheck.check("q1", notebook=exercise, namespace={"higher": "x"}).passed is False


def test_friendly_sentences_never_a_traceback(exercise):
    unknown = selfcheck.check("q9", notebook=exercise, namespace={})
    assert unknown.passed is None
    assert repr(unknown) == ('Could not check this question: There is no question \'q9\' in this exercise: '
                             'ask for one of "q1", "q2".')
    not_plain = selfcheck.check("q1", notebook=exercise, namespace={"higher": lambda: "a"})
    assert not_plain.passed is None and "not plain data" in repr(not_plain)
    missing = selfcheck.check("q1", notebook=exercise, namespace={})
    assert missing.passed is False and "Traceback" not in repr(missing)
    outside = selfcheck.check("q1", namespace={})     # no notebook: not in JupyterLab
    assert outside.passed is None and "JupyterLab" in repr(outside)


def test_questions_are_found_by_number_label_or_test(exercise):
    for name in ("q1", 1, "q1_answer"):
        assert selfcheck.check(name, notebook=exercise, namespace={"higher": "a"}).question == "q1"


def test_attempts_are_recorded_apart_from_graded_results(exercise, learner_home):
    selfcheck.check("q1", notebook=exercise, namespace={"higher": "b"})
    selfcheck.check("q1", notebook=exercise, namespace={"higher": "a"})
    rows = attempts.read(MODULE)
    assert list(rows["kind"]) == ["check", "check"]
    assert list(rows["passed"]) == [False, True]
    assert rows["answer"].nunique() == 2
    assert "'a'" not in attempts.store().read_text()          # a digest of the answer, not the answer
    assert not (learner_home / "course" / "gradebook.db").exists()   # no graded result


def test_hint_ladder(exercise, mini_course, learner_home):
    hints = {"q1_answer": ["Look at both rates.", "Which number is larger?"]}
    (mini_course / "solutions" / MODULE / "hints.yml").write_text(yaml.safe_dump(hints))
    first = selfcheck.hint("q1", notebook=exercise)
    second = selfcheck.hint("q1", notebook=exercise)
    third = selfcheck.hint("q1", notebook=exercise)
    assert first.startswith("Hint 1 of 2 for q1: Look at both rates.")
    assert second.startswith("Hint 2 of 2 for q1: Which number is larger?") and "last hint" in second
    assert third == second
    assert selfcheck.hint("q1", 1, notebook=exercise).startswith("Hint 1 of 2")
    assert "no hint for q2 yet" in selfcheck.hint("q2", notebook=exercise)
    assert list(attempts.read(MODULE)["hint"]) == [1, 2, 2, 1]
    selfcheck.check("q1", notebook=exercise, namespace={"higher": "a"})
    assert attempts.read(MODULE)["hint"].iloc[-1] == 2          # the check knows how many hints came before


# --- the real exercises with hints (m01 is the model) ---------------------------------------------

M01 = "m01_right_tool"
WITH_HINTS = [m.id for m in syllabus.modules() if (m.solution_notebook.parent / question.HINTS_FILE).exists()]


def exercise_cells(module_id):
    return nbformat.read(syllabus.get(module_id).solution_notebook, as_version=4).cells


def exercise_namespace(module_id, replace: dict[str, str] | None = None) -> dict:
    """The kernel after running an exercise's setup cells and answers (the solution's, or ``replace``'s)."""
    ns: dict = {}
    for cell in exercise_cells(module_id):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("locked") and not meta.get("grade"):
            exec(cell.source, ns)
        elif meta.get("solution"):
            code = (replace or {}).get(meta["grade_id"])
            exec(code if code is not None else re.sub(r"### (BEGIN|END) SOLUTION", "", cell.source), ns)
    return ns


def test_m01_m03_m04_have_hints():
    assert {M01, "m03_fairness", "m04_automation_bias"} <= set(WITH_HINTS)


@pytest.mark.parametrize("module_id", WITH_HINTS)
def test_each_question_has_a_check_cell(module_id):
    source = nbformat.read(syllabus.get(module_id).solution_notebook, as_version=4)
    from coursekit.platform.grading import byvalue

    answers = list(byvalue.tests_after(source))
    asked = [re.fullmatch(r'check\("(\w+)"\)', c.source.strip().splitlines()[-1]) for c in source.cells
             if c.cell_type == "code" and not c.metadata.get("nbgrader") and "check(" in c.source]
    assert all(asked), "a check cell ends with check(\"<question>\")"

    def answer_of(name):           # as check() finds it: q3_refs_answer is "q3_refs", or "q3" when unique
        if f"{name}_answer" in answers:
            return f"{name}_answer"
        found = [a for a in answers if re.match(rf"{re.escape(name)}(_|$)", a)]
        assert len(found) == 1, name
        return found[0]

    assert sorted(answer_of(m.group(1)) for m in asked) == sorted(answers)
    setup = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    assert "from coursekit.selfcheck import check, hint" in setup.source


@pytest.mark.parametrize("module_id", WITH_HINTS)
def test_solution_passes_and_each_wrong_answer_fails(learner_home, module_id):
    release = syllabus.get(module_id).exercise_notebook
    wrong = yaml.safe_load((syllabus.get(module_id).solution_notebook.parent / "wrong_answers.yml").read_text())
    right = exercise_namespace(module_id)
    for answer_id, code in wrong.items():
        name = question.label(answer_id)
        assert selfcheck.check(name, notebook=release, namespace=right).passed is True, name
        verdict = selfcheck.check(name, notebook=release, namespace=exercise_namespace(module_id, {answer_id: code}))
        assert verdict.passed is False, f"{name}: the wrong answer passed"
        assert "Traceback" not in repr(verdict)


@pytest.mark.parametrize("module_id", WITH_HINTS)
def test_hints_cover_every_question_and_give_no_answer_away(module_id):
    folder = syllabus.get(module_id).solution_notebook.parent
    hints = yaml.safe_load((folder / "hints.yml").read_text())
    assert hints == yaml.safe_load((syllabus.get(module_id).exercise_notebook.parent / "hints.yml").read_text())
    answers = [c.metadata["nbgrader"]["grade_id"] for c in exercise_cells(module_id)
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    assert set(hints) == set(answers)
    ns = exercise_namespace(module_id)
    from coursekit.platform.grading import byvalue

    source = nbformat.read(syllabus.get(module_id).solution_notebook, as_version=4)
    for answer_id, names in byvalue.answer_names(source).items():
        ladder = hints[answer_id]
        assert len(ladder) >= 2, answer_id
        text = " ".join(ladder).lower()
        for name in names:
            value = ns[name]
            if isinstance(value, dict):
                for key, val in value.items():     # never a case together with its answer
                    assert not (key.lower() in text and f'"{str(val).lower()}"' in text), (answer_id, key)
            elif isinstance(value, (list, tuple, set)):
                # a member named anywhere gives it away (choice letters are too short to look for)
                assert not [v for v in value if len(str(v)) > 2 and str(v).lower() in text], (answer_id, value)
                assert not [v for v in value if f'"{str(v).lower()}"' in text], (answer_id, value)
            else:
                assert f'"{str(value).lower()}"' not in text and f"({str(value).lower()})" not in text, answer_id


def test_outside_jupyterlab_the_message_names_the_question_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                       # no exercise notebook to be found from here
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert "check('a3') works in an exercise" in selfcheck.check("a3").text
    assert str(selfcheck.hint("b2")).startswith("hint('b2') works in an exercise")
