"""Your job profile, and which questions of an exercise are yours, in a notebook::

    import coursekit
    coursekit.choose_profile("caseworker")   # once: kept in your personal folder
    coursekit.my_items()                     # in an exercise: your questions, and the optional ones

An item is yours when your job profile (``competencies/profiles.yml``) needs its competency at its
level or above; the others are optional, for going further. The terminal's ``coursekit profile``
does the same. Like :mod:`coursekit.progress`, this part of the learner toolkit stays thin: the
platform answers in a separate process (``python -m coursekit.platform.learner_profile``).
"""

from __future__ import annotations

import os
from pathlib import Path

from coursekit import _platform_view

PLATFORM = "coursekit.platform.learner_profile"


def _say(answer: dict) -> None:
    print(answer.get("text") or f"Could not do it: {answer.get('error')}")


def choose(profile: str) -> None:
    """Choose your job profile (an id from ``competencies/profiles.yml``, e.g. "caseworker")."""
    _say(_platform_view.run(PLATFORM, "set", str(profile)))


def show() -> None:
    """Say which job profile you chose (or how to choose one)."""
    _say(_platform_view.run(PLATFORM, "show"))


def _this_exercise() -> str:
    """Where the notebook calling this is: JupyterLab's name for it, else the kernel's folder."""
    session = os.environ.get("JPY_SESSION_NAME", "")
    return session if session.endswith(".ipynb") else str(Path.cwd())


def my_items(module: str | None = None) -> None:
    """Print which questions of this exercise (or of ``module``, e.g. "m03_fairness") are yours."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return          # being graded: say nothing, start nothing
    _say(_platform_view.run(PLATFORM, "items", module or _this_exercise()))
