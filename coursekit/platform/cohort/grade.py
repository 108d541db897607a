"""``coursekit cohort grade``: autograde a module's submissions in parallel, with limits.

How a batch runs
----------------
1. Each submission is read first. A file that is not a notebook, or is the notebook of another
   module, is ``failed`` with that reason on the spot: nbgrader would give it a silent zero.
2. A submission whose notebook (and the module's source) is byte-for-byte what was last graded
   successfully is ``skipped``. The record (``.coursekit/grades/<module>/<learner>.json``, with the
   SHA-256 of both) is written only after the grade is in the gradebook.
3. The rest go to N long-lived worker processes (``coursekit.platform.cohort.worker``), each running
   nbgrader's autograde with the sandbox kernel, a per-cell time limit and a memory limit; the
   parent enforces a wall-clock limit per notebook by killing the worker and its kernel.
4. Gradebook writes. SQLite lets one writer in at a time, and nbgrader's autograde commits a dozen
   times per notebook, so parallel autogrades on one SQLite file meet "database is locked". Each
   worker therefore autogrades against its own scratch copy of an empty gradebook that already
   holds the module (made once and cached), and the parent, the only writer of the cohort's
   gradebook, merges each result in one transaction. The same path works for a PostgreSQL
   gradebook. A batch killed at any point loses nothing already merged: the next run skips
   what was recorded and grades the rest.

   Measured on 2 cores (24 notebooks of the test course): autograding straight into one SQLite
   file with SQLite's lock wait set to 0 failed 20 of 24 notebooks with 4 workers and 21 of 24
   with 8, so nearly every notebook meets a lock; with pysqlite's default 5 s wait all passed, at
   the speed of merging (22.4 s against 22.6 s with 4 workers). Writing straight therefore works
   only while every wait stays under the timeout, which a slow disk (a home folder on NFS under
   JupyterHub) or more workers can break; merging has no such limit and costs nothing measurable.
   ``--db-writes direct`` (hidden) keeps the straight path for such measurements.
"""

from __future__ import annotations

import enum
import json
import os
import queue
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from coursekit.errors import UsageError
from coursekit.platform import fileio, notebooks
from coursekit.platform.cohort.folder import NOTEBOOK, Cohort, sha256_file
from coursekit.platform.cohort.workers import Worker, worker_env
from coursekit.platform.grading import limits as limits_mod
from coursekit.platform.grading.limits import Limits
from coursekit.platform.nbgrader_adapter import gradebook as nbgb
from coursekit.platform.nbgrader_adapter import release as nbrelease

REASONS = {
    "unreadable": "unreadable notebook",
    "module": "notebook of another module",
    "missing": "no notebook",
    "timeout": "timed out",
    "crash": "grader crashed",
    "oom": "out of memory",
    "save": "could not save the grade",
}


class SubmissionStatus(str, enum.Enum):
    """How one submission ended in a batch: never a silent zero."""

    GRADED = "graded"
    FAILED = "failed"      # not graded, with a reason (unreadable, timed out, ...)
    SKIPPED = "skipped"    # unchanged since it was last graded

    def __str__(self) -> str:
        return self.value


GRADED, FAILED, SKIPPED = SubmissionStatus.GRADED, SubmissionStatus.FAILED, SubmissionStatus.SKIPPED


@dataclass
class Outcome:
    learner: str
    status: SubmissionStatus
    reason: str = ""
    score: float | None = None
    max_score: float | None = None
    notes: list[str] = field(default_factory=list)
    manual_pending: int = 0
    seconds: float | None = None
    isolation: str = ""

    def as_json(self) -> dict:
        out = {"learner": self.learner, "status": self.status.value, "reason": self.reason,
               "score": self.score, "max_score": self.max_score}
        if self.notes:
            out["notes"] = self.notes
        if self.manual_pending:
            out["manual_pending"] = self.manual_pending
        if self.seconds is not None:
            out["seconds"] = self.seconds
        if self.isolation:
            out["isolation"] = self.isolation
        return out


