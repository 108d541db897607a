"""`coursekit build`: releases are deterministic, current, tagged and leak nothing; `build --check`
fails on a module that breaks the definition of done, and passes on the course."""

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell

import minicourse
from coursekit.platform import competencies
from coursekit.platform import syllabus
from coursekit.platform.authoring import build
from coursekit.platform.authoring import lint
from coursekit.cli import main

REPO = Path(__file__).resolve().parent.parent

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


def test_release_checks_pass_when_current(mini_course):
    # The mini course is too small for the definition of done; its release is current and leak-free.
    assert build.build(check=True)[1] == []


def test_check_fails_on_stale_release(mini_course, capsys):
    src = mini_course / "solutions" / minicourse.MODULE / "exercise.ipynb"
    nb = nbformat.read(src, as_version=4)
    nb.cells[0].source += "\n\nA new sentence."
    nbformat.write(nb, src)
    assert main(["build", "--check", "--fast"]) == 1
    assert "stale" in capsys.readouterr().err


def test_check_fails_on_leaked_solution_line(mini_course, capsys):
    release = mini_course / "exercises" / minicourse.MODULE / "exercise.ipynb"
    nb = nbformat.read(release, as_version=4)
    nb.cells[2].source = "higher = 'a'"
    nbformat.write(nb, release)
    assert main(["build", "--check", "--fast"]) == 1
    assert "leaks a solution" in capsys.readouterr().err


def test_check_fails_on_untagged_graded_cell(mini_course, capsys):
    src = mini_course / "solutions" / minicourse.MODULE / "exercise.ipynb"
    nb = nbformat.read(src, as_version=4)
    del nb.cells[3].metadata["coursekit"]
    nb.cells[5].metadata["coursekit"]["competencies"] = ["not_a_competency"]
    nbformat.write(nb, src)
    assert main(["build", "--check", "--fast"]) == 1
    err = capsys.readouterr().err
    assert "'q1'" in err and "unknown competency" in err


def test_unknown_module_is_a_usage_error(mini_course, capsys):
    assert main(["build", "m42_nope"]) == 2
    assert "no module 'm42_nope'" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# The definition of done (coursekit.platform.authoring.lint)

def _clear_caches():
    syllabus._load.cache_clear()
    competencies._load.cache_clear()


@pytest.fixture
def course_copy(tmp_path, monkeypatch):
    """A copy of the real course as COURSEKIT_ROOT, to break one module in."""
    root = tmp_path / "course_copy"
    for name in ("course", "competencies", "modules", "solutions", "exercises"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    monkeypatch.setenv("COURSEKIT_ROOT", str(root))
    _clear_caches()
    yield root
    _clear_caches()


M = "m01_right_tool"


def _edit_solution(root, change):
    path = root / "solutions" / M / "exercise.ipynb"
    nb = nbformat.read(path, as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    change(cells)
    nbformat.write(nb, path)


def _no_points(cells):
    for gid in ("q2_1", "q2_2", "q2_3", "q2_4", "q3_refs_1", "q3_refs_2", "q3_refs_3", "q6_1", "q6_2", "q6_3"):
        cells[gid].metadata["nbgrader"]["points"] = 0


def _no_tag(cells):
    del cells["q3_refs_1"].metadata["coursekit"]


def _no_rubric(cells):
    w = cells["w1_minister_advice"]
    w.source = re.sub(r"\*\*Rubric.*?(?=### END SOLUTION)", "", w.source, flags=re.S)


def _outcome_without_verb(root):
    path = root / "course" / "syllabus.yml"
    path.write_text(path.read_text().replace("- Apply the five questions", "- The five questions"))


def _answer_in_lesson(root):
    path = root / "modules" / M / "lesson.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_markdown_cell("In the register, the exemption claims of fraud_risk_ranker, cv_screener, "
                                      "reoffending_scorer and dropout_predictor do not hold."))
    nbformat.write(nb, path)


def _hint_with_the_answer(root):
    path = root / "solutions" / M / "hints.yml"
    hints = yaml.safe_load(path.read_text())
    hints["q1_answer"][1] = 'Write scraping_point = "e" in the cell.'
    path.write_text(yaml.safe_dump(hints))


def _long_code_open(root):
    """m01's first long code cell unfolded, without its summary line, after a code cell."""
    path = root / "modules" / M / "lesson.ipynb"
    nb = nbformat.read(path, as_version=4)
    i = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and lint.code_lines(c) > lint.LONG_CODE_LINES)
    cell = nb.cells[i]
    cell.metadata["jupyter"]["source_hidden"] = False
    cell.source = cell.source.split("\n", 1)[1]            # the summary comment gone
    nb.cells[i - 1] = new_code_cell("pass")
    nbformat.write(nb, path)
    return i


