"""Autograde one submission with nbgrader, under the course's limits.

nbgrader does the grading. What this module adds:
- learner code runs in ``coursekit.platform.grading.sandbox_kernel`` (memory and CPU limits),
  with a per-cell time limit, and the whole autograde runs in its own process group with a
  wall-clock limit (all from :mod:`coursekit.platform.grading.limits`);
- kernels talk over IPC sockets on a per-process path, so parallel graders never collide on TCP
  ports (a collision gives a silent zero in plain nbgrader);
- a reason, in words, when a notebook could not be graded, so that it is never a silent zero.

The per-question results are read by :mod:`coursekit.platform.grading.results`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from coursekit.platform import nbgrader_adapter
from coursekit.platform.grading.limits import Limits

KERNEL_NAME = "coursekit-sandbox"


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
        "env": {"COURSEKIT_MEMORY_MB": str(limits.memory_mb), "COURSEKIT_CPU_SECONDS": str(limits.cpu_seconds)},
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
                          "db_url": db_url, "limits": limits.as_dict()})
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


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    try:
        print(json.dumps(_worker(**args)))
    except Exception as exc:  # report, never hang: the parent turns this into a 'failed' status
        import traceback
        print(json.dumps({"success": False, "error": traceback.format_exc(), "log": ""}))
        sys.exit(1)
