"""Autograde one submission: learner code sandboxed, tests run by value, nbgrader records the grades.

What this module adds to nbgrader:
- the learner's cells and the hidden tests never share a process
  (:mod:`coursekit.platform.grading.byvalue`), and both run isolated
  (:mod:`coursekit.platform.grading.isolation`) in children of a pre-warmed runner, under the
  limits of :mod:`coursekit.platform.grading.limits`;
- nbgrader's own autograde then scores the notebook those runs produced, with its ``Execute`` and
  ``ClearOutput`` steps switched off, so grades are recorded exactly as nbgrader records them;
- the whole autograde runs in its own process group with a wall-clock limit, and a reason, in
  words, comes back when a notebook could not be graded, so that it is never a silent zero.

The per-question results are read by :mod:`coursekit.platform.grading.results`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from coursekit.platform import nbgrader_adapter
from coursekit.platform.grading.limits import Limits

NOTEBOOK = "exercise"


@dataclass
class RunResult:
    """How one autograde run ended: ``ok`` with nbgrader's log, or a reason it could not grade."""

    ok: bool
    reason: str = ""
    log: str = ""
    isolation: str = ""
    scores: dict | None = None     # grade_id -> QuestionScore fields, when the run recorded grades


def record_config(valued_dir: Path) -> Config:
    """nbgrader's autograde, scoring a notebook already run by value (nothing executed again)."""
    c = Config()
    c.Execute.enabled = False
    c.ClearOutput.enabled = False
    c.CourseDirectory.submitted_directory = str(valued_dir)
    return c


def grade_submission(root: Path, module_id: str, student: str, runner, limits: Limits, workdir: Path,
                     make_api, *, isolate: bool = True) -> dict:
    """Grade ``submitted/<student>/<module_id>`` of the course at ``root`` by value; record with nbgrader.

    ``make_api(extra_config)`` returns the nbgrader API that records the grades (into the cohort's
    gradebook or a scratch copy of it). Returns ``{"success", "error", "log", "isolation", "reason"}``.
    """
    from coursekit.platform import notebooks
    from coursekit.platform.grading import byvalue

    source = notebooks.read(Path(root) / "source" / module_id / f"{NOTEBOOK}.ipynb")
    submitted = Path(root) / "submitted" / student / module_id
    submission = notebooks.read(submitted / f"{NOTEBOOK}.ipynb")
    run = byvalue.grade_by_value(submission, source, runner, limits, workdir / "run", submitted, isolate=isolate)
    if run.reason:
        # The learner's run did not end normally (the whole-notebook limit, a cell that would not stop,
        # Python itself stopped): no grade is recorded and the trainer is told why, as before.
        return {"success": False, "error": "", "log": "", "isolation": run.isolation, "reason": run.reason}
    valued = workdir / "valued"
    target = valued / student / module_id
    # nbgrader copies the submission's other files (and its timestamp) to autograded/ as it would have;
    # a symbolic link is never followed.
    shutil.copytree(submitted, target, dirs_exist_ok=True,
                    ignore=lambda folder, names: [n for n in names if os.path.islink(os.path.join(folder, n))])
    (target / f"{NOTEBOOK}.ipynb").write_text(json.dumps(run.notebook), encoding="utf-8")
    result = make_api(record_config(valued)).autograde(module_id, student, force=True, create=True)
    return {"success": bool(result.get("success")), "error": result.get("error") or "",
            "log": result.get("log") or "", "isolation": run.isolation, "reason": run.reason}


SCRATCH_PREFIX = "coursekit-grade-"


def _scores(root: Path, module_id: str, student: str, db_url: str | None) -> dict:
    """The counted question scores just recorded (so that the caller need not load nbgrader)."""
    from dataclasses import asdict

    from coursekit.platform.nbgrader_adapter import gradebook

    from coursekit.platform import paths

    with gradebook.open_gradebook(db_url or f"sqlite:///{root / 'gradebook.db'}", paths.COURSE_ID) as gb:
        return {gid: asdict(q) for gid, q in gradebook.question_scores(gb, module_id, student).items()}


