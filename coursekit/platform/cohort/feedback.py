"""``coursekit cohort feedback``: an HTML page per learner, with nothing of the hidden tests.

The kit writes the page itself (``templates/feedback.html.j2``) rather than converting the graded
notebook, because a graded notebook holds things a learner must not get: the test cells' code and
outputs, which learner code could fill with anything it read, and tracebacks that quote hidden
lines. A page holds:

- the exercise's text (its markdown cells, from the course's source);
- the learner's own answer cells and the cells they added, with their outputs, shown as text
  (learner HTML is never rendered; images are);
- per question, the points and the kit's feedback message (:mod:`coursekit.platform.grading.results`:
  the visible check's or the hidden test's assert message, which the authoring rules keep free of
  answers);
- written answers as the learner wrote them, with "awaiting a trainer" until graded by hand, then
  the points and the trainer's comment.

Each page is rendered in memory and checked before it is written: the parts that come from the
course (texts and messages) must hold no hidden-test marker and no line of hidden-test code. What
the learner wrote is theirs and is not searched for markers (a learner who writes
``BEGIN HIDDEN TESTS`` in a comment withholds nobody's feedback). One learner's page failing never
stops the others; no unchecked page is ever written to ``feedback/``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.platform import fileio, notebooks
from coursekit.platform.cohort.folder import NOTEBOOK, Cohort
from coursekit.platform.nbgrader_adapter import cells
from coursekit.platform.nbgrader_adapter.config import failure_line
from coursekit.errors import UsageError

#: Characters of one output shown on a page; the rest is cut (a learner's print can be huge).
MAX_OUTPUT_CHARS = 20_000


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


def _output_parts(out: dict) -> dict:
    """One output of a learner's cell as text or a PNG (learner HTML is never rendered)."""
    kind = out.get("output_type")
    part = {"text": "", "png": "", "error": False}
    if kind == "stream":
        return dict(part, text=str(out.get("text", ""))[:MAX_OUTPUT_CHARS])
    if kind == "error":
        return dict(part, text=f"{out.get('ename', 'Error')}: {str(out.get('evalue', ''))[:2000]}", error=True)
    data = out.get("data") or {}
    png = data.get("image/png")
    if isinstance(png, str) and len(png) < 4_000_000 and re.fullmatch(r"[A-Za-z0-9+/=\s]+", png or "x"):
        return dict(part, png="".join(png.split()))
    text = data.get("text/plain", "")
    return dict(part, text=("".join(text) if isinstance(text, list) else str(text))[:MAX_OUTPUT_CHARS])


