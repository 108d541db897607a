"""A cohort folder: an nbgrader course folder that ``coursekit cohort init`` sets up.

Layout (nbgrader's own, plus a few files of the kit)::

    DIR/nbgrader_config.py     the kit's shared config + this cohort's gradebook URL and exchange
    DIR/gradebook.db           the gradebook (unless the config names another database URL)
    DIR/roster.csv             the validated roster (ids, department, profile; for reports)
    DIR/source/<module>/       copied from the kit's solutions/ when the cohort was created
    DIR/release/<module>/      what nbgrader generate_assignment made of it
    DIR/handout/<module>/      the release as plain files, and <module>.zip, to hand out
    DIR/submitted/<learner>/<module>/exercise.ipynb + timestamp.txt
    DIR/autograded/..., DIR/feedback/<learner>/<module>/exercise.html
    DIR/.coursekit/            the kit's bookkeeping: grading records, lock, cached templates

Every nbgrader call for the cohort is configured from ``DIR/nbgrader_config.py``, so a trainer
who edits it (or runs nbgrader's own commands in DIR) gets the same behaviour.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from traitlets.config import Config

from coursekit.errors import UsageError
from coursekit.platform import fileio, nbgrader_adapter, syllabus
from coursekit.platform.nbgrader_adapter import gradebook as nbgb
from coursekit.platform.nbgrader_adapter import release as nbrelease
from coursekit.platform.nbgrader_adapter.gradebook import NOTEBOOK

CONFIG_NAME = "nbgrader_config.py"
MARK = "# coursekit cohort folder"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Cohort:
    """A cohort folder on disk."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self._settings: dict | None = None

    # ---- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, root: str | Path) -> "Cohort":
        cohort = cls(root)
        cfg = cohort.config_file
        if not cohort.root.is_dir():
            raise UsageError(f"{cohort.root}: no such folder; create a cohort with "
                             f"`coursekit cohort init --dir {root} --roster ROSTER.csv`")
        if not cfg.exists():
            raise UsageError(f"{cohort.root} is not a cohort folder (no {CONFIG_NAME}); create one with "
                             f"`coursekit cohort init --dir {root} --roster ROSTER.csv`")
        if MARK not in cfg.read_text(encoding="utf-8", errors="replace"):
            raise UsageError(f"{cfg} was not written by `coursekit cohort init`; use a folder made by it")
        return cohort

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def kit_dir(self) -> Path:
        return self.root / ".coursekit"

    def config(self) -> Config:
        """The cohort's nbgrader config, freshly loaded (callers may change it)."""
        return nbgrader_adapter.load_config(self.config_file)

    def _setting(self, key: str):
        if self._settings is None:
            cfg = self.config()
            cd = cfg.CourseDirectory if "CourseDirectory" in cfg else {}
            ex = cfg.Exchange if "Exchange" in cfg else {}
            self._settings = {
                "db_url": str(cd.get("db_url") or f"sqlite:///{self.root / 'gradebook.db'}"),
                "course_id": str(cd.get("course_id") or "coursekit"),
                "exchange_root": str(ex["root"]) if ex.get("root") else None,
            }
        return self._settings[key]

    @property
    def db_url(self) -> str:
        return self._setting("db_url")

    @property
    def course_id(self) -> str:
        return self._setting("course_id")

    @property
    def exchange_root(self) -> str | None:
        return self._setting("exchange_root")

    def api(self, db_url: str | None = None, extra: Config | None = None):
        """An ``NbGraderAPI`` for this cohort, configured from its nbgrader_config.py."""
        return nbgrader_adapter.api(self.root, db_url or self.db_url, extra, base=self.config())

    def gradebook(self, db_url: str | None = None):
        return nbgb.open_gradebook(db_url or self.db_url, self.course_id)

    # ---- modules -------------------------------------------------------------------------

    def modules(self) -> list[str]:
        """Module ids in this cohort's source/, in syllabus order where the syllabus knows them."""
        src = self.root / "source"
        found = [p.name for p in src.iterdir() if (p / f"{NOTEBOOK}.ipynb").exists()] if src.is_dir() else []
        try:
            order = {m: i for i, m in enumerate(syllabus.module_ids())}
        except UsageError:
            order = {}
        return sorted(found, key=lambda m: (order.get(m, len(order)), m))

    def require_module(self, module_id: str) -> str:
        mods = self.modules()
        if module_id not in mods:
            raise UsageError(f"no module {module_id!r} in this cohort ({self.root / 'source'}); "
                             f"its modules are: {', '.join(mods) or 'none'}")
        return module_id

    def source_dir(self, module_id: str) -> Path:
        return self.root / "source" / module_id

    def module_title(self, module_id: str) -> str:
        """The module's title from the syllabus, or its id for a module the syllabus does not know."""
        from coursekit.platform import syllabus

        try:
            return syllabus.get(module_id).title
        except Exception:
            return module_id

    def source_notebook(self, module_id: str) -> Path:
        return self.source_dir(module_id) / f"{NOTEBOOK}.ipynb"

    def release_dir(self, module_id: str) -> Path:
        return self.root / "release" / module_id

    def submitted_dir(self, learner: str, module_id: str) -> Path:
        return self.root / "submitted" / learner / module_id

    def autograded_notebook(self, learner: str, module_id: str) -> Path:
        return self.root / "autograded" / learner / module_id / f"{NOTEBOOK}.ipynb"

    def feedback_dir(self, learner: str, module_id: str) -> Path:
        return self.root / "feedback" / learner / module_id

    def source_digest(self, module_id: str) -> str:
        return fileio.folder_digest(self.source_dir(module_id))

    def ensure_generated(self, module_id: str, force: bool = False) -> bool:
        """Run generate_assignment when the release is missing or the source changed. True if it ran."""
        stamp = self.kit_dir / "generated" / f"{module_id}.sha256"
        digest = self.source_digest(module_id)
        release = self.release_dir(module_id) / f"{NOTEBOOK}.ipynb"
        if not force and release.exists() and stamp.exists() and stamp.read_text() == digest:
            return False
        nbrelease.generate(self.root, module_id, db_url=self.db_url, base=self.config(),
                           what="generate the module")
        fileio.atomic_write_text(stamp, digest)
        return True

    # ---- learners ------------------------------------------------------------------------

    def learner_ids(self) -> list[str]:
        with self.gradebook() as gb:
            return sorted(s.id for s in gb.students)

    # ---- one command at a time -----------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, what: str):
        """Hold the cohort's lock: two grading runs on one folder would grade the same notebooks.

        The lock is an advisory file lock, so the system releases it when a run is killed.
        """
        self.kit_dir.mkdir(parents=True, exist_ok=True)
        path = self.kit_dir / "lock"
        fh = open(path, "a+")
        try:
            try:
                import fcntl
            except ImportError:  # Windows: no advisory locks; one trainer, one terminal
                fcntl = None
            if fcntl is not None:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    fh.seek(0)
                    holder = fh.read().strip() or "another command"
                    raise UsageError(f"{holder} is running on {self.root}; wait for it to finish, then try again")
            fh.seek(0)
            fh.truncate()
            fh.write(f"`coursekit cohort {what}` (process {os.getpid()})")
            fh.flush()
            yield
        finally:
            fh.close()
