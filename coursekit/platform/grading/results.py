"""What grading found, question by question, in a form that renders itself.

:class:`QuestionResult` and :class:`CheckResult` print as the plain-text report of ``coursekit
check`` (``str``) and show as a table in a notebook (``_repr_html_``, from a Jinja2 template), as
otter-grader's results do. A :class:`Status` tells a real zero from a question that could not run.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from coursekit.platform.nbgrader_adapter import cells


class Status(str, enum.Enum):
    """How one question ended. The value is what ``--json`` prints."""

    PASSED = "passed"
    PARTIAL = "partial"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"
    TIMED_OUT = "timed_out"
    ERROR = "error"
    NEEDS_GRADING = "needs_grading"

    @property
    def words(self) -> str:
        """Plain words for a learner."""
        return _WORDS[self]

    def __str__(self) -> str:
        return self.value


_WORDS = {
    Status.PASSED: "correct",
    Status.PARTIAL: "partly right",
    Status.FAILED: "not yet",
    Status.NOT_ATTEMPTED: "not answered",
    Status.TIMED_OUT: "out of time",
    Status.ERROR: "error",
    Status.NEEDS_GRADING: "to be graded",
}


class RunStatus(str, enum.Enum):
    """How grading a whole notebook ended."""

    GRADED = "graded"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


def num(x) -> str:
    return "-" if x is None else f"{x:g}"


@dataclass
class QuestionResult:
    grade_id: str
    points: float | None
    max_points: float
    status: Status
    message: str
    autograded: bool = True
    competencies: list = field(default_factory=list)
    level: str | None = None

    def as_json(self) -> dict:
        return {"grade_id": self.grade_id, "points": self.points, "max_points": self.max_points,
                "status": self.status.value, "message": self.message, "autograded": self.autograded}


@dataclass
class CheckResult:
    """One graded notebook, as a learner sees it."""

    module: str
    title: str
    status: RunStatus
    reason: str = ""
    questions: list[QuestionResult] = field(default_factory=list)
    isolation: str = ""

    @property
    def total(self) -> float:
        return sum(q.points or 0 for q in self.questions if q.autograded)

    @property
    def max(self) -> float:
        return sum(q.max_points for q in self.questions if q.autograded)

    @property
    def written(self) -> list[QuestionResult]:
        return [q for q in self.questions if not q.autograded]

    def as_json(self) -> dict:
        out = {"module": self.module, "total": self.total, "max": self.max, "status": self.status.value,
               "questions": [q.as_json() for q in self.questions]}
        if self.reason:
            out["reason"] = self.reason
        if self.isolation:
            out["isolation"] = self.isolation
        return out

    @classmethod
    def from_json(cls, data: dict, title: str = "") -> "CheckResult":
        qs = [QuestionResult(q["grade_id"], q["points"], q["max_points"], Status(q["status"]), q["message"],
                             autograded=q.get("autograded", True))
              for q in data.get("questions", [])]
        return cls(data["module"], data.get("title", title), RunStatus(data["status"]), data.get("reason", ""), qs,
                   data.get("isolation", ""))

    def __str__(self) -> str:
        lines = [f"{self.module}: {self.title}"]
        if self.status is not RunStatus.GRADED:
            lines.append(f"  Could not grade this notebook: {self.reason}")
            lines.append("  This attempt was not graded. Fix the problem above and run the check again.")
            return "\n".join(lines)
        width = max((len(q.grade_id) for q in self.questions), default=10)
        for q in self.questions:
            lines.append(f"  {q.grade_id:<{width}}  {num(q.points):>4} / {num(q.max_points):<4} "
                         f"{q.status.words:<13} {q.message}")
        lines.append(f"  Autograded total: {num(self.total)} / {num(self.max)}")
        if self.written:
            lines.append(f"  Written answers ({len(self.written)}) are graded by a trainer. Studying alone? Once yours is "
                         f"written, compare it with the model answer in the course folder's "
                         f"modules/{self.module}/facilitator.md (kept out of your workspace so that you write yours first).")
        lines.append("  Recorded for `coursekit progress`.")
        if self.isolation == "none":
            lines.append("  (This system cannot isolate the code being checked; that is fine for your own work.)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from coursekit.platform.rendering import render

        return render("check_result.html.j2", result=self, graded=self.status is RunStatus.GRADED)


# ---------------------------------------------------------------------------------------------
# From a graded notebook and its question scores to results

TIMEOUT_NAMES = {"CellTimeoutError", "TimeoutError", "KeyboardInterrupt"}


def _errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _first_line(text: str) -> str:
    text = (text or "").strip()
    return text.splitlines()[0] if text else ""


def limit_hit(answer_cell, test_cell) -> str | None:
    """"timeout" or "memory" when learner code hit a limit in a question's cells."""
    names = {e.get("ename") for c in (answer_cell, test_cell) if c is not None for e in _errors(c)}
    if names & TIMEOUT_NAMES:
        return "timeout"
    if "MemoryError" in names:
        return "memory"
    return None


