"""Autograde one submission with nbgrader, under time and memory limits, and read the result.

nbgrader does the grading. What this module adds:
- learner code runs in ``coursekit.platform.grading.sandbox_kernel`` (a memory limit), with a per-cell time limit,
  and the whole autograde runs in its own process group with a wall-clock limit;
- kernels talk over IPC sockets on a per-process path, so parallel graders never collide on TCP
  ports (a collision gives a silent zero in plain nbgrader);
- a status that tells a real zero from a notebook that could not be graded;
- per-question results with the feedback message a learner needs, never a hidden test's code.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from traitlets.config import Config

from coursekit.platform import nbgrader_adapter
from coursekit.platform import notebooks

KERNEL_NAME = "coursekit-sandbox"
NOTEBOOK_NAME = "exercise"


@dataclass(frozen=True)
class Limits:
    cell_timeout: int = 30      # seconds per cell; a learner's endless loop is interrupted
    notebook_timeout: int = 600  # seconds for the whole autograde of one submission
    memory_mb: int = 4096        # address-space cap for the learner's kernel

    def __post_init__(self):
        for name in ("cell_timeout", "notebook_timeout", "memory_mb"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


@dataclass
class RunResult:
    """How one autograde run ended: ``ok`` with nbgrader's log, or a reason it could not grade."""

    ok: bool
    reason: str = ""
    log: str = ""


def write_kernelspec(jupyter_dir: Path, limits: Limits) -> Path:
    """A kernelspec that starts the sandboxed kernel; put ``jupyter_dir`` on JUPYTER_PATH."""
    kdir = jupyter_dir / "kernels" / KERNEL_NAME
    kdir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "coursekit.platform.grading.sandbox_kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (coursekit grading sandbox)",
        "language": "python",
        "env": {"COURSEKIT_MEMORY_MB": str(limits.memory_mb)},
    }
    (kdir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return jupyter_dir


def grading_config(limits: Limits, ipc_path: Path) -> Config:
    c = Config()
    c.Execute.timeout = limits.cell_timeout
    c.Execute.kernel_name = KERNEL_NAME
    # Kernels on IPC sockets under an absolute per-process path (a relative one fails for every
    # kernel): parallel graders cannot race for the same TCP ports.
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = str(ipc_path)
    return c


def _worker(root: str, module_id: str, student: str, db_url: str | None, limits: dict) -> dict:
    """Runs inside the grading subprocess."""
    lim = Limits(**limits)
    scratch = Path(tempfile.mkdtemp(prefix="coursekit-kernel-"))
    os.environ["JUPYTER_PATH"] = str(write_kernelspec(scratch / "jupyter", lim))
    os.environ.setdefault("MPLBACKEND", "Agg")
    extra = grading_config(lim, scratch / "ipc" / "kernel")
    (scratch / "ipc").mkdir(exist_ok=True)
    api = nbgrader_adapter.api(Path(root), db_url, extra)
    result = api.autograde(module_id, student, force=True, create=True)
    return {"success": bool(result.get("success")), "error": result.get("error") or "", "log": result.get("log") or ""}


REASONS = {
    "unreadable": "unreadable notebook: the file is not a valid notebook; save it again from JupyterLab",
    "kernel": "kernel died: the code stopped Python itself (os._exit, a crash, or running out of memory)",
    "memory": "out of memory: the code used more than the memory limit",
    "locked": "gradebook busy: another process held the database lock for too long; grade again",
}


def _reason_from_log(text: str) -> str:
    """Turn nbgrader's log into one of the kit's failure reasons (never a silent zero)."""
    low = text.lower()
    if "deadkernelerror" in low or "kernel died" in low:
        return REASONS["kernel"]
    if "database is locked" in low:
        return REASONS["locked"]
    if "memoryerror" in low or "out of memory" in low:
        return REASONS["memory"]
    if any(k in low for k in ("notjsonerror", "does not appear to be json", "jsondecodeerror",
                               "validationerror", "unreadable", "notebook is invalid", "bad notebook")):
        return REASONS["unreadable"]
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip() and not ln.startswith(" ")]
    return (lines[-1][:200] if lines else "nbgrader could not grade it")


