#!/usr/bin/env python3
"""Memory of one learner's server on a JupyterHub while a module's exercise runs in its kernel.

    sudo python benchmarks/hub_capacity.py [--module m01_right_tool] [--interval 0.1]

For the capacity figures of the workshop guide (how many learners a hub of a given size holds).
It sets up the test deployment of tests/test_hub.py (tests/hubdeploy.py: JupyterHub on loopback
with LocalProcessSpawner, the kit's wheel in a venv, nbgrader's exchange, a trainer and two learner
accounts; root and configurable-http-proxy needed), releases the module as the trainer, and has
one learner start their server, fetch the exercise and fill in the solution's answers. Then it
samples the memory of every process of that learner (the server, the kernel and anything the
kernel starts), as RSS and as PSS (shared pages split between the processes that share them),
while the exercise's code cells run one by one in a kernel of that server, as when the learner
runs their notebook. It prints the idle server, the peak while the exercise runs, and after.
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
    return f"{what:<38} RSS {mem['rss'] / MB:7.0f} MB   PSS {mem['pss'] / MB:7.0f} MB   ({mem['processes']} processes)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--module", default="m01_right_tool")
    ap.add_argument("--interval", type=float, default=0.1, help="seconds between memory samples")
    args = ap.parse_args()
    missing = hubdeploy.missing_tools()
    if missing:
        print("cannot run: " + "; ".join(f"{what} is missing ({how})" for what, how in missing), file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="coursekit-wheel-") as tmp:
        wheel = conftest.build_wheel(Path(tmp))
        with hubdeploy.deploy(wheel, Path(tmp) / "src") as dep:
            dep.start_cohort(args.module)
            learner = dep.learners[0]
            dep.start_server(learner)
            path = f"{args.module}/exercise.ipynb"
            dep.assignments(learner, "fetch", args.module)
            solution = json.loads((dep.course / "solutions" / args.module / "exercise.ipynb").read_text())
            nb = hubdeploy.answered(dep.read_notebook(learner, path), solution, hubdeploy.answer_ids(solution), "-")
            dep.write_notebook(learner, path, nb)
            uid = dep.uid(learner)
            time.sleep(2)   # let the server settle after its start
            idle = hubdeploy.memory_of(uid)

            code = [hubdeploy._text(c) for c in nb["cells"] if c.get("cell_type") == "code"]
            sampler = Sampler(uid, args.interval)
            sampler.start()
            started = time.monotonic()
            replies = hubdeploy.run_in_kernel(dep, learner, path, code)
            seconds = time.monotonic() - started
            peak = sampler.stop()
            after = hubdeploy.memory_of(uid)
            errors = [r for r in replies if r.get("status") != "ok"]

            print(f"one learner's server on JupyterHub (LocalProcessSpawner), module {args.module}: "
                  f"{len(code)} code cells in {seconds:.1f} s, {len(errors)} cell(s) with an error, "
                  f"{sampler.samples} samples")
            print(line("server idle, no kernel", idle))
            print(line("peak while the exercise runs", peak))
            print(line("after it ran (kernel still open)", after))
            print(f"per learner with the exercise open: about {peak['pss'] / MB:.0f} MB (PSS), "
                  f"{peak['rss'] / MB:.0f} MB (RSS, counting shared libraries in full)")
            return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
