"""Grade many submissions of one module in a course folder with long-lived grading workers.

The workers are those of ``coursekit cohort grade`` (:mod:`coursekit.platform.cohort.worker`): each
imports nbgrader and warms a sandbox runner once, then grades one submission after another, each
into a private copy of the folder's empty gradebook. ``coursekit build --check`` grades a module's
solution, release, one-answer-removed and wrong-answer variants this way: a fresh process per
variant would pay those seconds of start-up for every variant.
"""

from __future__ import annotations

import json
import queue
import shutil
import time
from pathlib import Path

from coursekit.platform import notebooks, paths
from coursekit.platform.cohort.folder import CONFIG_NAME
from coursekit.platform.cohort.workers import Worker, worker_env
from coursekit.platform.grading.limits import Limits

POLL_SECONDS = 2


def scratch_db(root: Path, learner: str) -> Path:
    """Where :func:`grade_all` records ``learner``'s grades."""
    return Path(root) / f"gradebook-{learner}.db"


def grade_all(root: Path, module_id: str, learners: list[str], limits: Limits, workers: int = 2) -> dict[str, dict]:
    """Autograde ``root/submitted/<learner>/<module_id>`` for each learner (the release generated and
    ``root/gradebook.db`` made already). Returns, per learner, the worker's answer: ``{"ok": True, ...}``
    with the grades in :func:`scratch_db`, or ``{"ok": False, "reason": ...}``."""
    from coursekit.platform.grading.byvalue import imports_of

    root = Path(root)
    if not (root / CONFIG_NAME).exists():      # the workers open the folder as a cohort's
        shutil.copyfile(paths.course_config_file(), root / CONFIG_NAME)
    env = worker_env()
    preload = imports_of(notebooks.read(root / "source" / module_id / "exercise.ipynb"))
    events: queue.Queue = queue.Queue()
    pending, results, ids = list(learners), {}, iter(range(len(learners)))
    wall = limits.notebook_timeout + 30
    pool = [Worker(i, root / "workers", env, limits, events, preload) for i in range(max(1, min(workers, len(learners))))]

    def dispatch(w) -> None:
        w.job = None
        if pending:
            learner = pending.pop(0)
            w.send({"id": next(ids), "root": str(root), "module": module_id, "learner": learner,
                    "template_db": str(root / "gradebook.db"), "scratch_db": str(scratch_db(root, learner))}, wall)

    def give_up(w, reason: str) -> None:
        if w.job is not None:
            results[w.job["learner"]] = {"ok": False, "reason": reason}
        if not w.dead:
            w.kill()
        if all(x.dead for x in pool):
            results.update({learner: {"ok": False, "reason": reason} for learner in pending})
            pending.clear()

    try:
        while len(results) < len(learners):
            try:
                w, line = events.get(timeout=POLL_SECONDS)
            except queue.Empty:
                for w in pool:
                    if w.job is not None and not w.dead and time.monotonic() > w.deadline:
                        give_up(w, f"timed out: the whole notebook took longer than {limits.notebook_timeout} s")
                continue
            if w.dead:
                continue
            if line is None:
                give_up(w, "the grading worker stopped: " + " ".join(w.log_tail().split())[-300:])
                continue
            msg = json.loads(line)
            if "ready" in msg:
                if msg["ready"]:
                    dispatch(w)
                else:
                    give_up(w, f"the grading worker could not start: {msg.get('error', '')}")
                continue
            results[w.job["learner"]] = msg
            dispatch(w)
    finally:
        for w in pool:
            if not w.dead:
                w.stop()
    return results
