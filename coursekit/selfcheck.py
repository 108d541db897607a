"""Check an exercise from inside the notebook: the last cell of every exercise calls
:func:`check_this_notebook`.

This module belongs to the learner toolkit and stays thin: it runs the platform's check in a
separate process (``python -m coursekit.platform.grading.check``) and shows what comes back, so
the learner's kernel never imports nbgrader, and the limits are the course's, exactly as with
``coursekit check`` in a terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HOW_TO = ("To check this exercise, save it (Ctrl+S) and run in a terminal:\n"
          "    coursekit check exercises/<module>/exercise.ipynb")


def check_this_notebook() -> None:
    """Grade the notebook this is called from (its last saved version) and show the report.

    JupyterLab tells the kernel which notebook it belongs to (``JPY_SESSION_NAME``). While nbgrader
    itself grades the notebook, this does nothing; outside JupyterLab, it says how to check.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return  # being graded: never grade recursively
    session = os.environ.get("JPY_SESSION_NAME", "")
    if not session.endswith(".ipynb") or not Path(session).exists():
        print(HOW_TO)
        return
    print("Checking the last saved version of this notebook (save with Ctrl+S first) ...", flush=True)
    proc = subprocess.run([sys.executable, "-m", "coursekit.platform.grading.check", session],
                          capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        answer = {}
    if "error" in answer or not answer:
        why = answer.get("error") or (proc.stderr.strip().splitlines() or ["the checker stopped unexpectedly"])[-1]
        print(f"Could not check this notebook: {why}")
        return
    if _in_notebook():
        from IPython.display import HTML, display

        display(HTML(answer["html"]))   # a table in the notebook
    else:
        print(answer["text"])            # a terminal or a log


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"
