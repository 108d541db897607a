"""Your competency profile in a notebook::

    from coursekit import progress
    progress.show("caseworker")

A thin part of the learner toolkit: it runs the platform's progress report in a separate process
(``python -m coursekit.platform.reports.progress``) and shows what comes back, as
``coursekit progress`` does in a terminal.
"""

from __future__ import annotations

import json
import subprocess
import sys


def show(profile: str | None = None) -> None:
    """Show your competency table, chart and next modules (against ``profile`` when given)."""
    proc = subprocess.run([sys.executable, "-m", "coursekit.platform.reports.progress", *([profile] if profile else [])],
                          capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        answer = {}
    if "html" not in answer:
        why = answer.get("empty") or answer.get("error") or \
            (proc.stderr.strip().splitlines() or ["the progress report stopped unexpectedly"])[-1]
        print(why)
        return
    if _in_notebook():
        from IPython.display import HTML, display

        display(HTML(answer["html"]))
    else:
        print(answer["text"])


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"
