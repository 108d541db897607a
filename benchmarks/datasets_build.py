#!/usr/bin/env python3
"""Time `coursekit datasets build` and `coursekit datasets build --check`, as a user runs them.

    python benchmarks/datasets_build.py [--repeat N]

Runs the command in fresh processes (so the timings include starting Python and importing the
kit), building all five datasets into a temporary folder and then checking that folder and the
committed datasets/. Also times each generator in this process and prints file sizes. The
budget is 10 s for a build plus a check on 2 cores; each CSV must stay under 5 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 10.0
MAX_CSV_BYTES = 5 * 1024 * 1024


def run(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system of the child) and exit status of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "coursekit", *args], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0,):
        sys.stderr.write(proc.stderr)
    return wall, cpu, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command; the best is reported (default 3)")
    args = parser.parse_args()

    from coursekit.datasets import NAMES
from coursekit.platform.authoring import datasets_build as build

    print(f"cores available: {os.cpu_count()}; load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("\nin-process generation (CSV, manifest and datasheet, in memory):")
    build.generate(NAMES[-1])  # warm up imports so the first dataset is not charged for them
    total = 0.0
    for name in NAMES:
        start = time.perf_counter()
        files = build.generate(name)
        took = time.perf_counter() - start
        total += took
        sizes = ", ".join(f"{f} {len(b) / 1e6:.2f} MB" for f, b in files.items() if f.endswith(".csv"))
        over = [f for f, b in files.items() if f.endswith(".csv") and len(b) >= MAX_CSV_BYTES]
        print(f"  {name:<22} {took:6.2f} s   {sizes}{'   OVER 5 MB: ' + ', '.join(over) if over else ''}")
    print(f"  {'all five':<22} {total:6.2f} s")

    failures = 0
    with tempfile.TemporaryDirectory(prefix="coursekit-datasets-bench-") as tmp:
        results = {}
        for label, cmd in (
            ("build (fresh folder)", ["datasets", "build", "--out", tmp]),
            ("build --check (that folder)", ["datasets", "build", "--check", "--out", tmp]),
            ("build --check (datasets/)", ["datasets", "build", "--check"]),
        ):
            best = None
            for i in range(args.repeat):
                if label.startswith("build (") and i:
                    for p in Path(tmp).iterdir():  # a fresh folder each time
                        p.unlink()
                wall, cpu, status = run(cmd)
                failures += status != 0
                if best is None or wall < best[0]:
                    best = (wall, cpu, status)
            results[label] = best
        print(f"\ncommand line, best of {args.repeat} (wall / CPU seconds, exit status):")
        for label, (wall, cpu, status) in results.items():
            print(f"  coursekit datasets {label:<28} {wall:6.2f} s wall  {cpu:6.2f} s CPU  exit {status}")
        baseline = run(["--version"])
        print(f"  (starting the coursekit command alone: {baseline[0]:.2f} s wall)")
        combined = results["build (fresh folder)"][0] + results["build --check (that folder)"][0]
        print(f"\nbuild + check: {combined:.2f} s wall (budget {BUDGET_SECONDS:.0f} s): "
              f"{'within budget' if combined < BUDGET_SECONDS else 'OVER BUDGET'}")
    if failures:
        print(f"{failures} command(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
