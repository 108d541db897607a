"""Where the course lives on disk, for the commands that need it (check, build, cohort, progress).

The course is a folder holding ``course/syllabus.yml``. It is found, in this order:

1. ``COURSEKIT_ROOT``, when set: an explicit setting beats a guess (tests, a hub image, a trainer
   who keeps the course elsewhere);
2. the current folder or one of its parents;
3. the checkout an editable install (``pip install -e``) came from.

Otherwise :func:`course_root` raises one :class:`UsageError` that says what is missing. The learner
toolkit never needs the course: its data ships with the package (``coursekit.datasets``).
``COURSEKIT_HOME`` sets the learner's personal folder (their own gradebook and charts).
"""

from __future__ import annotations

import os
from pathlib import Path

from coursekit.errors import UsageError

MARKER = Path("course") / "syllabus.yml"


def _is_course(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def find_course_root() -> Path | None:
    """The course folder by the rules above, or None when there is none."""
    env = os.environ.get("COURSEKIT_ROOT")
    if env:
        return Path(env).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if _is_course(folder):
            return folder
    checkout = Path(__file__).resolve().parents[2]   # coursekit/platform/paths.py -> the checkout
    if _is_course(checkout):
        return checkout
    return None


def course_root() -> Path:
    root = find_course_root()
    if root is None:
        raise UsageError(
            f"no course found: run this command inside the course folder (the one with {MARKER.as_posix()}), "
            "or set COURSEKIT_ROOT to that folder"
        )
    return root


def learner_home() -> Path:
    """The learner's personal folder: outside the files git tracks (``.learner/`` is ignored)."""
    env = os.environ.get("COURSEKIT_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return course_root() / ".learner"


def syllabus_path() -> Path:
    return course_root() / MARKER


def course_config_file() -> Path:
    """The course's nbgrader configuration, which also holds the kit's grading limits."""
    return course_root() / "course" / "nbgrader_config.py"


def solutions_dir() -> Path:
    return course_root() / "solutions"


def exercises_dir() -> Path:
    return course_root() / "exercises"


def modules_dir() -> Path:
    return course_root() / "modules"


def datasets_dir() -> Path:
    """The dataset files: package data of the learner toolkit, written by ``coursekit datasets build``."""
    from coursekit.datasets import DATA_DIR

    return DATA_DIR


def competencies_dir() -> Path:
    return course_root() / "competencies"


# The self-paced learner's own nbgrader course folder and the id they are graded under.
SELF_LEARNER_ID = "self"
COURSE_ID = "coursekit"


def personal_course_dir() -> Path:
    return learner_home() / "course"


def personal_gradebook_url() -> str:
    return f"sqlite:///{personal_course_dir() / 'gradebook.db'}"
