"""Grade one notebook for a self-paced learner and record the result (``coursekit check``).

The learner's personal nbgrader course lives in ``paths.personal_course_dir()`` (outside the files
git tracks). Its source is a copy of the kit's ``solutions/<module>``; its gradebook keeps every
check, which ``coursekit progress`` reads as self-paced evidence.

``python -m coursekit.platform.grading.check NOTEBOOK`` prints the result as one JSON object with
its text and HTML renderings: the check cell at the end of every exercise
(:mod:`coursekit.selfcheck`) runs it in a subprocess, so the learner's kernel never loads the
grading machinery.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from coursekit.errors import UsageError
from coursekit.platform import fileio, paths
from coursekit.platform.grading.limits import Limits
from coursekit.platform.grading.results import CheckResult, RunStatus


def prepare_course(module, root: Path) -> None:
    """Copy the module's source into the personal course and (re)generate it when it changed."""
    from coursekit.platform.nbgrader_adapter import release

    src = module.solution_notebook.parent
    if not module.solution_notebook.exists():
        raise UsageError(f"module {module.id} has no source notebook at {module.solution_notebook}")
    stamp = root / ".stamps" / f"{module.id}.sha256"
    digest = fileio.folder_digest(src)
    if stamp.exists() and stamp.read_text() == digest and (root / "gradebook.db").exists():
        return
    release.copy_source(src, root / "source" / module.id)
    forget_outdated_check(root, module.id)
    release.generate(root, module.id, what="prepare the module for checking")
    fileio.atomic_write_text(stamp, digest)


def forget_outdated_check(root: Path, module_id: str) -> None:
    """Drop the learner's last check of an earlier version of this module from the personal gradebook.

    nbgrader refuses to regenerate an assignment whose graded cells changed while a submission
    refers to them. The check that follows grades the learner's notebook again and replaces that
    submission anyway (nbgrader keeps one per learner and module), so nothing counted is lost;
    without this, a course update that adds or renames a question would stop ``coursekit check``.
    """
    from coursekit.platform.nbgrader_adapter import gradebook

    if not (root / "gradebook.db").exists():
        return
    with gradebook.open_gradebook(f"sqlite:///{root / 'gradebook.db'}", paths.COURSE_ID) as gb:
        if paths.SELF_LEARNER_ID in gradebook.submitted_learners(gb, module_id):
            gb.remove_submission(module_id, paths.SELF_LEARNER_ID)


def identify_module(nb, path: Path):
    from coursekit.platform import notebooks, syllabus

    mid = notebooks.module_id_of(nb, path)
    known = syllabus.module_ids()
    if mid not in known:
        raise UsageError(
            f"{path}: this notebook belongs to no module of the course (found {mid!r}); "
            f"check an exercise from exercises/<module>/, one of: {', '.join(known)}"
        )
    return syllabus.get(mid)


def refuse_model_answers(path: Path) -> None:
    """A notebook in the course's ``solutions/`` folder holds the model answers: its score would
    be recorded as the learner's own evidence, so it is not checked."""
    where = path.resolve()
    solutions = paths.solutions_dir().resolve()
    if where.is_relative_to(solutions):
        module = where.relative_to(solutions).parts[0] if where != solutions else "<module>"
        raise UsageError(
            f"{path}: this is the course's model answer (solutions/), not your work; "
            f"check your own exercise instead, e.g. exercises/{module}/exercise.ipynb"
        )


def check(path: str | Path, limits: Limits | None = None) -> CheckResult:
    from coursekit.platform import notebooks
    from coursekit.platform.grading import limits as limits_mod
    from coursekit.platform.grading.results import question_results
    from coursekit.platform.nbgrader_adapter import gradebook

    path = Path(path)
    refuse_model_answers(path)
    nb = notebooks.read(path)          # clear UsageError for a missing, empty or broken file
    module = identify_module(nb, path)
    limits = limits or limits_mod.resolve()
    root = paths.personal_course_dir()
    root.mkdir(parents=True, exist_ok=True)
    prepare_course(module, root)

    student = paths.SELF_LEARNER_ID
    submitted = root / "submitted" / student / module.id
    if submitted.exists():
        shutil.rmtree(submitted)
    submitted.mkdir(parents=True)
    shutil.copyfile(path, submitted / f"{gradebook.NOTEBOOK}.ipynb")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    (submitted / "timestamp.txt").write_text(now)

    run = _grade(root, module.id, student, limits)
    if not run.ok:
        return CheckResult(module.id, module.title, RunStatus.FAILED, run.reason, isolation=run.isolation)
    graded_nb = notebooks.read(root / "autograded" / student / module.id / f"{gradebook.NOTEBOOK}.ipynb")
    if run.scores is not None:
        scores = {gid: gradebook.QuestionScore(**q) for gid, q in run.scores.items()}
    else:
        with gradebook.open_gradebook(paths.personal_gradebook_url(), paths.COURSE_ID) as gb:
            scores = gradebook.question_scores(gb, module.id, student)
    return CheckResult(module.id, module.title, RunStatus.GRADED, "", question_results(graded_nb, scores, limits.cell_timeout),
                       run.isolation)


def _grade(root: Path, module_id: str, student: str, limits: Limits):
    """Through the learner's warm grader when it can take the job; otherwise in a new process."""
    from coursekit.platform.grading import autograde, warmgrader

    answer = warmgrader.grade(autograde.job(root, module_id, student, limits),
                              limits.notebook_timeout + 30 + warmgrader.START_WAIT_SECONDS)
    if answer is not None:
        return autograde.result_of(answer)
    return autograde.run_autograde(root, module_id, student, limits)


def main(argv: list[str]) -> int:
    """For the check cell: one JSON line, {"text", "html", "result"} or {"error"}."""
    if len(argv) != 1:
        print(json.dumps({"error": "usage: python -m coursekit.platform.grading.check NOTEBOOK"}))
        return 2
    try:
        result = check(argv[0])
    except UsageError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps({"text": str(result), "html": result._repr_html_(), "result": result.as_json()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
