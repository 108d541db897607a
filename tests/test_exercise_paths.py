"""Two paths through an exercise (Part A without code, Part B computing) and a check after each
question, for the exercises written that way: which items each job profile finds in each part, the
levels the parts are tagged at, a check("...") cell under every question, hints for every answer, and
check() passing the solution and failing every wrong answer."""

from __future__ import annotations

import re

import matplotlib
import nbformat
import pytest
import yaml

from coursekit import selfcheck
from coursekit.platform import competencies, learner_profile, syllabus
from coursekit.platform.grading import byvalue, question

matplotlib.use("Agg")            # the exercises draw charts in their locked cells

MODULES = ("m02_data_quality", "m06_procurement_monitoring")
# The profiles the part without code is written for; the others need Practitioner level somewhere.
COMPUTING_PROFILES = {"data_practitioner", "oversight_audit"}


def cells_of(module_id):
    return nbformat.read(syllabus.get(module_id).solution_notebook, as_version=4).cells


def ngmeta(cell):
    return cell.metadata.get("nbgrader", {})


def parts_and_levels(module_id):
    """(part, level) of every graded cell, from the headings the learner sees."""
    heads = learner_profile.headed_cells(syllabus.get(module_id).solution_notebook)
    out = []
    for cell in cells_of(module_id):
        meta = ngmeta(cell)
        if meta.get("grade"):
            label, part = heads[meta["grade_id"]]
            out.append((meta["grade_id"], label, part, cell.metadata["coursekit"]["level"]))
    return out


@pytest.mark.parametrize("module_id", MODULES)
def test_part_a_is_working_or_awareness_and_part_b_practitioner(module_id):
    rows = parts_and_levels(module_id)
    assert {part for _, _, part, _ in rows} == {"Part A", "Part B", ""}      # "" is the written answer
    for gid, label, part, level in rows:
        if part == "Part A":
            assert label.startswith("A") and level in {"awareness", "working"}, gid
        elif part == "Part B":
            assert label.startswith("B") and level == "practitioner", gid
        else:
            assert label == "written answer", gid
    # at least two computing items, each with points
    assert sum(1 for _, _, part, _ in rows if part == "Part B") >= 2


@pytest.mark.parametrize("module_id", MODULES)
def test_each_non_technical_profile_finds_its_items_in_part_a(module_id):
    served = syllabus.get(module_id).profiles
    for pid in served:
        qs = learner_profile.questions(module_id, competencies.profile(pid))
        mine = [q for q in qs if q.status == learner_profile.YOURS]
        assert mine, f"{pid} has no item of its own in {module_id}"
        if pid in COMPUTING_PROFILES:
            continue
        in_a = [q for q in mine if q.part == "Part A"]
        assert in_a, f"{pid}: none of its items is in Part A"
    practitioner = competencies.profile("data_practitioner")
    part_b = [q for q in learner_profile.questions(module_id, practitioner) if q.part == "Part B"]
    assert any(q.status == learner_profile.YOURS for q in part_b)


@pytest.mark.parametrize("module_id", MODULES)
def test_a_check_cell_follows_every_question(module_id):
    cells = cells_of(module_id)
    answers = [i for i, c in enumerate(cells) if c.cell_type == "code" and ngmeta(c).get("solution")]
    setup = next(c for c in cells if ngmeta(c).get("grade_id") == "setup")
    assert "from coursekit.selfcheck import check, hint" in setup.source
    assert setup.source.rstrip().endswith("coursekit.my_items()  # which questions are yours, by your job profile "
                                          "(coursekit profile set ...)")
    for i in answers:
        name = question.label(ngmeta(cells[i])["grade_id"])
        j = i + 1
        while j < len(cells) and ngmeta(cells[j]).get("grade"):
            j += 1
        assert j > i + 1, f"{name}: no test cell under its answer cell"
        assert cells[j].cell_type == "code" and f'check("{name}")' in cells[j].source, (
            f"{name}: the cell after its tests should be check(\"{name}\")")
        heading = next(c.source for c in reversed(cells[:i]) if c.cell_type == "markdown"
                       and re.search(r"^###? Question ", c.source, re.M))
        assert re.search(rf"^### Question {name.upper()}\b", heading, re.M), (name, heading[:60])


def namespace(module_id, replace: dict[str, str] | None = None) -> dict:
    """The kernel after the exercise's locked cells and answers (the solution's, or ``replace``'s)."""
    ns: dict = {}
    for cell in cells_of(module_id):
        meta = ngmeta(cell)
        if cell.cell_type != "code":
            continue
        if meta.get("locked") and not meta.get("grade") and meta.get("grade_id") != "check_my_answers":
            exec(cell.source, ns)
        elif meta.get("solution"):
            code = (replace or {}).get(meta["grade_id"])
            exec(code if code is not None else re.sub(r"### (BEGIN|END) SOLUTION", "", cell.source), ns)
    return ns


@pytest.fixture(autouse=True)
def close_services():
    yield
    for service in selfcheck._services.values():
        service.close()
    selfcheck._services.clear()


@pytest.mark.slow
@pytest.mark.parametrize("module_id", MODULES)
def test_check_passes_the_solution_and_fails_each_wrong_answer(module_id, learner_home):
    release = syllabus.get(module_id).exercise_notebook
    wrong = yaml.safe_load((syllabus.get(module_id).solution_notebook.parent / "wrong_answers.yml").read_text())
    right = namespace(module_id)
    for answer_id, code in wrong.items():
        name = question.label(answer_id)
        assert selfcheck.check(name, notebook=release, namespace=right).passed is True, name
        verdict = selfcheck.check(name, notebook=release, namespace=namespace(module_id, {answer_id: code}))
        assert verdict.passed is False, f"{name}: the wrong answer passed"
        assert "Traceback" not in repr(verdict)


@pytest.mark.parametrize("module_id", MODULES)
def test_hints_cover_every_answer_and_give_no_answer_away(module_id):
    folder = syllabus.get(module_id).solution_notebook.parent
    hints = yaml.safe_load((folder / "hints.yml").read_text())
    assert hints == yaml.safe_load((syllabus.get(module_id).exercise_notebook.parent / "hints.yml").read_text())
    source = nbformat.read(syllabus.get(module_id).solution_notebook, as_version=4)
    names_of = byvalue.answer_names(source)
    assert set(hints) == set(names_of)
    ns = namespace(module_id)
    for answer_id, names in names_of.items():
        ladder = hints[answer_id]
        assert 2 <= len(ladder) <= 3, answer_id
        text = " ".join(ladder).lower()
        for name in names:
            value = ns[name]
            if isinstance(value, dict):
                for key, val in value.items():     # never a case together with its answer
                    assert not (key.lower() in text and f'"{str(val).lower()}"' in text), (answer_id, key)
            elif isinstance(value, str):
                assert f'"{value.lower()}"' not in text and f"({value.lower()})" not in text, answer_id
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                assert not re.search(rf"(?<![\d.]){re.escape(f'{value:g}')}(?![\d])", text) or value in (0, 1), (
                    answer_id, name)