def explain(answer_cell, test_cell, cell_timeout: int) -> tuple[Status, str]:
    """(status, message) for a failing autograded question, from the cells' error outputs."""
    if limit_hit(answer_cell, test_cell) == "timeout":
        return Status.TIMED_OUT, (f"Your code ran for more than {cell_timeout} s and was stopped. "
                                  "Look for a loop that never ends, then try again.")
    if answer_cell is not None:
        for err in _errors(answer_cell):
            if err.get("ename") == "NotImplementedError":
                return Status.NOT_ATTEMPTED, "Not answered yet: replace the 'YOUR ANSWER HERE' lines with your answer."
            if err.get("ename") == "MemoryError":
                return Status.ERROR, ("Your answer cell used more memory than the limit allows and was stopped. "
                                      "Work on a smaller piece of the data, or avoid copying it many times.")
            detail = _first_line(err.get("evalue"))
            return Status.ERROR, (f"Your answer cell stopped with {err.get('ename')}{': ' + detail if detail else ''}. "
                                  "Fix that error first; the checks below it depend on it.")
    errs = _errors(test_cell) if test_cell is not None else []
    if not errs:
        return Status.FAILED, "Not yet right."
    err = errs[-1]
    ename, evalue = err.get("ename", "Error"), _first_line(err.get("evalue"))
    if ename == "AssertionError":
        return Status.FAILED, evalue or "Not yet right: a check did not pass. Re-read the question."
    if ename == "NameError":
        return Status.ERROR, f"{evalue}. Did you delete or rename the answer, or skip running its cell?"
    return Status.ERROR, f"{ename}: {evalue}" if evalue else ename


def questions_with_answers(nb):
    """(answer cell or None, graded cell) for each graded cell, in notebook order.

    A test cell's answer is the nearest answer cell above it since the previous test cell.
    """
    last_answer = None
    for cell in nb["cells"]:
        if cells.meta(cell).get("solution") and cell.get("cell_type") == "code":
            last_answer = cell
        if not cells.is_graded(cell):
            continue
        yield last_answer, cell
        if cells.is_autograded_test(cell):
            last_answer = None


def question_results(graded_nb, scores: dict, cell_timeout: int) -> list[QuestionResult]:
    """Per-question results in notebook order, from the gradebook's counted ``scores``
    (grade_id -> :class:`~coursekit.platform.nbgrader_adapter.gradebook.QuestionScore`)."""
    results = []
    for answer, cell in questions_with_answers(graded_nb):
        m = cells.meta(cell)
        gid = m.get("grade_id")
        got = scores.get(gid)
        score = got.score if got is not None else None
        max_points = float(got.max_score if got is not None else (m.get("points") or 0))
        tag = cell.get("metadata", {}).get("coursekit", {})
        tag = tag if isinstance(tag, dict) else {}
        common = dict(grade_id=gid, max_points=max_points,
                      competencies=list(tag.get("competencies", [])), level=tag.get("level"))
        if cells.is_written(cell):
            results.append(_written_result(cell, score, common))
            continue
        score = float(score or 0)
        if score >= max_points:
            status, message = Status.PASSED, "Correct."
        else:
            status, message = explain(answer, cell, cell_timeout)
            if score > 0 and status is Status.FAILED:
                status = Status.PARTIAL
        results.append(QuestionResult(points=score, status=status, message=message, **common))
    return results


def _written_result(cell, manual_score, common) -> QuestionResult:
    """A written answer: graded by hand, so its points are pending until a trainer grades it."""
    text = cells.source_text(cell).strip()
    if manual_score is not None:
        status = Status.PASSED if manual_score >= common["max_points"] else Status.PARTIAL
        return QuestionResult(points=float(manual_score), status=status, autograded=False,
                              message="Graded by a trainer.", **common)
    if not text or text.startswith("YOUR ANSWER HERE"):
        return QuestionResult(points=None, status=Status.NOT_ATTEMPTED, autograded=False,
                              message="Not answered yet: write your answer in place of 'YOUR ANSWER HERE'.", **common)
    return QuestionResult(points=None, status=Status.NEEDS_GRADING, autograded=False,
                          message="Written answer: a trainer grades it with the rubric.", **common)
