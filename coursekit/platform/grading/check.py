"""``coursekit check``: grade one notebook for a self-paced learner and record the result.

The learner's personal nbgrader course lives in ``paths.personal_course_dir()`` (outside the files
git tracks). Its source is a copy of the kit's ``solutions/<module>``; its gradebook keeps every
check, which ``coursekit progress`` reads as self-paced evidence.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from coursekit.platform import paths
from coursekit.errors import UsageError

if TYPE_CHECKING:
    from coursekit.platform import syllabus
    from coursekit.platform.grading.autograde import Limits, QuestionResult

# nbgrader, nbformat and the grading machinery are imported where they are used: every exercise
# ends with `from coursekit.selfcheck import check_this_notebook`, and nbgrader runs that import
# in each notebook it grades, where the cell then does nothing.


@dataclass
class CheckResult:
    module: str
    title: str
    status: str                  # graded or failed
    reason: str = ""
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(q.points or 0 for q in self.questions if q.autograded)

    @property
    def max(self) -> float:
        return sum(q.max_points for q in self.questions if q.autograded)

    def as_json(self) -> dict:
        out = {"module": self.module, "total": self.total, "max": self.max, "status": self.status,
               "questions": [q.as_json() for q in self.questions]}
        if self.reason:
            out["reason"] = self.reason
        return out


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and ".ipynb_checkpoints" not in p.parts:
            h.update(str(p.relative_to(folder)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def prepare_course(module: syllabus.Module, root: Path) -> None:
    """Copy the module's source into the personal course and (re)generate it when it changed."""
    src = module.solution_notebook.parent
    if not module.solution_notebook.exists():
        raise UsageError(f"module {module.id} has no source notebook at {module.solution_notebook}")
    stamp = root / ".stamps" / f"{module.id}.sha256"
    digest = _digest(src)
    if stamp.exists() and stamp.read_text() == digest and (root / "gradebook.db").exists():
        return
    dest = root / "source" / module.id
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    from coursekit.platform import nbgrader_adapter

    result = nbgrader_adapter.api(root).generate_assignment(module.id, force=True)
    if not result.get("success"):
        raise UsageError(f"could not prepare module {module.id} for checking: {(result.get('error') or '').strip()[-300:]}")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)


def identify_module(nb, path: Path) -> syllabus.Module:
    from coursekit.platform import notebooks
    from coursekit.platform import syllabus

    mid = notebooks.module_id_of(nb, path)
    known = syllabus.module_ids()
    if mid not in known:
        raise UsageError(
            f"{path}: this notebook belongs to no module of the course (found {mid!r}); "
            f"check an exercise from exercises/<module>/, one of: {', '.join(known)}"
        )
    return syllabus.get(mid)


def check(path: str | Path, limits: Limits | None = None) -> CheckResult:
    from coursekit.platform.grading import autograde
    from coursekit.platform import notebooks
    from coursekit.platform.grading.autograde import Limits

    path = Path(path)
    nb = notebooks.read(path)          # clear UsageError for a missing, empty or broken file
    module = identify_module(nb, path)
    limits = limits or Limits()
    root = paths.personal_course_dir()
    root.mkdir(parents=True, exist_ok=True)
    prepare_course(module, root)

    student = paths.SELF_LEARNER_ID
    submitted = root / "submitted" / student / module.id
    if submitted.exists():
        shutil.rmtree(submitted)
    submitted.mkdir(parents=True)
    shutil.copyfile(path, submitted / f"{autograde.NOTEBOOK_NAME}.ipynb")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    (submitted / "timestamp.txt").write_text(now)

    run = autograde.run_autograde(root, module.id, student, limits)
    if not run.ok:
        return CheckResult(module.id, module.title, "failed", run.reason)
    graded_path = root / "autograded" / student / module.id / f"{autograde.NOTEBOOK_NAME}.ipynb"
    graded_nb = notebooks.read(graded_path)
    grades = autograde.gradebook_grades(paths.personal_gradebook_url(), module.id, student)
    questions = autograde.question_results(graded_nb, grades, limits.cell_timeout)
    return CheckResult(module.id, module.title, "graded", "", questions)


def report_text(result: CheckResult) -> str:
    """The learner-facing report that ``coursekit check`` prints."""
    from coursekit.cli.check import format_report

    return format_report(result)


def check_this_notebook(limits: Limits | None = None) -> None:
    """Grade the notebook this is called from (its last saved version) and print the report.

    JupyterLab tells the kernel which notebook it belongs to (``JPY_SESSION_NAME``). While nbgrader
    itself grades the notebook, or outside JupyterLab, this only says how to check.
    """
    import os

    if os.environ.get("NBGRADER_EXECUTION"):
        return  # being graded: never grade recursively
    session = os.environ.get("JPY_SESSION_NAME", "")
    if not session.endswith(".ipynb") or not Path(session).exists():
        print("To check this exercise, save it (Ctrl+S) and run in a terminal:\n"
              "    coursekit check exercises/<module>/exercise.ipynb")
        return
    print("Checking the last saved version of this notebook (save with Ctrl+S first) ...", flush=True)
    try:
        result = check(session, limits)
    except UsageError as exc:
        print(f"Could not check this notebook: {exc}")
        return
    from IPython.display import HTML, display

    from coursekit.cli.check import format_report_html

    # A table in the notebook; plain text wherever HTML is not shown (a terminal, a log).
    if _in_notebook():
        display(HTML(format_report_html(result)))
    else:
        print(report_text(result))


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"
