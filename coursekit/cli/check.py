"""coursekit check NOTEBOOK [--json]"""

from __future__ import annotations

import json

STATUS_WORDS = {
    "passed": "correct",
    "partial": "partly right",
    "failed": "not yet",
    "not_attempted": "not answered",
    "timed_out": "out of time",
    "error": "error",
    "needs_grading": "to be graded",
}


def register(sub) -> None:
    p = sub.add_parser("check", help="grade one exercise notebook and record your progress (learners)",
                       description="Grade an exercise notebook with nbgrader on this computer, print the "
                       "points and feedback for each question, and record the result for `coursekit progress`. "
                       "Save the notebook first. Exits 0 whatever the score.")
    p.add_argument("notebook", help="path to your exercise, e.g. exercises/m01_right_tool/exercise.ipynb")
    p.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")
    p.add_argument("--cell-timeout", type=int, default=30, metavar="S", help="seconds one cell may run (default 30)")
    p.add_argument("--timeout", type=int, default=300, metavar="S", help="seconds the whole notebook may run (default 300)")
    p.add_argument("--memory-mb", type=int, default=4096, metavar="MB", help="memory limit for your code (default 4096)")
    p.set_defaults(func=run)


def _fmt(x) -> str:
    return "-" if x is None else (f"{x:g}")


def run(args) -> int:
    from coursekit.platform.grading import check as checking  # imported here so that `coursekit --help` starts fast
    from coursekit.errors import UsageError
    from coursekit.platform.grading.autograde import Limits

    try:
        limits = Limits(args.cell_timeout, args.timeout, args.memory_mb)
    except ValueError as exc:
        raise UsageError(f"{exc}; give a whole number above 0")
    result = checking.check(args.notebook, limits)
    if args.json:
        print(json.dumps(result.as_json(), indent=1))
    else:
        print(format_report(result))
    return 0


def format_report(result) -> str:
    lines = [f"{result.module}: {result.title}"]
    if result.status != "graded":
        lines.append(f"  Could not grade this notebook: {result.reason}")
        lines.append("  This attempt was not graded. Fix the problem above and run the check again.")
        return "\n".join(lines)
    width = max((len(q.grade_id) for q in result.questions), default=10)
    for q in result.questions:
        word = STATUS_WORDS.get(q.status, q.status)
        lines.append(f"  {q.grade_id:<{width}}  {_fmt(q.points):>4} / {_fmt(q.max_points):<4} {word:<13} {q.message}")
    lines.append(f"  Autograded total: {_fmt(result.total)} / {_fmt(result.max)}")
    written = [q for q in result.questions if not q.autograded]
    if written:
        lines.append(f"  Written answers ({len(written)}) are graded by a trainer; compare yours with the "
                     f"model answer in modules/{result.module}/facilitator.md once you have written it.")
    lines.append("  Recorded for `coursekit progress`.")
    return "\n".join(lines)


def format_report_html(result) -> str:
    """The same report as a table, for the notebook (long feedback wraps inside its column)."""
    import html

    esc = html.escape
    head = f"<p><strong>{esc(result.module)}: {esc(result.title)}</strong></p>"
    if result.status != "graded":
        return head + f"<p>Could not grade this notebook: {esc(result.reason)}. This attempt was not graded.</p>"
    rows = "".join(
        f"<tr><td>{esc(q.grade_id)}</td><td>{_fmt(q.points)} / {_fmt(q.max_points)}</td>"
        f"<td>{esc(STATUS_WORDS.get(q.status, q.status))}</td><td>{esc(q.message)}</td></tr>"
        for q in result.questions)
    style = "text-align:left; vertical-align:top"
    table = (f'<table style="{style}"><thead><tr><th style="{style}">Question</th><th style="{style}">Points</th>'
             f'<th style="{style}">Result</th><th style="{style}">Feedback</th></tr></thead><tbody>{rows}</tbody></table>')
    foot = f"<p><strong>Autograded total: {_fmt(result.total)} / {_fmt(result.max)}</strong>"
    if any(not q.autograded for q in result.questions):
        foot += " (written answers are graded by a trainer)"
    return head + table.replace("<td>", f'<td style="{style}">') + foot + ". Recorded for <code>coursekit progress</code>.</p>"