def _markdown(text: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


def page_parts(graded_nb, source_nb, results: dict, comments: dict[str, str]) -> list[dict]:
    """The blocks of a learner's page, in the notebook's order (see the module docstring)."""
    src_md = {cells.grade_id(c): cells.source_text(c) for c in source_nb["cells"] if cells.grade_id(c)}
    src_ids = {cells.grade_id(c) for c in source_nb["cells"] if cells.grade_id(c)}
    blocks: list[dict] = []
    for cell in graded_nb["cells"]:
        gid = cells.grade_id(cell)
        kind = cell.get("cell_type")
        if cells.is_autograded_test(cell):
            q = results.get(gid)
            if q is not None:
                blocks.append({"kind": "result", "q": q, "comment": comments.get(gid, "")})
            continue
        if cells.is_written(cell):
            q = results.get(gid)
            blocks.append({"kind": "written", "text": cells.source_text(cell), "q": q,
                           "comment": comments.get(gid, "")})
            continue
        if kind == "markdown":
            # Only the course's own texts are rendered as HTML; a learner's markdown is shown as text.
            if gid in src_ids or not gid and _is_source_markdown(cell, source_nb):
                blocks.append({"kind": "text", "html": _markdown(src_md.get(gid) or cells.source_text(cell))})
            else:
                blocks.append({"kind": "learner_text", "text": cells.source_text(cell)})
            continue
        if kind == "code":
            if cells.meta(cell).get("locked"):
                continue           # setup cells: the learner has them; their outputs add nothing
            blocks.append({"kind": "code", "code": cells.source_text(cell),
                           "outputs": [_output_parts(o) for o in cell.get("outputs", []) if isinstance(o, dict)]})
    return blocks


def _is_source_markdown(cell, source_nb) -> bool:
    text = cells.source_text(cell)
    return any(c.get("cell_type") == "markdown" and cells.source_text(c) == text for c in source_nb["cells"])


def course_text_of(blocks: list[dict]) -> str:
    """What on a page comes from the course (texts, messages): the part checked for leaks."""
    parts = []
    for b in blocks:
        if b["kind"] == "text":
            parts.append(b["html"])
        elif b["kind"] in ("result", "written") and b.get("q") is not None:
            parts.append(html.escape(b["q"].message))
    return "\n".join(parts)


def build_page(cohort: Cohort, module_id: str, learner: str, source_nb, gb, secrets, markers, cell_timeout) -> str:
    """A learner's checked page (raises ValueError with the reason when it cannot be handed out)."""
    from coursekit.platform.grading.results import question_results
    from coursekit.platform.nbgrader_adapter import gradebook as nbgb
    from coursekit.platform.rendering import render

    graded = notebooks.read(cohort.autograded_notebook(learner, module_id))
    scores = nbgb.question_scores(gb, module_id, learner)
    results = {q.grade_id: q for q in question_results(graded, scores, cell_timeout)}
    comments = nbgb.manual_comments(gb, module_id, learner)
    blocks = page_parts(graded, source_nb, results, comments)
    found = leaks(course_text_of(blocks), secrets, markers)
    if found:
        raise ValueError("the page would show " + ", ".join(found[:3]))
    autograded = [q for q in results.values() if q.autograded]
    return render("feedback.html.j2", module=cohort.module_title(module_id), module_id=module_id,
                  blocks=blocks, total=sum(q.points or 0 for q in autograded),
                  max=sum(q.max_points for q in autograded),
                  pending=[q for q in results.values() if not q.autograded and q.points is None])


def feedback(cohort: Cohort, module_id: str) -> FeedbackReport:
    from coursekit.platform.grading import limits as limits_mod

    cohort.require_module(module_id)
    report = FeedbackReport(module_id, cohort.root / "feedback")
    with cohort.lock("feedback"):
        candidates = sorted(p.parent.parent.name for p in
                            (cohort.root / "autograded").glob(f"*/{module_id}/{NOTEBOOK}.ipynb"))
        if not candidates:
            raise UsageError(f"nothing graded yet for {module_id}; run `coursekit cohort grade {module_id}` first")
        learners, _ = _current(cohort, module_id, candidates, report)
        if not learners:
            raise UsageError(f"no learner has a current grade for {module_id}; run `coursekit cohort grade {module_id}`")
        cfg = cohort.config()
        markers = cells.markers(cfg)
        source_nb = notebooks.read(cohort.source_notebook(module_id))
        secrets = hidden_test_lines(source_nb, markers)
        cell_timeout = limits_mod.resolve(cfg).cell_timeout
        with cohort.gradebook() as gb:
            for learner in learners:
                out = cohort.feedback_dir(learner, module_id) / f"{NOTEBOOK}.html"
                try:
                    page = build_page(cohort, module_id, learner, source_nb, gb, secrets, markers, cell_timeout)
                except Exception as exc:     # one learner's page never stops the others
                    out.unlink(missing_ok=True)
                    why = str(exc) if isinstance(exc, ValueError) else f"{exc.__class__.__name__}: {exc}"
                    report.withheld.append((learner, why[:300]))
                    continue
                fileio.atomic_write_text(out, page)
                # nbgrader's exchange files a page under the submission's time and secret, as its own
                # feedback does (the secret is how the learner's fetch finds their page).
                for name in ("timestamp.txt", "submission_secret.txt"):
                    src = cohort.autograded_notebook(learner, module_id).parent / name
                    if src.is_file() and not src.is_symlink():
                        fileio.atomic_copy(src, out.parent / name)
                report.written.append(learner)
        if cohort.exchange_root:
            api = cohort.api()
            for learner in report.written:  # only pages that passed the check
                res = api.release_feedback(module_id, student_id=learner)
                if res is not None and not res.get("success"):
                    raise UsageError(f"feedback is in {report.root}, but releasing it to the exchange failed: "
                                     f"{failure_line(res)}")
            report.exchange = cohort.exchange_root
    return report
