"""How long each module's lesson and solution take to run top to bottom, and a `coursekit check`.

    python benchmarks/module_runtime.py [MODULE ...]

The definition of done asks for a lesson under 20 s and an exercise under 30 s. Prints one line per
module and notebook: `module=... notebook=lesson seconds=S`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from coursekit.platform import syllabus

REPO = Path(__file__).resolve().parent.parent


def run_notebook(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def time_check(path: Path) -> float:
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, COURSEKIT_HOME=home)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "coursekit", "check", str(path), "--json"], env=env,
                       check=True, capture_output=True)
        return time.perf_counter() - start


def main(ids: list[str]) -> None:
    for module in (syllabus.get(i) for i in ids) if ids else syllabus.modules():
        print(f"module={module.id} notebook=lesson seconds={run_notebook(module.lesson_notebook):.1f}", flush=True)
        print(f"module={module.id} notebook=solution seconds={run_notebook(module.solution_notebook):.1f}", flush=True)
        print(f"module={module.id} notebook=check_solution seconds={time_check(module.solution_notebook):.1f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
