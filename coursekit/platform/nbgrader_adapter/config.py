"""The course's nbgrader configuration and an ``NbGraderAPI`` built from it."""

from __future__ import annotations

import copy
import logging
import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from coursekit.errors import UsageError
from coursekit.platform import paths


def ensure_env_bin_on_path() -> None:
    """nbgrader shells out to ``alembic`` when it creates a gradebook; a failed first run leaves
    a half-made database behind, so make sure the environment's bin/ is found."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def load_config(path: Path | None = None) -> Config:
    """Load an nbgrader config file (default: the course's ``course/nbgrader_config.py``)."""
    path = Path(path) if path is not None else paths.course_config_file()
    if not path.is_file():
        raise UsageError(f"{path}: no such nbgrader configuration; is this the course folder?")
    try:
        return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    except Exception as exc:  # someone's edit broke the file
        raise UsageError(f"{path}: could not be loaded ({exc.__class__.__name__}: {exc}); fix the file")


def course_config(root: Path, db_url: str | None = None, extra: Config | None = None,
                  base: Config | None = None) -> Config:
    """``base`` (default: the course's shared config) rooted at the course folder ``root``."""
    cfg = copy.deepcopy(base) if base is not None else load_config()
    cfg.CourseDirectory.root = str(root)
    from coursekit.platform.nbgrader_adapter.gradebook import database_url

    cfg.CourseDirectory.db_url = database_url(db_url or f"sqlite:///{Path(root) / 'gradebook.db'}")
    if not (base is not None and "Exchange" in cfg and cfg.Exchange.get("root")):
        # nbgrader wants an exchange root even when none is used; keep it inside the folder.
        exchange = Path(root) / ".coursekit" / "no-exchange"
        exchange.mkdir(parents=True, exist_ok=True)
        cfg.Exchange.root = str(exchange)
    if extra is not None:
        cfg.merge(extra)
    return cfg


def api_for(cfg: Config):
    """An ``NbGraderAPI`` for a complete configuration (its ``CourseDirectory.root`` set)."""
    ensure_env_bin_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    quiet = logging.getLogger("coursekit.nbgrader")
    quiet.setLevel(logging.WARNING)
    return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg, log=quiet)


def api(root: Path, db_url: str | None = None, extra: Config | None = None, base: Config | None = None):
    """An ``NbGraderAPI`` for the course folder ``root`` with the course's shared configuration."""
    return api_for(course_config(root, db_url, extra, base))


def preload() -> None:
    """Import nbgrader's application machinery now (a worker does it once, before its first job)."""
    import nbgrader.apps  # noqa: F401


def failure_line(result: dict) -> str:
    """The line of an nbgrader API result that says why it failed."""
    text = ((result.get("error") or "") + "\n" + (result.get("log") or "")).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors or lines or ["unknown error"])[-1][:300]
