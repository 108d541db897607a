"""A two-question course built in a temp folder, for testing the grading machinery quickly.

The real modules are tested too (tests/test_modules.py); this one lets tests plant infinite
loops, crashes and memory hogs without waiting for a full exercise to run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.platform import notebooks

REPO = Path(__file__).resolve().parent.parent
MODULE = "m00_demo"


def _nbg(**kw):
    meta = {"schema_version": 3, "grade": False, "solution": False, "locked": False}
    meta.update(kw)
    return {"nbgrader": meta}


def _tag(*comps, level="working"):
    return {"coursekit": {"competencies": list(comps), "level": level}}


def solution_notebook():
    cells = [
        new_markdown_cell("# Demo exercise", metadata=_nbg(locked=True, grade_id="intro")),
        new_code_cell("rates = {'a': 0.10, 'b': 0.05}", metadata=_nbg(locked=True, grade_id="setup")),
        new_code_cell("# Which group has the higher rate?\n### BEGIN SOLUTION\nhigher = 'a'\n### END SOLUTION",
                      metadata=_nbg(solution=True, grade_id="q1_answer")),
        new_code_cell(
            "assert higher in rates, 'Answer with one of the group names: a or b.'\n"
            "### BEGIN HIDDEN TESTS\nassert higher == max(rates, key=rates.get), 'Compare the two rates again.'\n### END HIDDEN TESTS",
            metadata={**_nbg(grade=True, locked=True, points=2, grade_id="q1"), **_tag("fairness_testing")}),
        new_code_cell("# What is the ratio of b's rate to a's?\n### BEGIN SOLUTION\nratio = rates['b'] / rates['a']\n### END SOLUTION",
                      metadata=_nbg(solution=True, grade_id="q2_answer")),
        new_code_cell(
            "assert isinstance(ratio, float), 'The ratio should be a number such as 0.7.'\n"
            "### BEGIN HIDDEN TESTS\nassert abs(ratio - 0.5) < 1e-9, 'Divide the smaller rate by the larger one.'\n### END HIDDEN TESTS",
            metadata={**_nbg(grade=True, locked=True, points=3, grade_id="q2"), **_tag("fairness_testing", level="practitioner")}),
        new_markdown_cell("### BEGIN SOLUTION\nModel answer. Rubric: 2 points for naming the group.\n### END SOLUTION",
                          metadata={**_nbg(solution=True, grade=True, points=2, grade_id="w1_memo"), **_tag("transparency")}),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(notebooks.KERNELSPEC)
    nb.metadata["coursekit"] = {"module": MODULE}
    return nb


SYLLABUS = f"""modules:
  - id: {MODULE}
    title: Demo
    minutes: 5
    profiles: [caseworker]
    outcomes: [Compare two rates.]
    competencies: [fairness_testing]
    datasets: []
    seeds: [S3]
"""


def make(root: Path) -> Path:
    """Create the mini course at ``root`` (course config and competencies copied from the kit)."""
    (root / "course").mkdir(parents=True)
    shutil.copy(REPO / "course" / "nbgrader_config.py", root / "course")
    shutil.copy(REPO / "course" / "seeds.yml", root / "course")
    (root / "course" / "syllabus.yml").write_text(SYLLABUS)
    shutil.copytree(REPO / "competencies", root / "competencies")
    (root / "solutions" / MODULE).mkdir(parents=True)
    nbformat.write(solution_notebook(), root / "solutions" / MODULE / "exercise.ipynb")
    return root


def set_answer(nb, answer_grade_id: str, code: str | None):
    """Replace an answer cell's solution region with ``code`` (None: leave the release stub)."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == answer_grade_id:
            cell.source = code if code is not None else "raise NotImplementedError()"
            return nb
    raise KeyError(answer_grade_id)
