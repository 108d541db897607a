"""``coursekit cohort feedback``: HTML feedback per learner, with nothing of the hidden tests.

nbgrader's feedback shows hidden tests unless told otherwise (issue #917); the shared config
strips their source with ClearHiddenTests. That is not enough: a failing hidden assert leaves a
traceback in the graded notebook, and an IPython traceback quotes the lines around the failure,
hidden ones included. ``StripTestTracebacks`` replaces the traceback of every error in a test cell
by its last line (``AssertionError: <the test's message>``), which is what a learner needs and
what the authoring rules keep free of answers. Every HTML file is then checked for the hidden
markers and for any line of hidden-test code; a file that fails the check is deleted and reported,
never handed out.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool
from traitlets.config import Config

from coursekit.platform import notebooks
from coursekit.platform.cohort.folder import NOTEBOOK, Cohort
from coursekit.platform.nbgrader_adapter import cells
from coursekit.platform.nbgrader_adapter.config import failure_line
from coursekit.errors import UsageError

class StripTestTracebacks(Preprocessor):
    """In test cells, keep an error's name and message and drop its traceback."""

    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        if cells.is_autograded_test(cell):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    evalue = (out.get("evalue") or "").strip()
                    first = evalue.splitlines()[0] if evalue else ""
                    out["evalue"] = first
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {first}" if first else out.get("ename", "Error")]
        return cell, resources


def hidden_test_lines(source_nb, markers: cells.Markers) -> set[str]:
    """Code lines of the hidden tests that appear nowhere else in the source notebook."""
    return cells.secret_lines(source_nb, (markers.hidden_tests,),
                              keep=lambda s: len(s) >= 8 and not s.startswith("#"))


def visible_text(page: str) -> str:
    """The text of an HTML page as a reader would see it, whitespace collapsed."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return " ".join(text.split())


def leaks(page: str, secret_lines: set[str], markers: cells.Markers) -> list[str]:
    """What of the hidden tests an HTML feedback page shows (empty when it shows nothing)."""
    found = []
    raw = html.unescape(page)
    text = visible_text(page)
    for marker in markers.hidden_tests:
        if marker in raw:
            found.append(f"the marker {marker!r}")
    for line in sorted(secret_lines):
        if line in text:
            found.append(f"hidden test code {line[:60]!r}")
    return found


@dataclass
class FeedbackReport:
    module: str
    root: Path
    written: list[str] = field(default_factory=list)
    withheld: list[tuple[str, str]] = field(default_factory=list)
    exchange: str | None = None


def _current(cohort: Cohort, module_id: str, candidates: list[str], report: FeedbackReport):
    """Learners whose graded notebook is the grade in the gradebook for their current upload.

    A page is made only for them: after a new upload that failed to grade, or a batch killed
    between grading a notebook and saving its grade, the graded notebook and the gradebook would
    tell different stories. Older pages of the others are removed, so none is sent by mistake.
    """
    from coursekit.platform.cohort.folder import sha256_file
    from coursekit.platform.cohort.grade import FAILED, GRADED, Records

    records = Records(cohort, module_id)
    with cohort.gradebook() as gb:
        try:
            in_gb = {s.student.id for s in gb.assignment_submissions(module_id)}
        except Exception:
            in_gb = set()
    ok, excluded = [], []
    for learner in candidates:
        rec = records.get(learner) or {}
        sub = cohort.submitted_dir(learner, module_id) / f"{NOTEBOOK}.ipynb"
        current = rec.get("status") == GRADED.value and sub.exists() and sha256_file(sub) == rec.get("sha256")
        if current and learner in in_gb:
            ok.append(learner)
            continue
        excluded.append(learner)
        why = (f"its last grading failed ({rec.get('reason')})" if rec.get("status") == FAILED.value
               else "its current upload is not graded yet; run grade first")
        report.withheld.append((learner, why))
        stale = cohort.feedback_dir(learner, module_id) / f"{NOTEBOOK}.html"
        stale.unlink(missing_ok=True)
    return ok, excluded


def feedback(cohort: Cohort, module_id: str) -> FeedbackReport:
    cohort.require_module(module_id)
    report = FeedbackReport(module_id, cohort.root / "feedback")
    with cohort.lock("feedback"):
        candidates = sorted(p.parent.parent.name for p in
                            (cohort.root / "autograded").glob(f"*/{module_id}/{NOTEBOOK}.ipynb"))
        if not candidates:
            raise UsageError(f"nothing graded yet for {module_id}; run `coursekit cohort grade {module_id}` first")
        learners, excluded = _current(cohort, module_id, candidates, report)
        if not learners:
            raise UsageError(f"no learner has a current grade for {module_id}; run `coursekit cohort grade {module_id}`")
        cfg = cohort.config()
        pps = list(cfg.GenerateFeedback.get("preprocessors", [])) or [
            "nbgrader.preprocessors.GetGrades", "nbgrader.preprocessors.ClearHiddenTests",
            "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
        names = [p if isinstance(p, str) else f"{p.__module__}.{p.__name__}" for p in pps]
        if not any(n.endswith("ClearHiddenTests") for n in names):
            pps.insert(1, "nbgrader.preprocessors.ClearHiddenTests")
        pps.insert(len(pps) - 1 if names and names[-1].endswith("CSSHTMLHeaderPreprocessor") else len(pps),
                   "coursekit.platform.cohort.feedback.StripTestTracebacks")
        extra = Config()
        extra.GenerateFeedback.preprocessors = pps
        if excluded:
            extra.CourseDirectory.student_id_exclude = ",".join(excluded)
        api = cohort.api(extra=extra)
        result = api.generate_feedback(module_id, student_id=None, force=True)
        if not result.get("success"):
            raise UsageError(f"nbgrader could not generate feedback for {module_id}: {failure_line(result)}")

        markers = cells.markers(cfg)
        secrets = hidden_test_lines(notebooks.read(cohort.source_notebook(module_id)), markers)
        for learner in learners:
            out = cohort.feedback_dir(learner, module_id) / f"{NOTEBOOK}.html"
            if not out.exists():
                report.withheld.append((learner, "nbgrader wrote no feedback (is the learner in the gradebook?)"))
                continue
            found = leaks(out.read_text(encoding="utf-8", errors="replace"), secrets, markers)
            if found:
                out.unlink()
                report.withheld.append((learner, "the page would show " + ", ".join(found[:3])))
            else:
                report.written.append(learner)
        if cohort.exchange_root:
            for learner in report.written:  # only pages that passed the check
                res = api.release_feedback(module_id, student_id=learner)
                if res is not None and not res.get("success"):
                    raise UsageError(f"feedback is in {report.root}, but releasing it to the exchange failed: "
                                     f"{failure_line(res)}")
            report.exchange = cohort.exchange_root
    return report