@dataclass
class GradeReport:
    module: str
    outcomes: list[Outcome]
    workers: int
    seconds: float
    db_writes: str = "merge"
    isolation: str = ""

    def count(self, status: SubmissionStatus) -> int:
        return sum(o.status == status for o in self.outcomes)

    def as_json(self) -> dict:
        return {"module": self.module,
                "submissions": [o.as_json() for o in sorted(self.outcomes, key=lambda o: o.learner)],
                "counts": {s.value: self.count(s) for s in SubmissionStatus},
                "workers": self.workers, "seconds": round(self.seconds, 2), "isolation": self.isolation}

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is FAILED]

    @property
    def limited(self) -> list[Outcome]:
        """Graded, but learner code hit a limit on some question."""
        return [o for o in self.outcomes if o.status is GRADED and o.notes]

    @property
    def scored(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.score is not None and o.max_score]

    @property
    def mean_score(self) -> float | None:
        return sum(o.score for o in self.scored) / len(self.scored) if self.scored else None

    def __str__(self) -> str:
        """The trainer's summary that ``coursekit cohort grade`` prints."""
        lines = [f"{self.module}: {len(self.outcomes)} submissions in {self.seconds:.1f} s with {self.workers} "
                 f"worker(s): {self.count(GRADED)} graded, {self.count(FAILED)} failed, "
                 f"{self.count(SKIPPED)} skipped as unchanged"]
        if self.isolation:
            from coursekit.platform.grading.isolation import EXPLAIN, Level

            lines.append(f"isolation: {self.isolation} ({EXPLAIN[Level(self.isolation)]})")
        if self.failed:
            lines.append("failed (no grade was recorded; fix and collect again, then grade):")
            lines += [f"  {o.learner}: {o.reason}" for o in self.failed]
        if self.limited:
            lines.append("graded, but learner code hit a limit:")
            lines += [f"  {o.learner}: {'; '.join(o.notes)}" for o in self.limited]
        if self.scored:
            lines.append(f"mean autograded score {self.mean_score:.1f} / {self.scored[0].max_score:g}; "
                         f"written answers to grade by hand: {sum(o.manual_pending for o in self.scored)} (formgrader)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from coursekit.platform.rendering import render

        return render("grade_report.html.j2", report=self, graded=self.count(GRADED), failed_n=self.count(FAILED),
                      skipped=self.count(SKIPPED))


# ---------------------------------------------------------------------------------------------
# Records of what was graded

class Records:
    """One small JSON file per learner, replaced atomically: a kill can never leave half a record."""

    def __init__(self, cohort: Cohort, module_id: str):
        self.dir = cohort.kit_dir / "grades" / module_id

    def get(self, learner: str) -> dict | None:
        try:
            return json.loads((self.dir / f"{learner}.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def put(self, learner: str, record: dict) -> None:
        fileio.atomic_write_text(self.dir / f"{learner}.json", json.dumps(record, indent=1))


# ---------------------------------------------------------------------------------------------
# Before grading: is it a notebook of this module at all?

def precheck(path: Path, module_id: str) -> str | None:
    """A failure reason, or None when the file is a notebook of ``module_id``."""
    if not path.exists():
        return f"{REASONS['missing']}: the submission has no {NOTEBOOK}.ipynb"
    try:
        nb = notebooks.read(path)
    except UsageError as exc:
        detail = str(exc).split(": ", 1)[-1]
        return f"{REASONS['unreadable']}: {detail}"
    meta = nb.metadata.get("coursekit") if isinstance(nb.metadata.get("coursekit"), dict) else {}
    found = meta.get("module") if meta else None
    if found != module_id:
        said = f"its metadata says {found!r}" if found else "it has no coursekit.module metadata"
        return f"{REASONS['module']}: {said}, expected {module_id!r}; ask the learner for the {module_id} exercise"
    return None


# ---------------------------------------------------------------------------------------------
# The scratch gradebook every worker starts from

def template_db(cohort: Cohort, module_id: str) -> Path:
    """An SQLite gradebook holding only this module's assignment; cached per source digest."""
    digest = cohort.source_digest(module_id)
    cache = cohort.kit_dir / "templates"
    path = cache / f"{module_id}-{digest[:16]}.db"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob(f"{module_id}-*.db"):
        old.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="coursekit-template-") as tmp:
        root = Path(tmp)
        base = cohort.config()
        nbrelease.copy_source(cohort.source_dir(module_id), root / "source" / module_id, base)
        db = root / "template.db"
        # the cohort gradebook's schema version up front: no slow alembic look-up per template
        nbgb.stamp_new_gradebook(f"sqlite:///{db}", nbgb.schema_version(cohort.db_url))
        nbrelease.generate(root, module_id, db_url=f"sqlite:///{db}", base=base,
                           what="prepare the module for grading")
        fileio.atomic_copy(db, path)
    return path


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


# ---------------------------------------------------------------------------------------------
# The batch

def grade(cohort: Cohort, module_id: str, workers: int | None = None, force: bool = False,
          limits: Limits | None = None, progress: bool = True, db_writes: str = "merge",
          allow_unisolated: bool = False, learners: list[str] | None = None) -> GradeReport:
    """Grade the submissions of ``module_id`` (only those of ``learners``, when given)."""
    from coursekit.platform.grading import isolation

    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: give 1 or more (default: the number of cores)")
    level = isolation.probe().level
    if level is isolation.Level.NONE and not allow_unisolated:
        raise UsageError(f"{isolation.EXPLAIN[level]}. Grade on Linux 5.13 or later (a JupyterHub server or a "
                         "Linux machine), or, if you trust every submission, add --allow-unisolated")
    cohort.require_module(module_id)
    limits = limits or limits_mod.resolve(cohort.config())
    workers = workers or default_workers()
    if db_writes not in ("merge", "direct"):
        raise ValueError(db_writes)
    started = time.monotonic()
    with cohort.lock("grade"):
        _remove_last_run_dir(cohort)      # even when this run has nothing to grade
        cohort.ensure_generated(module_id)
        subs = sorted(p.parent.name for p in (cohort.root / "submitted").glob(f"*/{module_id}") if p.is_dir())
        if not subs:
            raise UsageError(f"no submissions of {module_id} in {cohort.root / 'submitted'}; "
                             f"collect them first: coursekit cohort collect {module_id} --from UPLOADS")
        if learners is not None:
            subs = _only(subs, learners, module_id)
        source_digest = cohort.source_digest(module_id)
        records = Records(cohort, module_id)
        outcomes: dict[str, Outcome] = {}
        jobs: list[dict] = []
        main_gb = cohort.gradebook()
        try:
            in_gradebook = nbgb.submitted_learners(main_gb, module_id)
            for learner in subs:
                nb_path = cohort.submitted_dir(learner, module_id) / f"{NOTEBOOK}.ipynb"
                why = precheck(nb_path, module_id)
                digest = sha256_file(nb_path) if nb_path.exists() else ""
                if why:
                    outcomes[learner] = Outcome(learner, FAILED, why)
                    records.put(learner, {"status": FAILED.value, "reason": why, "sha256": digest,
                                          "source": source_digest, "time": _now()})
                    continue
                rec = records.get(learner)
                if (not force and rec and rec.get("status") == GRADED.value and rec.get("sha256") == digest
                        and rec.get("source") == source_digest and learner in in_gradebook):
                    outcomes[learner] = Outcome(learner, SKIPPED, "unchanged since it was graded",
                                                rec.get("score"), rec.get("max_score"), rec.get("notes", []),
                                                rec.get("manual_pending", 0), isolation=rec.get("isolation", ""))
                    continue
                jobs.append({"learner": learner, "sha256": digest})

            if jobs:
                _run(cohort, module_id, jobs, workers, limits, progress, db_writes, main_gb, records,
                     source_digest, outcomes, total=len(subs), done=len(subs) - len(jobs))
        finally:
            main_gb.close()
    return GradeReport(module_id, [outcomes[k] for k in sorted(outcomes)], workers,
                       time.monotonic() - started, db_writes, level.value)


def _only(subs: list[str], learners: list[str], module_id: str) -> list[str]:
    """The submissions of ``learners`` (several trainers sharing a gradebook split a cohort this way).

    An id without a submission is an error, not a silent nothing: it is most likely a typo.
    """
    missing = sorted(set(learners) - set(subs))
    if missing:
        raise UsageError(f"--learners: no submission of {module_id} from {', '.join(missing)}; "
                         "collect it first, or check the ids against the roster")
    return [s for s in subs if s in set(learners)]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _remove_last_run_dir(cohort: Cohort) -> None:
    """The scratch folder of a run that was killed before it could clean up."""
    note = cohort.kit_dir / "last-run-dir"
    try:
        old = Path(note.read_text(encoding="utf-8").strip())
        if old.name.startswith("ck-grade-") and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass


def _new_run_dir(cohort: Cohort) -> Path:
    """A scratch folder for this run's workers, kernels and scratch gradebooks.

    It lives in the system's temporary folder, because IPC socket paths have a length limit that a
    deep cohort folder could exceed. Its path is noted in the cohort folder, so that the next run
    removes it if this one is killed before it can clean up.
    """
    note = cohort.kit_dir / "last-run-dir"
    _remove_last_run_dir(cohort)
    run_dir = Path(tempfile.mkdtemp(prefix="ck-grade-"))
    fileio.atomic_write_text(note, str(run_dir))
    return run_dir


def _run(cohort, module_id, jobs, n_workers, limits, progress, db_writes, main_gb, records,
         source_digest, outcomes, total, done) -> None:
    from tqdm import tqdm

    run_dir = _new_run_dir(cohort)
    env = worker_env()

    events: queue.Queue = queue.Queue()
    pending = list(reversed(jobs))
    from coursekit.platform.grading.byvalue import imports_of

    preload = imports_of(notebooks.read(cohort.source_notebook(module_id)))
    pool: list[Worker] = []
    n_workers = min(n_workers, len(jobs))
    worker_ids = iter(range(10**9))
    # Workers take a few seconds to import nbgrader: start them first, and prepare the scratch
    # gradebook (usually cached) meanwhile.
    try:
        for _ in range(n_workers):
            pool.append(Worker(next(worker_ids), run_dir, env, limits, events, preload))
        template = template_db(cohort, module_id) if db_writes == "merge" else None
    except BaseException:
        for w in pool:
            w.kill()
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    counter = iter(range(10**9))
    bar = tqdm(total=total, initial=done, desc=f"grading {module_id}", unit="nb", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    counts = {s.value: sum(o.status is s for o in outcomes.values()) for s in SubmissionStatus}

    def finish(outcome: Outcome, sha: str) -> None:
        outcomes[outcome.learner] = outcome
        rec = {"status": outcome.status.value, "reason": outcome.reason, "sha256": sha, "source": source_digest,
               "score": outcome.score, "max_score": outcome.max_score, "notes": outcome.notes,
               "manual_pending": outcome.manual_pending, "isolation": outcome.isolation, "time": _now()}
        records.put(outcome.learner, rec)
        counts[outcome.status.value] += 1
        bar.set_postfix(counts, refresh=False)
        bar.update(1)

    def dispatch(w: Worker) -> None:
        job = pending.pop()
        job = dict(job, id=next(counter), root=str(cohort.root), module=module_id)
        if template is not None:
            job["template_db"] = str(template)
            job["scratch_db"] = str(w.dir / f"scratch-{job['id']}.db")
        else:
            job["db_url"] = cohort.db_url
            job["sqlite_timeout"] = int(os.environ.get("COURSEKIT_SQLITE_TIMEOUT", "5"))
        # The learner's run and the tests' run each have the notebook limit; this catches a stuck grader.
        w.send(job, 2 * limits.notebook_timeout + 60)

    def result_of(job: dict, res: dict) -> None:
        learner = job["learner"]
        if not res.get("ok"):
            finish(Outcome(learner, FAILED, res.get("reason") or "nbgrader could not grade it",
                           seconds=res.get("seconds")), job["sha256"])
            return
        try:
            if template is not None:
                nbgb.merge_submission(main_gb, f"sqlite:///{job['scratch_db']}", module_id, learner, cohort.course_id)
            total = nbgb.submission_score(main_gb, module_id, learner)
        except Exception as exc:
            finish(Outcome(learner, FAILED, f"{REASONS['save']}: {exc.__class__.__name__}: {exc}"[:300]),
                   job["sha256"])
            return
        finally:
            if job.get("scratch_db"):
                Path(job["scratch_db"]).unlink(missing_ok=True)
        finish(Outcome(learner, GRADED, "", total.score, total.max_score, res.get("notes", []), total.pending,
                       res.get("seconds"), res.get("isolation", "")), job["sha256"])

    def _handle(w: Worker, line: str | None) -> None:
        if line is None:  # the worker died
            w.dead = True
            code = w.proc.wait()
            w.log.close()
            if w.job:
                job, w.job = w.job, None
                if code == -getattr(signal, "SIGKILL", 9):
                    why = f"{REASONS['oom']}: the system stopped the grader, most likely for lack of memory"
                else:
                    tail = w.log_tail().strip().splitlines()
                    why = f"{REASONS['crash']} (exit {code}): {tail[-1][:200] if tail else 'no message'}"
                finish(Outcome(job["learner"], FAILED, why), job["sha256"])
            elif not w.ready:
                raise UsageError(f"a grading worker could not start (exit {code}): "
                                 f"{(w.log_tail().strip().splitlines() or ['no message'])[-1][:300]}")
            return
        msg = json.loads(line)
        if msg.get("ready") is False:
            raise UsageError(f"a grading worker could not start: {msg.get('error', 'no message')[:300]}")
        if msg.get("ready"):
            w.ready = True
            return
        if w.job and msg.get("id") == w.job.get("id"):
            job = w.job
            w.job = None
            if pending:
                dispatch(w)  # keep the worker busy while the parent saves this result
            result_of(job, msg)

    try:
        while pending or any(w.job for w in pool):
            pool = [w for w in pool if not w.dead]
            busy = sum(bool(w.job) for w in pool)
            while len(pool) < n_workers and len(pool) < len(pending) + busy:
                pool.append(Worker(next(worker_ids), run_dir, env, limits, events, preload))
            for w in pool:
                if w.ready and w.job is None and pending:
                    dispatch(w)
            try:
                w, line = events.get(timeout=0.2)
            except queue.Empty:
                w, line = None, ""
            if w is not None and not w.dead:  # (a late message from a killed worker is ignored)
                _handle(w, line)
            now = time.monotonic()
            for w in pool:
                if w.job and not w.dead and now > w.deadline:
                    job = w.job
                    w.kill()
                    finish(Outcome(job["learner"], FAILED,
                                   f"{REASONS['timeout']}: the whole notebook took longer than "
                                   f"{limits.notebook_timeout} s"), job["sha256"])
    finally:
        for w in pool:
            if not w.dead:
                if w.job:
                    w.kill()
                else:
                    w.stop()
        bar.close()
        shutil.rmtree(run_dir, ignore_errors=True)
