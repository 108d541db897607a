"""Two paths through an exercise (Part A without code, Part B computing), for m02 and m06: the levels
each part is tagged at, which items each job profile the module serves finds in each part, and a
check("a1") cell under every question, named as its heading names it. (check() on the solution and on
every wrong answer, and the hints, are tested for every exercise with hints in test_question_check.py.)"""

from __future__ import annotations

import re

import nbformat
import pytest

from coursekit.platform import competencies, learner_profile, syllabus
from coursekit.platform.grading import question

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
