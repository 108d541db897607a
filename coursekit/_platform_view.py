"""How the learner toolkit's views (:mod:`coursekit.selfcheck`, :mod:`coursekit.progress`) reach
the platform: they run one of its modules in a separate Python process, which prints one JSON
line, and show the HTML in a notebook or the text anywhere else. The learner's kernel so never
imports the platform, nbgrader or the gradebook.
"""

from __future__ import annotations

import json
import subprocess
import sys


def run(module: str, *args: str) -> dict:
    """Run ``python -m <module> ARGS`` and return its JSON answer; {"error": ...} if it gave none."""
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        answer = {}
    if not isinstance(answer, dict) or not answer:
        last = (proc.stderr.strip().splitlines() or ["it stopped unexpectedly"])[-1]
        return {"error": last}
    return answer


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def show(answer: dict) -> None:
    """The answer's HTML in a notebook, its text elsewhere."""
    if in_notebook():
        from IPython.display import HTML, display

        display(HTML(answer["html"]))
    else:
        print(answer["text"])
