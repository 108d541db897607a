"""Your competency profile in a notebook::

    from coursekit import progress
    progress.show("caseworker")      # or progress.show(): against the profile you chose

A thin part of the learner toolkit: it runs the platform's progress report in a separate process
(``python -m coursekit.platform.reports.progress``) and shows what comes back, as
``coursekit progress`` does in a terminal.
"""

from __future__ import annotations

from coursekit import _platform_view


def show(profile: str | None = None) -> None:
    """Show your competency table, chart and next modules, against ``profile`` when given, else
    against the job profile you chose (``coursekit.choose_profile``), if any."""
    if profile:
        answer = _platform_view.run("coursekit.platform.reports.progress", profile)
    else:
        answer = _platform_view.run("coursekit.platform.learner_profile", "progress")
    if "html" not in answer:
        print(answer.get("empty") or f"Could not show your progress: {answer.get('error')}")
        return
    _platform_view.show(answer)
