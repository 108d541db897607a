#!/usr/bin/env python3
"""How long `coursekit check` of a whole exercise takes, cold and with the warm grader.

    python benchmarks/check_latency.py [--module m01_right_tool] [--repeat 5]

A learner's finished exercise (a copy of the module's solution, outside solutions/) is checked with
`python -m coursekit check NOTEBOOK --json`, each in a fresh process as a learner types it, in a
learner folder of its own (COURSEKIT_HOME in a temporary folder, so the course's own is untouched):

- **cold**: with the warm grader off (COURSEKIT_WARM_GRADER=0), as every check ran before it existed;
- **first**: the first check of a sitting with nothing running: it starts the warm grader;
- **warm**: the checks after it;
- **after lab**: the first check after `coursekit lab` warmed a grader ahead (as the lab does when
  it opens), once that grader is ready.

It prints, per kind, the wall time of each check (median, min, max) and the CPU seconds of all the
processes that did the work: the check's own process and its children, and for warm checks the
warm grader and its runner. Every check must end with status 0 and the solution's full marks. The
goal (``coursekit check`` of a whole m01 notebook in at most 3 s) is for the checks a learner makes
in a sitting: "warm" and "after lab". The load average is printed: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _cpu(pids: list[int]) -> float:
    """CPU seconds of these processes, with their ended children."""
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def _grader_pids(env: dict) -> list[int]:
    folder = Path(env["COURSEKIT_HOME"]) / "warm-grader"
    try:
        pid = int((folder / "pid").read_text())
        return [pid] + [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except (OSError, ValueError, psutil.Error):
        return []


def check_once(notebook: Path, env: dict) -> tuple[float, float, dict]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    grader_before = _cpu(_grader_pids(env))
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "coursekit", "check", str(notebook), "--json"],
                         env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"check failed ({out.returncode}): {out.stderr.strip()[-500:]}")
    result = json.loads(out.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu += _cpu(_grader_pids(env)) - grader_before
    return wall, cpu, result


def _stop(env: dict) -> None:
    subprocess.run([sys.executable, "-c", "from coursekit.platform.grading import warmgrader; warmgrader.stop()"],
                   env=env, cwd=ROOT, check=True)


def _wait_ready(env: dict, timeout: float = 60.0) -> None:
    """Until the grader warmed ahead has its runner ready (its runner has loaded the toolkit)."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        pids = _grader_pids(env)
        if len(pids) >= 2:
            runner = psutil.Process(pids[1])
            if runner.cpu_percent(interval=0.3) < 5:    # done loading: idle, waiting for a job
                return
        time.sleep(0.2)
    raise SystemExit("the warm grader did not get ready in time")


def report(kind: str, runs: list[tuple[float, float]]) -> None:
    walls = [w for w, _ in runs]
    cpus = [c for _, c in runs]
    print(f"{kind:10s} n={len(runs)}  wall median {statistics.median(walls):.2f} s "
          f"(min {min(walls):.2f}, max {max(walls):.2f})  CPU median {statistics.median(cpus):.2f} s"
          f"  load {os.getloadavg()[0]:.2f}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--module", default="m01_right_tool")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="coursekit-check-bench-"))
    notebook = work / "finished_exercise.ipynb"
    shutil.copy(ROOT / "solutions" / args.module / "exercise.ipynb", notebook)
    env = dict(os.environ, COURSEKIT_HOME=str(work / "learner"), COURSEKIT_ROOT=str(ROOT))
    print(f"coursekit check of {args.module} (solution copy), {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    try:
        cold_env = dict(env, COURSEKIT_WARM_GRADER="0")
        check_once(notebook, cold_env)                   # prepares the learner's course (once per update)
        runs = [check_once(notebook, cold_env) for _ in range(args.repeat)]
        full = {r["total"] == r["max"] for *_, r in runs}
        report("cold", [(w, c) for w, c, _ in runs])

        warm_env = dict(env, COURSEKIT_WARM_GRADER="1")
        first, warm, after_lab = [], [], []
        for _ in range(max(1, args.repeat // 2)):
            _stop(warm_env)
            first.append(check_once(notebook, warm_env))
            warm.extend(check_once(notebook, warm_env) for _ in range(2))
        report("first", [(w, c) for w, c, _ in first])
        report("warm", [(w, c) for w, c, _ in warm])
        for _ in range(max(1, args.repeat // 2)):
            _stop(warm_env)
            subprocess.run([sys.executable, "-c", "from coursekit.platform.grading import warmgrader; "
                            "warmgrader.start_background(every_module=True)"], env=warm_env, cwd=ROOT, check=True)
            _wait_ready(warm_env)
            after_lab.append(check_once(notebook, warm_env))
        report("after lab", [(w, c) for w, c, _ in after_lab])
        full |= {r["total"] == r["max"] for *_, r in first + warm + after_lab}
        if full != {True}:
            raise SystemExit("a check did not give the solution full marks")
        print("every check: status 0, full marks")
    finally:
        _stop(dict(env, COURSEKIT_WARM_GRADER="1"))
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