def remove_stale_scratch() -> None:
    """Remove the scratch folders of gradings whose process is gone (killed with kill -9, say)."""
    for d in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        pid = d.name[len(SCRATCH_PREFIX):].split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and sys.platform == "linux":
            shutil.rmtree(d, ignore_errors=True)


def _worker(root: str, module_id: str, student: str, db_url: str | None, limits: dict, isolate: bool = True) -> dict:
    """Runs inside the grading subprocess."""
    from coursekit.platform.grading import byvalue, isolation

    lim = Limits(**limits)
    isolation.become_subreaper()
    remove_stale_scratch()
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    try:
        runner = byvalue.Runner.start(scratch, module_imports(Path(root), module_id))   # warms up while nbgrader loads
        from coursekit.platform.nbgrader_adapter.config import preload

        preload()
        try:
            return grade_and_score(Path(root), module_id, student, db_url, lim, runner, scratch, isolate=isolate)
        finally:
            runner.close()
    finally:
        isolation.kill_descendants()
        shutil.rmtree(scratch, ignore_errors=True)


def module_imports(root: Path, module_id: str) -> list[str]:
    """What the module's notebook imports: the modules its grading runner loads before forking."""
    from coursekit.platform.grading import byvalue

    source = json.loads((root / "source" / module_id / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8"))
    return byvalue.imports_of(source)


def grade_and_score(root: Path, module_id: str, student: str, db_url: str | None, limits: Limits, runner,
                    workdir: Path, *, isolate: bool = True) -> dict:
    """Grade one submission with a warm ``runner``, record it with nbgrader, and read back its scores."""
    out = grade_submission(root, module_id, student, runner, limits, workdir,
                           lambda extra: nbgrader_adapter.api(root, db_url, extra), isolate=isolate)
    if out["success"]:
        out["scores"] = _scores(root, module_id, student, db_url)
    return out


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


def job(root: Path, module_id: str, student: str, limits: Limits, db_url: str | None = None,
        *, isolate: bool = True) -> dict:
    """One submission to grade, as a grading process (or the warm grader) takes it."""
    return {"root": str(root), "module_id": module_id, "student": student,
            "db_url": db_url, "limits": limits.as_dict(), "isolate": isolate}


def run_autograde(root: Path, module_id: str, student: str, limits: Limits, db_url: str | None = None,
                  *, isolate: bool = True) -> RunResult:
    """Autograde ``submitted/<student>/<module_id>`` in a child process with a wall-clock limit."""
    payload = json.dumps(job(root, module_id, student, limits, db_url, isolate=isolate))
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "coursekit.platform.grading.autograde", payload],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,  # its own process group: a timeout kills the kernel too
    )
    try:
        out, err = proc.communicate(timeout=limits.notebook_timeout + 30)   # the runs inside keep the limit
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return RunResult(False, f"timed out: the whole notebook took longer than {limits.notebook_timeout} s")
    last = out.strip().splitlines()[-1] if out.strip() else ""
    try:
        data = json.loads(last)
    except json.JSONDecodeError:
        return RunResult(False, f"grader crashed (exit {proc.returncode}): {_reason_from_log(err)}", err)
    return result_of(data, err)


def result_of(data: dict, err: str = "") -> RunResult:
    """A grading process's answer (what :func:`_worker` returns) as a :class:`RunResult`."""
    log = data.get("log", "") + data.get("error", "")
    if not data.get("success"):
        return RunResult(False, data.get("reason") or _reason_from_log(log + err), log, data.get("isolation", ""))
    return RunResult(True, "", log, data.get("isolation", ""), data.get("scores"))


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    try:
        print(json.dumps(_worker(**args)), flush=True)
    except Exception as exc:  # report, never hang: the parent turns this into a 'failed' status
        import traceback
        print(json.dumps({"success": False, "error": traceback.format_exc(), "log": ""}), flush=True)
        os._exit(1)
    # The grades are committed and the scratch folder is gone: skip the interpreter's slow shutdown
    # (SQLAlchemy's and nbgrader's exit handlers), which the caller would wait for.
    sys.stderr.flush()
    os._exit(0)
