"""Where the course lives on disk.

The kit is installed in editable mode from its repository, so the course root is the folder
above this package. ``COURSEKIT_ROOT`` overrides it (tests use a copy of the course);
``COURSEKIT_HOME`` sets the learner's personal folder (their own gradebook and charts).
"""

from __future__ import annotations

import os
from pathlib import Path


def course_root() -> Path:
    env = os.environ.get("COURSEKIT_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


def learner_home() -> Path:
    """The learner's personal folder: outside the files git tracks (``.learner/`` is ignored)."""
    env = os.environ.get("COURSEKIT_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return course_root() / ".learner"


def syllabus_path() -> Path:
    return course_root() / "course" / "syllabus.yml"


def solutions_dir() -> Path:
    return course_root() / "solutions"


def exercises_dir() -> Path:
    return course_root() / "exercises"


def modules_dir() -> Path:
    return course_root() / "modules"


def datasets_dir() -> Path:
    return course_root() / "datasets"


def competencies_dir() -> Path:
    return course_root() / "competencies"


# The self-paced learner's own nbgrader course folder and the id they are graded under.
SELF_LEARNER_ID = "self"
COURSE_ID = "coursekit"


def personal_course_dir() -> Path:
    return learner_home() / "course"


def personal_gradebook_url() -> str:
    return f"sqlite:///{personal_course_dir() / 'gradebook.db'}"
