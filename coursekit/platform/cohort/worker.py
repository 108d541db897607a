"""A grading worker: a long-lived process that autogrades one submission at a time.

``coursekit cohort grade`` starts N of these. Each reads jobs as JSON lines on stdin and answers
each with one JSON line; it imports nbgrader once, so a job costs only the autograde itself.
Learner code runs in the sandbox kernel (memory limit), with kernels on IPC sockets under this
worker's own absolute path. In the default mode each job autogrades against a private copy of an
empty gradebook (``scratch_db``), so workers never write to the same SQLite file; the parent merges
the grades into the cohort's gradebook.

The worker dies with its parent (so a killed batch leaves no grader behind), and the parent kills
a worker, with its kernel, when a notebook overruns its wall-clock limit.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import threading
import time
import traceback
from pathlib import Path


def _die_with_parent(parent_pid: int) -> None:
    if not parent_pid:
        return
    try:  # Linux: the kernel delivers SIGKILL when the parent dies
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass

    def watch():
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(1.0)

    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def _limit_notes(nb: dict, cell_timeout: int) -> list[str]:
    """Questions where learner code hit a limit: worth telling the trainer, not a grading failure.

    ``nb`` is the graded notebook as plain JSON (no need to validate what nbgrader just wrote).
    """
    from coursekit.platform.grading.results import limit_hit, questions_with_answers
    from coursekit.platform.nbgrader_adapter import cells

    notes = []
    for answer, cell in questions_with_answers(nb):
        if not cells.is_autograded_test(cell):
            continue
        hit = limit_hit(answer, cell)
        if hit == "timeout":
            notes.append(f"{cells.grade_id(cell) or '?'}: timed out (cell limit {cell_timeout} s)")
        elif hit == "memory":
            notes.append(f"{cells.grade_id(cell) or '?'}: out of memory")
    return notes


MAX_OUTPUT_CHARS = 200_000


def _trim_outputs(path: Path) -> bool:
    """Cap very large outputs in the graded notebook (nbgrader caps lines, not a single huge line)."""
    if path.stat().st_size < 2 * MAX_OUTPUT_CHARS:
        return False
    import nbformat

    nb = nbformat.read(path, as_version=4)
    changed = False
    note = "\n... [output truncated by the grader] ...\n"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and len(out.get("text", "")) > MAX_OUTPUT_CHARS:
                out["text"] = out["text"][:MAX_OUTPUT_CHARS] + note
                changed = True
            for mime, val in list(out.get("data", {}).items()):
                if isinstance(val, str) and len(val) > MAX_OUTPUT_CHARS:
                    out["data"][mime] = val[:MAX_OUTPUT_CHARS] + (note if mime.startswith("text/") else "")
                    changed = True
    if changed:
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR)  # nbgrader leaves graded notebooks read-only
        try:
            nbformat.write(nb, path)
        finally:
            path.chmod(mode)
    return changed


def grade_one(job: dict, limits, runner, workdir: Path) -> dict:
    from coursekit.platform.cohort.folder import Cohort
    from coursekit.platform.grading import autograde

    cohort = Cohort(job["root"])
    module, learner = job["module"], job["learner"]
    if job.get("scratch_db"):
        scratch = Path(job["scratch_db"])
        shutil.copyfile(job["template_db"], scratch)
        db_url = f"sqlite:///{scratch}"
    else:
        from coursekit.platform.nbgrader_adapter.gradebook import with_sqlite_timeout

        db_url = with_sqlite_timeout(job["db_url"], job.get("sqlite_timeout", 5))
    jobdir = workdir / f"job-{job['id']}"
    try:
        result = autograde.grade_submission(cohort.root, module, learner, runner, limits, jobdir,
                                            lambda extra: cohort.api(db_url=db_url, extra=extra),
                                            isolate=job.get("isolate", True))
    finally:
        shutil.rmtree(jobdir, ignore_errors=True)
    log = (result.get("log") or "") + (result.get("error") or "")
    if not result.get("success"):
        return {"ok": False, "reason": result.get("reason") or autograde._reason_from_log(log), "log": log[-4000:]}
    graded = cohort.autograded_notebook(learner, module)
    if not graded.exists():
        return {"ok": False, "reason": "nbgrader wrote no graded notebook", "log": log[-4000:]}
    _trim_outputs(graded)
    nb = json.loads(graded.read_text(encoding="utf-8"))
    notes = _limit_notes(nb, limits.cell_timeout)
    return {"ok": True, "notes": notes, "isolation": result.get("isolation", "")}


def main() -> None:
    _die_with_parent(int(os.environ.get("COURSEKIT_PARENT_PID", "0") or 0))
    # Answers go on the original stdout; anything else that prints goes to the log on stderr.
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.environ.setdefault("MPLBACKEND", "Agg")

    setup = json.loads(sys.stdin.readline())
    workdir = Path(setup["work_dir"])
    workdir.mkdir(parents=True, exist_ok=True)

    from coursekit.platform.grading import autograde, byvalue, isolation
    from coursekit.platform.grading.limits import Limits

    isolation.become_subreaper()
    runner = byvalue.Runner.start(workdir, setup.get("preload"))     # warms up while nbgrader is imported
    from coursekit.platform.cohort import folder  # noqa: F401  (import nbgrader's machinery once, up front)
    from coursekit.platform.nbgrader_adapter.config import preload

    preload()
    limits = Limits(**setup["limits"])
    try:
        level = runner.wait_ready().get("level", "none")
    except byvalue.RunnerError as exc:
        proto.write(json.dumps({"ready": False, "error": str(exc)}) + "\n")
        return
    proto.write(json.dumps({"ready": True, "isolation": level}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        started = time.monotonic()
        try:
            res = grade_one(job, limits, runner, workdir)
        except Exception as exc:
            tb = traceback.format_exc()
            res = {"ok": False, "reason": autograde._reason_from_log(f"{exc.__class__.__name__}: {exc}\n{tb}"),
                   "log": tb[-4000:]}
            if runner.proc.poll() is not None:      # the runner itself died: a fresh one for the next job
                runner = byvalue.Runner.start(workdir, setup.get("preload"))
        isolation.kill_descendants(keep=frozenset({runner.proc.pid}))
        res["id"] = job["id"]
        res["seconds"] = round(time.monotonic() - started, 3)
        proto.write(json.dumps(res) + "\n")
    runner.close()


if __name__ == "__main__":
    main()
