"""Your competency profile in a notebook::

    from coursekit import progress
    progress.show("caseworker")

A thin part of the learner toolkit: it runs the platform's progress report in a separate process
(``python -m coursekit.platform.reports.progress``) and shows what comes back, as
``coursekit progress`` does in a terminal.
"""

from __future__ import annotations

from coursekit import _platform_view


def show(profile: str | None = None) -> None:
    """Show your competency table, chart and next modules (against ``profile`` when given)."""
    answer = _platform_view.run("coursekit.platform.reports.progress", *([profile] if profile else []))
    if "html" not in answer:
        print(answer.get("empty") or f"Could not show your progress: {answer.get('error')}")
        return
    _platform_view.show(answer)
