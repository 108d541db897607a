import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

# nbgrader calls `alembic` from the environment's bin/.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture
def learner_home(tmp_path, monkeypatch):
    """A fresh personal folder for `coursekit check` and `coursekit progress`."""
    home = tmp_path / "learner"
    monkeypatch.setenv("COURSEKIT_HOME", str(home))
    return home


@pytest.fixture
def mini_course(tmp_path, monkeypatch):
    """A tiny course (one two-question module) as COURSEKIT_ROOT, with its release built."""
    import minicourse
    from coursekit.platform.authoring import build
    from coursekit.platform import competencies
    from coursekit.platform import syllabus

    root = minicourse.make(tmp_path / "course_root")
    monkeypatch.setenv("COURSEKIT_ROOT", str(root))
    syllabus._load.cache_clear()
    competencies._load.cache_clear()
    build.build()
    yield root
    syllabus._load.cache_clear()
    competencies._load.cache_clear()