def run_autograde(root: Path, module_id: str, student: str, limits: Limits, db_url: str | None = None) -> RunResult:
    """Autograde ``submitted/<student>/<module_id>`` in a child process with a wall-clock limit."""
    payload = json.dumps({"root": str(root), "module_id": module_id, "student": student,
                          "db_url": db_url, "limits": asdict(limits)})
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "coursekit.platform.grading.autograde", payload],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,  # its own process group: a timeout kills the kernel too
    )
    try:
        out, err = proc.communicate(timeout=limits.notebook_timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return RunResult(False, f"timed out: the whole notebook took longer than {limits.notebook_timeout} s")
    last = out.strip().splitlines()[-1] if out.strip() else ""
    try:
        data = json.loads(last)
    except json.JSONDecodeError:
        return RunResult(False, f"grader crashed (exit {proc.returncode}): {_reason_from_log(err)}", err)
    log = data.get("log", "") + data.get("error", "")
    if not data.get("success"):
        return RunResult(False, _reason_from_log(log + err), log)
    return RunResult(True, "", log)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


# ---------------------------------------------------------------------------------------------
# Reading what nbgrader recorded

@dataclass
class QuestionResult:
    grade_id: str
    points: float | None
    max_points: float
    status: str              # passed, partial, failed, not_attempted, timed_out, error, needs_grading
    message: str
    autograded: bool = True
    competencies: list = field(default_factory=list)
    level: str | None = None

    def as_json(self) -> dict:
        return {"grade_id": self.grade_id, "points": self.points, "max_points": self.max_points,
                "status": self.status, "message": self.message}


TIMEOUT_NAMES = {"CellTimeoutError", "TimeoutError", "KeyboardInterrupt"}


def _errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _first_line(text: str) -> str:
    text = (text or "").strip()
    return text.splitlines()[0] if text else ""


def explain(answer_cell, test_cell, cell_timeout: int) -> tuple[str, str]:
    """(status, message) for a failing autograded question, from the cells' error outputs."""
    for cell in (answer_cell, test_cell):
        if cell is None:
            continue
        for err in _errors(cell):
            if err.get("ename") in TIMEOUT_NAMES:
                return "timed_out", (f"Your code ran for more than {cell_timeout} s and was stopped. "
                                     "Look for a loop that never ends, then try again.")
    if answer_cell is not None:
        for err in _errors(answer_cell):
            if err.get("ename") == "NotImplementedError":
                return "not_attempted", "Not answered yet: replace the 'YOUR ANSWER HERE' lines with your answer."
            if err.get("ename") == "MemoryError":
                return "error", ("Your answer cell used more memory than the limit allows and was stopped. "
                                 "Work on a smaller piece of the data, or avoid copying it many times.")
            detail = _first_line(err.get("evalue"))
            return "error", (f"Your answer cell stopped with {err.get('ename')}{': ' + detail if detail else ''}. "
                             "Fix that error first; the checks below it depend on it.")
    errs = _errors(test_cell) if test_cell is not None else []
    if not errs:
        return "failed", "Not yet right."
    err = errs[-1]
    ename, evalue = err.get("ename", "Error"), _first_line(err.get("evalue"))
    if ename == "AssertionError":
        return "failed", evalue or "Not yet right: a check did not pass. Re-read the question."
    if ename == "NameError":
        return "error", f"{evalue}. Did you delete or rename the answer, or skip running its cell?"
    return "error", f"{ename}: {evalue}" if evalue else ename


def question_results(graded_nb, gradebook_grades: dict, cell_timeout: int) -> list[QuestionResult]:
    """Per-question results in notebook order. ``gradebook_grades``: grade_id -> (score, max, auto)."""
    results = []
    last_answer = None
    for cell in graded_nb.cells:
        meta = notebooks.nbgrader_meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            last_answer = cell
        if not (meta.get("grade") or meta.get("task")):
            continue
        gid = meta.get("grade_id")
        score, max_score = gradebook_grades.get(gid, (None, meta.get("points", 0)))
        tag = cell.metadata.get("coursekit", {}) if isinstance(cell.metadata.get("coursekit"), dict) else {}
        common = dict(grade_id=gid, max_points=float(max_score or 0),
                      competencies=list(tag.get("competencies", [])), level=tag.get("level"))
        if cell.cell_type != "code" or meta.get("solution"):
            results.append(_written_result(cell, score, common))
            continue
        score = float(score or 0)
        if score >= float(max_score):
            status, message = "passed", "Correct."
        else:
            status, message = explain(last_answer, cell, cell_timeout)
            if score > 0 and status == "failed":
                status = "partial"
        results.append(QuestionResult(points=score, status=status, message=message, **common))
        last_answer = None if meta.get("grade") and not meta.get("solution") else last_answer
    return results


def _written_result(cell, manual_score, common) -> QuestionResult:
    """A written answer: graded by hand, so its points are pending until a trainer grades it."""
    text = notebooks.source_text(cell).strip()
    if manual_score is not None:
        status = "passed" if manual_score >= common["max_points"] else "partial"
        return QuestionResult(points=float(manual_score), status=status, autograded=False,
                              message="Graded by a trainer.", **common)
    if not text or text.startswith("YOUR ANSWER HERE"):
        return QuestionResult(points=None, status="not_attempted", autograded=False,
                              message="Not answered yet: write your answer in place of 'YOUR ANSWER HERE'.", **common)
    return QuestionResult(points=None, status="needs_grading", autograded=False,
                          message="Written answer: a trainer grades it with the rubric.", **common)


def gradebook_grades(db_url: str, module_id: str, student: str) -> dict:
    """grade_id -> (score, max score) from nbgrader's Gradebook.

    For written answers the score is the trainer's (``manual_score``) or None while ungraded;
    nbgrader's own zero for an unchanged answer is not a grade.
    """
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(db_url, course_id="coursekit") as gb:
        nb = gb.find_submission_notebook(NOTEBOOK_NAME, module_id, student)
        for g in nb.grades:
            if g.cell.cell_type == "markdown" or _is_solution_cell(g):
                out[g.name] = (g.manual_score, g.max_score)
            else:
                score = g.manual_score if g.manual_score is not None else g.auto_score
                out[g.name] = (score, g.max_score)
    return out


def _is_solution_cell(grade) -> bool:
    # A graded cell that is also a solution cell is graded by hand.
    from nbgrader.api import SolutionCell

    return grade.cell.cell_type == "markdown" or any(
        isinstance(c, SolutionCell) and c.name == grade.name for c in grade.notebook.notebook.solution_cells
    )


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    try:
        print(json.dumps(_worker(**args)))
    except Exception as exc:  # report, never hang: the parent turns this into a 'failed' status
        import traceback
        print(json.dumps({"success": False, "error": traceback.format_exc(), "log": ""}))
        sys.exit(1)
