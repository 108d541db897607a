"""The course's start page (``START.ipynb``): its table of modules is generated from the syllabus.

The table is a Markdown cell marked ``{"coursekit": {"generated": "modules"}}``: it shows before
anything is run, needs no code, and ``coursekit build`` rewrites it from ``course/syllabus.yml``
(``--check`` fails when it is stale), so the syllabus stays the one list of modules.
"""

from __future__ import annotations

import json
import re

from coursekit.platform import competencies, fileio, paths, syllabus

GENERATED = {"generated": "modules"}


def _profile_names() -> dict:
    return {pid: p.name for pid, p in competencies.profiles().items()}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def module_number(module_id: str, fallback: int) -> int:
    """A module's number is its id's prefix (m03_fairness is module 3), wherever it is shown."""
    m = re.match(r"m(\d+)_", module_id)
    return int(m.group(1)) if m else fallback


def modules_table_markdown() -> str:
    names = _profile_names()
    lines = ["## The modules", "",
             "| # | Module | Time | Who it is for | Open |", "| --- | --- | --- | --- | --- |"]
    for i, m in enumerate(syllabus.modules(), start=1):
        who = ", ".join(names.get(p, p.replace("_", " ")) for p in m.profiles) or "everyone"
        module = f"**{_cell(m.title)}**" + (f"<br>{_cell(m.summary)}" if m.summary else "")
        lines.append(f"| {module_number(m.id, i)} | {module} | {m.minutes} min | {_cell(who)} | "
                     f"[lesson](modules/{m.id}/lesson.ipynb)<br>[exercise](exercises/{m.id}/exercise.ipynb) |")
    return "\n".join(lines)


def text_table() -> str:
    """The same list as plain text, for the terminal."""
    return "\n".join(
        f"{module_number(m.id, i)}. {m.title} ({m.minutes} min)  lesson: modules/{m.id}/lesson.ipynb  exercise: exercises/{m.id}/exercise.ipynb"
        for i, m in enumerate(syllabus.modules(), start=1))


def _start_path():
    return paths.course_root() / "START.ipynb"


def rendered() -> tuple[bytes, bytes]:
    """(the start page as it is, as it should be). Raises when it has no generated table cell."""
    from coursekit.errors import UsageError

    path = _start_path()
    current = path.read_bytes()
    nb = json.loads(current)
    cells = [c for c in nb["cells"] if (c.get("metadata") or {}).get("coursekit") == GENERATED]
    if len(cells) != 1:
        raise UsageError(f"{path}: needs exactly one Markdown cell with metadata "
                         f'"coursekit": {json.dumps(GENERATED)} for the table of modules')
    cells[0]["source"] = modules_table_markdown().splitlines(keepends=True)
    cells[0].setdefault("id", "modules-table")
    # nbformat's own layout (indent 1, trailing newline), so that JupyterLab's saves change nothing
    return current, (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def problems() -> list[str]:
    if not _start_path().exists():
        return []            # a course without a start page (a test course, a trainer's subset)
    current, wanted = rendered()
    return [] if current == wanted else ["START.ipynb: its table of modules is stale; run `coursekit build`"]


def write() -> list[str]:
    """Rewrite the table; the changed paths (empty when it was current or there is no start page)."""
    if not _start_path().exists():
        return []
    current, wanted = rendered()
    if current == wanted:
        return []
    fileio.atomic_write(_start_path(), wanted)
    return ["START.ipynb"]


WORKSPACE_NOTE = """\
## Your workspace

This is your own copy of the course: the lessons and your exercises. Course updates never overwrite
your work: when an exercise you have worked on changes, the new version appears beside yours.
In an exercise, `check("q1")` tells you at once whether your answer to question 1 is right, and
`hint("q1")` gives a hint (run `from coursekit.selfcheck import check, hint` first)."""


PROFILE_HEADING = "## Your questions in each exercise"


def workspace_page(course_page: bytes, notices: list[str], profile_lines: list[str] | None = None) -> bytes:
    """The learner's start page: the course's, with a cell on their workspace and its news, and
    one on which questions of each exercise are theirs (``profile_lines``, from
    :func:`coursekit.platform.learner_profile.start_page_lines`).

    The course's links (``modules/<id>/lesson.ipynb``, ``exercises/<id>/exercise.ipynb``) work
    there unchanged: the workspace has the course's layout.
    """
    nb = json.loads(course_page)
    text = WORKSPACE_NOTE + ("\n\n**New since you last opened the course:**\n\n" + "\n".join(notices) if notices else "")
    cell = {"cell_type": "markdown", "id": "workspace-note", "metadata": {"coursekit": {"generated": "workspace"}},
            "source": text.splitlines(keepends=True)}
    nb["cells"].insert(1, cell)
    if profile_lines:
        mine = "\n".join([PROFILE_HEADING, "", *profile_lines])
        nb["cells"].insert(2, {"cell_type": "markdown", "id": "profile-items",
                               "metadata": {"coursekit": {"generated": "profile"}},
                               "source": mine.splitlines(keepends=True)})
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
