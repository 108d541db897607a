"""The course's start page: the modules from the syllabus, and how to check an exercise."""

from __future__ import annotations

import html

import yaml

from coursekit.platform import paths
from coursekit.platform import syllabus


def _profile_names() -> dict:
    path = paths.competencies_dir() / "profiles.yml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {p["id"]: p.get("name", p["id"]) for p in data.get("profiles", []) if isinstance(p, dict)}


def modules_table_html() -> str:
    names = _profile_names()
    rows = []
    for i, m in enumerate(syllabus.modules(), start=1):
        who = ", ".join(names.get(p, p.replace("_", " ")) for p in m.profiles) or "everyone"
        lesson = f"modules/{m.id}/lesson.ipynb"
        exercise = f"exercises/{m.id}/exercise.ipynb"
        rows.append(
            "<tr>"
            f"<td>{i}</td>"
            f"<td><strong>{html.escape(m.title)}</strong><br><small>{html.escape(m.summary)}</small></td>"
            f"<td>{m.minutes} min</td>"
            f"<td>{html.escape(who)}</td>"
            f'<td><a href="{lesson}">lesson</a><br><a href="{exercise}">exercise</a></td>'
            "</tr>"
        )
    head = "<tr><th>#</th><th>Module</th><th>Time</th><th>Who it is for</th><th>Open</th></tr>"
    # JupyterLab right-aligns table cells by default; text reads better left-aligned.
    style = "<style>.coursekit-modules td, .coursekit-modules th {text-align: left; vertical-align: top;}</style>"
    return f'{style}<table class="coursekit-modules"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def show() -> None:
    """Display the table of modules in a notebook."""
    from IPython.display import HTML, display

    display(HTML(modules_table_html()))


def text_table() -> str:
    """The same list as plain text, for the terminal."""
    lines = []
    for i, m in enumerate(syllabus.modules(), start=1):
        lines.append(f"{i}. {m.title} ({m.minutes} min)  lesson: modules/{m.id}/lesson.ipynb  exercise: exercises/{m.id}/exercise.ipynb")
    return "\n".join(lines)
