"""Every module in the syllabus meets the definition of done.

The rules are those of `coursekit build --check` (coursekit.platform.authoring.lint); these tests
call the same functions, one test per module and rule. The grading rules grade the solution, the
untouched release, the solution with each one answer removed, and the solution with the plausible
wrong answers of solutions/<id>/wrong_answers.yml with nbgrader (about a minute per module).
"""

from __future__ import annotations

import pytest

from coursekit.platform import syllabus
from coursekit.platform.authoring import lint

MODULES = [m.id for m in syllabus.modules()]


def _explain(findings) -> str:
    return "\n".join(str(f) for f in findings)


@pytest.mark.parametrize("rule", lint.STATIC_RULES)
@pytest.mark.parametrize("module_id", MODULES)
def test_static_rule(module_id, rule):
    findings = [f for f in lint.static_findings(syllabus.get(module_id)) if f.rule == rule]
    assert not findings, _explain(findings)


@pytest.mark.long
@pytest.mark.parametrize("module_id", MODULES)
def test_grading_rules(module_id):
    """One test per module, so that each module is graded once, in whichever test process runs it
    (a fixture shared by several tests would be set up again in each process)."""
    graded = lint.grade_variants(syllabus.get(module_id))
    names = {"solution", "release", "wrong"} | {f"without_{lint.grade_id(c)}" for c in lint.answer_cells(graded.solution)}
    findings = [f for f in lint.grading_findings(graded) if f.rule in lint.GRADING_RULES]
    assert not findings, _explain(findings)
    assert set(graded.results) == names, graded.failed


@pytest.mark.parametrize("module_id", MODULES)
def test_no_answer_in_lesson_beyond_the_waivers(module_id):
    report = lint.apply_waivers(lint.answers_in_lesson(syllabus.get(module_id)), lint.load_waivers(),
                                [module_id], {"answer-in-lesson"})
    assert report.ok, _explain(report.findings)