BREAKS = {
    "points": (lambda root: _edit_solution(root, _no_points), "points; make them worth at least 10"),
    "tag": (lambda root: _edit_solution(root, _no_tag), "graded cell 'q3_refs_1': no 'coursekit' metadata"),
    "rubric": (lambda root: _edit_solution(root, _no_rubric), "written answer 'w1_minister_advice' has no rubric"),
    "outcome": (_outcome_without_verb, "the outcome 'The five questions"),
    "answer_in_lesson": (_answer_in_lesson, "answer invalid_claims of q7_answer"),
    "hint": (_hint_with_the_answer, "hint 2 of 'q1_answer' gives a line of the solution away"),
    "long_code": (_long_code_open, "is longer than 8 lines and shown open"),
}


def test_check_passes_on_the_course(monkeypatch, capsys):
    monkeypatch.delenv("COURSEKIT_ROOT", raising=False)
    monkeypatch.chdir(REPO)
    _clear_caches()
    assert main(["build", "--check", "--fast"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    waived = [line for line in out.splitlines() if line.startswith("waived: ")]
    assert len(waived) == len(lint.load_waivers())
    assert "every module meets the definition of done" in out


@pytest.mark.parametrize("broken", sorted(BREAKS))
def test_check_fails_on_a_broken_module(course_copy, capsys, broken):
    breaks, expected = BREAKS[broken]
    breaks(course_copy)
    _clear_caches()
    assert main(["build", "--check", "--fast", M]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if expected in line]
    assert lines and all(line.startswith(f"{M}: ") for line in lines), err


def test_a_wrong_answer_with_full_marks_fails(course_copy):
    path = course_copy / "solutions" / M / "wrong_answers.yml"
    wrong = yaml.safe_load(path.read_text())
    wrong["q1_answer"] = 'scraping_point = "e"\n'        # the right answer, filed as a wrong one
    path.write_text(yaml.safe_dump(wrong))
    module = syllabus.get(M)
    findings = lint.grading_findings(lint.grade_variants(module, only=["solution", "wrong"]))
    assert [(f.rule, f.module) for f in findings] == [("wrong-answer", M)], findings
    assert "the wrong answer to q1_answer" in findings[0].message


def test_wrong_answers_are_never_released(course_copy):
    module = syllabus.get(M)
    assert lint.WRONG_ANSWERS_FILE not in build.generate_release(module)
    assert lint.wrong_answer_findings(module, nbformat.read(module.solution_notebook, as_version=4)) == []
    shutil.copy(course_copy / "solutions" / M / "wrong_answers.yml", course_copy / "exercises" / M)
    found = lint.wrong_answer_findings(module, nbformat.read(module.solution_notebook, as_version=4))
    assert any("gives the wrong answers away" in f.message for f in found)


def test_missing_wrong_answer_is_reported(course_copy):
    path = course_copy / "solutions" / M / "wrong_answers.yml"
    wrong = yaml.safe_load(path.read_text())
    del wrong["q4_answer"]
    path.write_text(yaml.safe_dump(wrong))
    module = syllabus.get(M)
    found = lint.wrong_answer_findings(module, nbformat.read(module.solution_notebook, as_version=4))
    assert [f.rule for f in found] == ["wrong-answers"] and "no wrong answer for q4_answer" in found[0].message


# The answers-in-the-lesson matcher, on its own

def _blocks(*texts):
    return [lint.Block(f"lesson cell {i}", t) for i, t in enumerate(texts, start=1)]


@pytest.mark.parametrize("value, text, tol, found", [
    (0.1953, "all investigated   1490   19.5%", 5e-4, True),
    (1.678, "dual_national   1.78   1.68", 5e-3, True),
    (0.4452, "the share was 0.4460 in the pilot", 0.006, True),       # within 0.5 % and the test's tolerance
    (0.01676, "0  BC-000001  female  0.0171", 5e-4, False),          # a risk score that the tolerance would accept
    (0.3487, "about 35 per cent", None, True),
    (0.3487, "about 34 per cent", None, False),
    (5, "5 of the 8 proposals", None, False),                        # one significant digit
    (0.3, "a ratio of 0.3", None, False),
    (2024.0, "the Act of 2024", None, False),                        # a year
    (557, "it spared 557 innocent people", None, True),
    (557, "it spared 556 innocent people", None, False),
    (["CW03", "CW13"], "CW03 and CW13 agree with every recommendation", None, True),
    (["CW03", "CW13"], "CW03 agrees with every recommendation", None, False),
    ({"citizen": 0.0359, "dual_national": 0.0638}, "citizen 3.6%\ndual_national 6.4%", 5e-4, True),
    ({"citizen": 0.0359, "dual_national": 0.0638}, "citizen 3.6%\nnon_citizen 5.1%", 5e-4, False),
    ({"fits": 0.6066, "against": 0.4894}, "followed when it fits: 60.7%; when it does not: 48.9%", 0.006, True),
    ({"invoice_checker": "minimal", "tax_assistant": "transparency"},
     "minimal risk and transparency duties are explained above", None, False),
    ({"invoice_checker": "minimal", "tax_assistant": "transparency"},
     "| invoice_checker | minimal |\n| tax_assistant | transparency |", None, True),
    ({"a": "C", "b": "A"}, "(a) C and (b) A", None, False),            # choice letters are exempt
    (["Art. 5(1)(g)", "Annex III 5(a)"], "Art. 5(1)(g) and Annex III 5(a)", None, False),   # citations
    ([True, False], "True False", None, False),
])
def test_find_in_lesson(value, text, tol, found):
    assert bool(lint.find_in_lesson(value, _blocks(text), tol)) is found


def test_list_members_must_be_in_one_block():
    assert lint.find_in_lesson(["QC4", "QE3"], _blocks("QC4 is high", "QE3 is high"), None) is None


def test_hidden_test_tolerance_is_read():
    nb = nbformat.read(REPO / "solutions" / "m03_fairness" / "exercise.ipynb", as_version=4)
    tols = lint.hidden_test_tolerances(nb)
    assert tols["b1_answer"] == 5e-5 and tols["b2_answer"] == 5e-3 and tols["a2_answer"] is None


def test_waivers_only_for_the_lesson_rule_and_never_stale():
    leak = lint.Finding("m9", "answer-in-lesson", "m9 leaks", item="q1_answer.x")
    short = lint.Finding("m9", "shape", "too few points")
    waivers = [lint.Waiver("m9", "answer-in-lesson", "q1_answer.x", "being reworked"),
               lint.Waiver("m9", "shape", "", "no"),
               lint.Waiver("m9", "answer-in-lesson", "q2_answer.y", "fixed already")]
    report = lint.apply_waivers([leak, short], waivers, ["m9"], set(lint.RULES))
    assert [f for f, _ in report.waived] == [leak]
    messages = [f.message for f in report.findings]
    assert "too few points" in messages
    assert any("only answer-in-lesson can be waived" in m for m in messages)
    assert any("q2_answer.y, which no longer happens" in m for m in messages)


# Long code cells in a lesson (rule long-code): folded, with a summary line and a markdown cell before

@pytest.mark.parametrize("module_id", [m.id for m in syllabus.modules()])
def test_every_lesson_folds_its_long_code_cells(module_id):
    assert lint.long_code_findings(syllabus.get(module_id)) == []


def test_long_code_rule_names_the_cell_and_each_thing_missing(course_copy):
    i = _long_code_open(course_copy)
    _clear_caches()
    found = lint.long_code_findings(syllabus.get(M))
    assert {f.rule for f in found} == {"long-code"} and {f.module for f in found} == {M}
    assert all(f.message.startswith(f"lesson cell {i} (") for f in found), found
    said = " ".join(f.message for f in found)
    assert "shown open" in said and "one-line summary" in said and "no markdown cell just before it" in said


def test_a_short_cell_or_a_folded_one_with_its_summary_passes(course_copy):
    path = course_copy / "modules" / M / "lesson.ipynb"
    nb = nbformat.read(path, as_version=4)
    long_cell = "# Builds a table of the numbers one to nine, one per line.\n" + "\n".join(f"n{k} = {k}" for k in range(9))
    nb.cells += [new_markdown_cell("A short cell stays open."), new_code_cell("\n".join(f"n{k} = {k}" for k in range(8))),
                 new_markdown_cell("*The folded cell below builds a table.*"),
                 new_code_cell(long_cell, metadata={"jupyter": {"source_hidden": True}})]
    nbformat.write(nb, path)
    _clear_caches()
    assert lint.long_code_findings(syllabus.get(M)) == []
    nb.cells[-1].metadata["jupyter"]["source_hidden"] = False                # the same cell, open: fails
    nbformat.write(nb, path)
    assert [f.rule for f in lint.long_code_findings(syllabus.get(M))] == ["long-code"]
