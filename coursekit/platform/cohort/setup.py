"""``coursekit cohort init`` and ``release``: set up a cohort folder, and hand out an exercise."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config import Config

from coursekit.platform import paths
from coursekit.platform import syllabus
from coursekit.platform.cohort import roster as roster_mod
from coursekit.platform.cohort.folder import CONFIG_NAME, MARK, NOTEBOOK, Cohort
from coursekit.platform.nbgrader_adapter import gradebook as nbgb
from coursekit.platform.nbgrader_adapter.config import failure_line
from coursekit.platform.nbgrader_adapter.release import copy_source
from coursekit.errors import UsageError

HANDOUT_README = """How to do this exercise ({module})

What you need: the notebook uses the course kit (its first cell imports `coursekit`), so open it
where the kit is installed: the JupyterHub your trainer gives you, or your own computer with a copy
of the course (Python 3.10 or newer; in the course folder run `python3 kit.py lab`, which installs
the kit once and opens JupyterLab; then upload {notebook} there with the file browser's upload button).

1. Open {notebook} in JupyterLab (or Jupyter Notebook) and work through it from the top.
2. Save it (Ctrl+S) when you are done.
3. Rename the file to your learner id, for example L0042.ipynb, and upload it where your
   trainer asked. Your trainer grades it and gives you feedback for each question.
"""


@dataclass
class InitReport:
    root: Path
    db_url: str
    modules: list[str]
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    missing_modules: list[str] = field(default_factory=list)
    created: bool = True


def _check_db_url(db_url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(db_url)
    except ArgumentError:
        raise UsageError(f"--db-url {db_url!r} is not a database URL; use e.g. sqlite:////path/gradebook.db "
                         "or postgresql://user@host/dbname")
    if url.get_backend_name() == "sqlite":
        path = nbgb.sqlite_path(db_url)
        if path is None:
            raise UsageError(f"--db-url {db_url!r}: an in-memory database would lose every grade; give a file")
        if not path.is_absolute():
            raise UsageError(f"--db-url {db_url!r}: give an absolute path (sqlite:////abs/path/gradebook.db) "
                             "so every command finds the same file")
    return db_url


def config_text(db_url: str | None, exchange: str | None, course_id: str) -> str:
    """The cohort's nbgrader_config.py: the kit's shared config, then this cohort's settings."""
    shared = paths.course_config_file().read_text(encoding="utf-8")
    lines = [
        f"{MARK}: written by `coursekit cohort init`.",
        "# nbgrader reads this file when you run its commands in this folder (formgrader too), and",
        "# coursekit reads it for every cohort command. The first part is the kit's shared",
        "# configuration (course/nbgrader_config.py); this cohort's own settings follow it.",
        "",
        shared.rstrip(),
        "",
        "# ---- this cohort --------------------------------------------------------------------",
        "import os as _os",
        "",
        "_here = _os.path.dirname(_os.path.abspath(__file__))",
        "c.CourseDirectory.root = _here",
        f"c.CourseDirectory.course_id = {course_id!r}",
    ]
    if db_url:
        # with its driver named, so that nbgrader's own commands (formgrader) open it too
        lines.append(f"c.CourseDirectory.db_url = {nbgb.database_url(db_url)!r}")
    else:
        lines.append("c.CourseDirectory.db_url = 'sqlite:///' + _os.path.join(_here, 'gradebook.db')")
    if exchange:
        lines += ["# Release and collect through nbgrader's exchange (JupyterHub).",
                  f"c.Exchange.root = {exchange!r}"]
    else:
        lines += ["# No exchange: release gives plain files (handout/), collect reads uploaded notebooks.",
                  "# To use nbgrader's exchange, set: c.Exchange.root = '/srv/nbgrader/exchange'"]
    return "\n".join(lines) + "\n"


def init(root: str | Path, roster_csv: str | Path, db_url: str | None = None, exchange: str | None = None,
         course_id: str | None = None) -> InitReport:
    """Create (or bring up to date) a cohort folder. Validates everything before writing anything."""
    learners = roster_mod.read(roster_csv)
    if db_url:
        _check_db_url(db_url)
    if exchange and not Path(exchange).is_absolute():
        raise UsageError(f"--exchange {exchange!r}: give an absolute path, e.g. /srv/nbgrader/exchange")
    if course_id is not None and not roster_mod.ID_PATTERN.fullmatch(course_id):
        raise UsageError(f"--course-id {course_id!r}: use letters, digits, '.', '-' and '_' only")

    root = Path(root).resolve()
    cohort = Cohort(root)
    existing = cohort.config_file.exists()
    if existing:
        return _update(Cohort.open(root), learners, db_url, exchange, course_id)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} is a file; give a folder for the cohort")
    if root.exists() and any(p.name != ".ipynb_checkpoints" for p in root.iterdir()):
        raise UsageError(f"{root} is not empty and not a cohort folder; give a new or empty folder")

    available, missing = [], []
    for module in syllabus.modules():
        (available if module.solution_notebook.exists() else missing).append(module)
    if not available:
        raise UsageError(f"no module of course/syllabus.yml has a source notebook in {paths.solutions_dir()}; "
                         "nothing to run a cohort on")

    created_root = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
        for module in available:
            copy_source(module.solution_notebook.parent, cohort.source_dir(module.id))
        cohort.config_file.write_text(config_text(db_url, exchange, course_id or "coursekit"), encoding="utf-8")
        report = InitReport(root, cohort.db_url, [m.id for m in available],
                            missing_modules=[m.id for m in missing])
        nbgb.stamp_new_gradebook(cohort.db_url)
        _sync_students(cohort, learners, report)
        roster_mod.write(root / "roster.csv", learners)
        for sub in ("submitted", "handout"):
            (root / sub).mkdir(exist_ok=True)
    except BaseException as exc:
        # No half-made cohort: take back what this call created.
        if created_root:
            shutil.rmtree(root, ignore_errors=True)
        else:  # it was empty
            for p in list(root.iterdir()):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        if isinstance(exc, UsageError):
            raise
        if isinstance(exc, Exception):
            where = nbgb.shown_url(db_url) if db_url else "gradebook.db"
            raise UsageError(f"could not set up the gradebook at {where}: "
                             f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        raise
    return report


def _update(cohort: Cohort, learners, db_url, exchange, course_id) -> InitReport:
    """Re-running init on a cohort folder: add new learners and new modules, change nothing else."""
    if db_url and nbgb.database_url(db_url) != nbgb.database_url(cohort.db_url):
        raise UsageError(f"{cohort.root} already uses the gradebook {nbgb.shown_url(cohort.db_url)}; "
                         f"to move it, edit {CONFIG_NAME}")
    if exchange and exchange != cohort.exchange_root:
        raise UsageError(f"{cohort.root} already has its exchange set to {cohort.exchange_root}; to change it, edit {CONFIG_NAME}")
    if course_id and course_id != cohort.course_id:
        raise UsageError(f"{cohort.root} already has the course id {cohort.course_id!r}; it cannot change")
    have = set(cohort.modules())
    added_modules, missing = [], []
    for module in syllabus.modules():
        if module.id in have:
            continue
        if module.solution_notebook.exists():
            copy_source(module.solution_notebook.parent, cohort.source_dir(module.id))
            added_modules.append(module.id)
        else:
            missing.append(module.id)
    report = InitReport(cohort.root, cohort.db_url, cohort.modules(), missing_modules=missing, created=False)
    _sync_students(cohort, learners, report)
    new_ids = {lr.learner_id for lr in learners}
    old = [lr for lr in roster_mod.read_saved(cohort.root / "roster.csv") if lr.learner_id not in new_ids]
    roster_mod.write(cohort.root / "roster.csv", learners + old)
    return report


def _sync_students(cohort: Cohort, learners, report: InitReport) -> None:
    with cohort.gradebook() as gb:
        roster_ids = {lr.learner_id for lr in learners}
        for lr in learners:
            new = nbgb.upsert_student(gb, lr.learner_id, first_name=lr.first_name, last_name=lr.last_name,
                                      email=lr.email)
            (report.added if new else report.updated).append(lr.learner_id)
        report.kept = sorted(s.id for s in gb.students if s.id not in roster_ids)


# ---------------------------------------------------------------------------------------------
# release

@dataclass
class ReleaseReport:
    module: str
    release_dir: Path
    handout_dir: Path
    zip_path: Path
    exchange: str | None = None


def release(cohort: Cohort, module_id: str) -> ReleaseReport:
    cohort.require_module(module_id)
    with cohort.lock("release"):
        cohort.ensure_generated(module_id, force=True)
        from coursekit.platform.cohort.grade import template_db

        template_db(cohort, module_id)  # prepared now, so that grading starts at once
        rel = cohort.release_dir(module_id)
        handout = cohort.root / "handout" / module_id
        tmp = Path(tempfile.mkdtemp(prefix=".handout-", dir=cohort.root / "handout"
                                    if (cohort.root / "handout").is_dir() else None))
        try:
            staged = tmp / module_id
            shutil.copytree(rel, staged)
            (staged / "README.txt").write_text(
                HANDOUT_README.format(module=module_id, notebook=f"{NOTEBOOK}.ipynb"), encoding="utf-8")
            zip_tmp = tmp / f"{module_id}.zip"
            with zipfile.ZipFile(zip_tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                for p in sorted(staged.rglob("*")):
                    if p.is_file():
                        zf.write(p, f"{module_id}/{p.relative_to(staged)}")
            handout.parent.mkdir(parents=True, exist_ok=True)
            if handout.exists():
                shutil.rmtree(handout)
            staged.replace(handout)
            zip_tmp.replace(handout.parent / f"{module_id}.zip")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        exchange = cohort.exchange_root
        if exchange:
            extra = Config()
            extra.ExchangeReleaseAssignment.force = True
            result = cohort.api(extra=extra).release_assignment(module_id)
            if result is None:
                raise UsageError("nbgrader's exchange does not work on Windows; hand out "
                                 f"{handout.parent / (module_id + '.zip')} instead")
            if not result.get("success"):
                raise UsageError(f"the handout files are ready, but releasing to the exchange at {exchange} "
                                 f"failed: {failure_line(result)}")
    return ReleaseReport(module_id, rel, handout, handout.parent / f"{module_id}.zip", exchange)
