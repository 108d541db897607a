"""Make an nbgrader API object for a course folder, with the kit's shared configuration."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from coursekit.platform import paths


def _ensure_env_bin_on_path() -> None:
    # nbgrader shells out to `alembic` when it creates a gradebook; a failed first run leaves a
    # half-made database behind, so make sure the environment's bin/ is found.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def course_config(root: Path, db_url: str | None = None, extra: Config | None = None) -> Config:
    """The shared config from course/nbgrader_config.py, rooted at ``root``."""
    cfg_file = paths.course_root() / "course" / "nbgrader_config.py"
    loader = PyFileConfigLoader(cfg_file.name, path=str(cfg_file.parent))
    cfg = loader.load_config()
    cfg.CourseDirectory.root = str(root)
    cfg.CourseDirectory.db_url = db_url or f"sqlite:///{Path(root) / 'gradebook.db'}"
    # Without an exchange nbgrader warns about /usr/local/share; a course folder has its own.
    exchange = Path(root) / "exchange"
    exchange.mkdir(parents=True, exist_ok=True)
    cfg.Exchange.root = str(exchange)
    if extra is not None:
        cfg.merge(extra)
    return cfg


def api(root: Path, db_url: str | None = None, extra: Config | None = None):
    """An ``NbGraderAPI`` for the course folder ``root``."""
    _ensure_env_bin_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    cfg = course_config(root, db_url, extra)
    coursedir = CourseDirectory(config=cfg)
    quiet = logging.getLogger("coursekit.nbgrader")
    quiet.setLevel(logging.WARNING)
    return NbGraderAPI(coursedir=coursedir, config=cfg, log=quiet)
