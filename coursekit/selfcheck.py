"""Check an exercise from inside the notebook: the last cell of every exercise calls
:func:`check_this_notebook`.

This module belongs to the learner toolkit and stays thin: it runs the platform's check in a
separate process (``python -m coursekit.platform.grading.check``) and shows what comes back, so
the learner's kernel never imports nbgrader, and the limits are the course's, exactly as with
``coursekit check`` in a terminal.
"""

from __future__ import annotations

import os
from pathlib import Path

from coursekit import _platform_view

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
    answer = _platform_view.run("coursekit.platform.grading.check", session)
    if "html" not in answer:
        print(f"Could not check this notebook: {answer.get('error')}")
        return
    _platform_view.show(answer)
