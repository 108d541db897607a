"""Every module in the syllabus meets the definition of done, and its grader tells right from wrong.

For each module the solution, the untouched release, the solution with each one answer removed,
and the solution with the plausible wrong answers of tests/wrong_answers/<id>.yml are all graded
by nbgrader (in parallel, each with its own copy of the gradebook).
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml

import variants
from coursekit.platform.grading import autograde
from coursekit.platform import nbgrader_adapter
from coursekit.platform import notebooks
from coursekit.platform import syllabus

REPO = Path(__file__).resolve().parent.parent
MODULES = [m.id for m in syllabus.modules()]
ACTION_VERBS = {
    "analyse", "apply", "assess", "audit", "build", "calculate", "check", "choose", "classify", "compare",
    "compute", "decide", "describe", "design", "detect", "distinguish", "document", "draft", "evaluate",
    "explain", "find", "identify", "interpret", "judge", "list", "measure", "monitor", "name", "plan",
    "recognise", "recommend", "record", "review", "spot", "state", "test", "use", "write", "justify",
    "read", "run", "set", "specify", "challenge", "demand", "question", "weigh",
}


def _grade_ids(nb, pred):
    return [notebooks.nbgrader_meta(c)["grade_id"] for c in nb.cells if pred(c)]


@pytest.fixture(scope="module", params=MODULES)
def graded(request, tmp_path_factory):
    """Grade every variant of one module's exercise; returns (module, solution nb, results)."""
    module = syllabus.get(request.param)
    root = tmp_path_factory.mktemp(f"grade_{module.id}")
    shutil.copytree(module.solution_notebook.parent, root / "source" / module.id)
    assert nbgrader_adapter.api(root).generate_assignment(module.id, force=True)["success"]
    solution = nbformat.read(module.solution_notebook, as_version=4)

    subs = {"solution": solution, "release": nbformat.read(module.exercise_notebook, as_version=4)}
    for gid in [notebooks.nbgrader_meta(c)["grade_id"] for c in variants.answer_cells(solution)]:
        subs[f"without_{gid}"] = variants.replace_answer(solution, gid, variants.STUB)
    wrong_file = REPO / "tests" / "wrong_answers" / f"{module.id}.yml"
    wrong = yaml.safe_load(wrong_file.read_text()) if wrong_file.exists() else {}
    if wrong:
        nb = solution
        for gid, code in wrong.items():
            nb = variants.replace_answer(nb, gid, code)
        subs["wrong"] = nb

    def grade(student):
        folder = root / "submitted" / student / module.id
        folder.mkdir(parents=True)
        nbformat.write(subs[student], folder / "exercise.ipynb")
        db = root / f"gradebook-{student}.db"
        shutil.copy(root / "gradebook.db", db)
        run = autograde.run_autograde(root, module.id, student, autograde.Limits(cell_timeout=60), f"sqlite:///{db}")
        assert run.ok, f"{student}: {run.reason}"
        return student, autograde.gradebook_grades(f"sqlite:///{db}", module.id, student)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(grade, subs))
    return module, solution, wrong, results


def _auto_total(grades, auto_ids):
    return sum(grades[g][0] or 0 for g in auto_ids)


def test_solution_full_release_zero(graded):
    module, solution, _, results = graded
    auto = _grade_ids(solution, notebooks.is_autograded_test)
    max_points = sum(results["solution"][g][1] for g in auto)
    assert _auto_total(results["solution"], auto) == max_points, results["solution"]
    assert _auto_total(results["release"], auto) == 0, results["release"]


def test_removing_any_one_answer_lowers_the_score(graded):
    module, solution, _, results = graded
    auto = _grade_ids(solution, notebooks.is_autograded_test)
    full = _auto_total(results["solution"], auto)
    for name, grades in results.items():
        if name.startswith("without_"):
            assert _auto_total(grades, auto) < full, f"{module.id}: {name} still scores full marks"


def test_each_wrong_answer_loses_its_points(graded):
    module, solution, wrong, results = graded
    assert wrong, f"tests/wrong_answers/{module.id}.yml must give a wrong answer per question"
    answers = [notebooks.nbgrader_meta(c)["grade_id"] for c in variants.answer_cells(solution)]
    assert set(wrong) == set(answers), "one wrong answer for every answer cell"
    following = variants.tests_after(solution)
    for gid in wrong:
        lost = [t for t in following[gid] if results["wrong"][t][0] < results["wrong"][t][1]]
        assert lost, f"{module.id}: the wrong answer to {gid} still gets full marks on {following[gid]}"


def test_exercise_shape(graded):
    module, solution, _, results = graded
    auto = _grade_ids(solution, notebooks.is_autograded_test)
    written = _grade_ids(solution, lambda c: notebooks.is_graded(c) and notebooks.nbgrader_meta(c).get("solution"))
    assert len(auto) >= 6, f"{module.id}: {len(auto)} autograded questions, need at least 6"
    assert sum(results["solution"][g][1] for g in auto) >= 10
    assert written, f"{module.id}: needs a written answer graded by hand"
    for gid in written:
        cell = [c for c in solution.cells if notebooks.nbgrader_meta(c).get("grade_id") == gid][0]
        assert "rubric" in notebooks.source_text(cell).lower(), f"{gid}: the instructor version needs a rubric"


@pytest.mark.parametrize("module_id", MODULES)
def test_syllabus_entry_and_files(module_id):
    m = syllabus.get(module_id)
    assert m.title and m.minutes > 0 and m.profiles and m.competencies and m.seeds
    assert 3 <= len(m.outcomes) <= 6
    for outcome in m.outcomes:
        assert outcome.split()[0].lower() in ACTION_VERBS, f"outcome should start with an action verb: {outcome}"
    for path in (m.lesson_notebook, m.facilitator_guide, m.solution_notebook, m.exercise_notebook):
        assert path.exists(), f"missing {path.relative_to(REPO)}"
    seeds = {s["id"] for s in yaml.safe_load((REPO / "course" / "seeds.yml").read_text())["seeds"]}
    assert set(m.seeds) <= seeds
    for name in m.datasets:
        assert (REPO / "coursekit" / "datasets" / "data" / f"{name}.csv").exists(), f"unknown dataset {name}"


@pytest.mark.parametrize("module_id", MODULES)
def test_lesson_has_figures_and_sources(module_id):
    nb = nbformat.read(syllabus.get(module_id).lesson_notebook, as_version=4)
    pngs = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}))
    assert pngs >= 2, f"{module_id}: lesson has {pngs} figures, needs at least 2"
    text = "\n".join(notebooks.source_text(c) for c in nb.cells if c.cell_type == "markdown").lower()
    assert "sources" in text and "summary" in text


@pytest.mark.parametrize("module_id", MODULES)
def test_facilitator_guide_sections(module_id):
    text = syllabus.get(module_id).facilitator_guide.read_text().lower()
    for needle in ("timing", "discussion", "misconception", "model answer", "rubric"):
        assert needle in text, f"{module_id}: facilitator guide lacks {needle!r}"
