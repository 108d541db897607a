#!/usr/bin/env python3
"""Memory of one learner's server on a JupyterHub while a module's lesson or exercise runs in its kernel.

    sudo python benchmarks/hub_capacity.py [--module m01_right_tool ...] [--interval 0.1]

For the capacity figures of the workshop guide and deploy/README.md (how many learners a hub of a
given size holds). It sets up the test deployment of tests/test_hub.py (tests/hubdeploy.py:
JupyterHub on loopback with LocalProcessSpawner, the kit's wheel in a venv, nbgrader's exchange, a
trainer and two learner accounts; root and configurable-http-proxy needed) and releases the
modules as the trainer. One learner starts their server, and for each module:

- the lesson (modules/<id>/lesson.ipynb, written to their home through the Contents API, as a hub
  gives learners the course) runs cell by cell in a kernel of that server;
- then the exercise, fetched from the Assignments tab and answered with the solution's code,
  runs in a fresh kernel.

Meanwhile it samples the memory of every process of that learner (the server, the kernel and
anything the kernel starts) as RSS, and as PSS (shared pages split between the processes sharing
them: closer to what each further learner adds). Each kernel is shut down before the next run.
It prints the idle server and, per notebook, the peak while it runs and the figure after.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import conftest   # noqa: E402  (the wheel, built as the tests build it)
import hubdeploy  # noqa: E402

MB = 1024 * 1024


class Sampler(threading.Thread):
    """The peak of ``hubdeploy.memory_of(uid)`` over the time it runs."""

    def __init__(self, uid: int, interval: float):
        super().__init__(daemon=True)
        self.uid, self.interval = uid, interval
        self.peak = {"rss": 0, "pss": 0, "processes": 0}
        self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            now = hubdeploy.memory_of(self.uid)
            self.samples += 1
            for key in self.peak:
                self.peak[key] = max(self.peak[key], now[key])
            self._done.wait(self.interval)

    def stop(self) -> dict:
        self._done.set()
        self.join()
        return self.peak


def line(what: str, mem: dict) -> str:
    return f"{what:<44} RSS {mem['rss'] / MB:6.0f} MB   PSS {mem['pss'] / MB:6.0f} MB   ({mem['processes']} processes)"


def measure(dep, learner: str, path: str, nb: dict, interval: float) -> dict:
    """Run the notebook's code cells in a fresh kernel while sampling; the kernel is shut down after."""
    uid = dep.uid(learner)
    code = [hubdeploy._text(c) for c in nb["cells"] if c.get("cell_type") == "code"]
    sampler = Sampler(uid, interval)
    sampler.start()
    started = time.monotonic()
    replies, session = hubdeploy.run_in_kernel(dep, learner, path, code)
    seconds = time.monotonic() - started
    peak = sampler.stop()
    after = hubdeploy.memory_of(uid)
    dep.server_api(learner, "DELETE", f"/api/sessions/{session}").raise_for_status()
    time.sleep(1)
    return {"cells": len(code), "seconds": seconds, "errors": sum(r.get("status") != "ok" for r in replies),
            "peak": peak, "after": after, "samples": sampler.samples}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--module", nargs="+", default=["m01_right_tool"])
    ap.add_argument("--interval", type=float, default=0.1, help="seconds between memory samples")
    args = ap.parse_args()
    missing = hubdeploy.missing_tools()
    if missing:
        print("cannot run: " + "; ".join(f"{what} is missing ({how})" for what, how in missing), file=sys.stderr)
        return 2

    errors = 0
    with tempfile.TemporaryDirectory(prefix="coursekit-wheel-") as tmp:
        wheel = conftest.build_wheel(Path(tmp))
        source = Path(tmp) / "src"
        with hubdeploy.deploy(wheel, source) as dep:
            dep.start_cohort(*args.module)
            learner = dep.learners[0]
            dep.start_server(learner)
            time.sleep(2)   # let the server settle after its start
            idle = hubdeploy.memory_of(dep.uid(learner))
            print(f"one learner's server on JupyterHub (LocalProcessSpawner), memory sampled every {args.interval} s")
            print(line("server idle, no kernel", idle))
            for module in args.module:
                lesson = json.loads((source / "modules" / module / "lesson.ipynb").read_text(encoding="utf-8"))
                dep.write_notebook(learner, f"{module}-lesson.ipynb", lesson)
                dep.assignments(learner, "fetch", module)
                path = f"{module}/exercise.ipynb"
                solution = json.loads((dep.course / "solutions" / module / "exercise.ipynb").read_text())
                exercise = hubdeploy.answered(dep.read_notebook(learner, path), solution,
                                              hubdeploy.answer_ids(solution), "-")
                dep.write_notebook(learner, path, exercise)
                for kind, nb_path, nb in (("lesson", f"{module}-lesson.ipynb", lesson), ("exercise", path, exercise)):
                    got = measure(dep, learner, nb_path, nb, args.interval)
                    errors += got["errors"]
                    print(f"{module} {kind}: {got['cells']} code cells in {got['seconds']:.1f} s, "
                          f"{got['errors']} with an error, {got['samples']} samples")
                    print(line("  peak while it runs", got["peak"]))
                    print(line("  after it ran (kernel still open)", got["after"]))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
