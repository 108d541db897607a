"""The grading workers of ``coursekit cohort grade`` and ``build --check``, seen from the parent.

Each is a process of :mod:`coursekit.platform.cohort.worker` that imports nbgrader and warms a
sandbox runner once, then grades one job after another: a JSON line in, a JSON line out, read by a
thread into the parent's event queue.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from coursekit.platform.grading.limits import Limits


def worker_env() -> dict:
    """The workers' environment: this one, with the parent's pid (they end with it), a headless
    matplotlib, and the environment's bin/ first (nbgrader runs its tools from there)."""
    env = dict(os.environ)
    env["COURSEKIT_PARENT_PID"] = str(os.getpid())
    env.setdefault("MPLBACKEND", "Agg")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env



class Worker:
    def __init__(self, idx: int, run_dir: Path, env: dict, limits: Limits, events: queue.Queue,
                 preload: list[str] | None = None):
        self.idx = idx
        self.job: dict | None = None
        self.deadline = 0.0
        self.ready = False
        self.dead = False
        wdir = run_dir / f"w{idx}"
        wdir.mkdir(parents=True, exist_ok=True)
        self.dir = wdir
        self.log = open(wdir / "worker.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "coursekit.platform.cohort.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            env=env, start_new_session=True, text=True, encoding="utf-8", bufsize=1,
        )
        setup = {"limits": limits.as_dict(), "work_dir": str(wdir / "work"), "preload": preload}
        self.proc.stdin.write(json.dumps(setup) + "\n")
        self.proc.stdin.flush()
        threading.Thread(target=self._read, args=(events,), daemon=True).start()

    def _read(self, events: queue.Queue) -> None:
        for line in self.proc.stdout:
            events.put((self, line))
        events.put((self, None))

    def send(self, job: dict, wall: int) -> None:
        self.job = job
        self.deadline = time.monotonic() + wall
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        """Kill the worker and every process under it (its kernel runs in a session of its own)."""
        self.dead = True
        try:
            import psutil

            kids = psutil.Process(self.proc.pid).children(recursive=True)
        except Exception:
            kids = []
        for k in kids:
            try:
                k.kill()
            except Exception:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, AttributeError):
            self.proc.kill()
        self.proc.wait()
        self.log.close()

    def stop(self) -> None:
        self.dead = True
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.kill()
        self.log.close()

    def log_tail(self) -> str:
        try:
            return (self.dir / "worker.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        except OSError:
            return ""
