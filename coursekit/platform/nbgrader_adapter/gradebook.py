"""nbgrader's gradebook: the score rule, opening and stamping gradebooks, merging graded work.

The score rule
--------------
One rule decides what a graded question counts for, everywhere in the kit (a learner's check, a
cohort's grades, evidence for progress and pledges; the fast SQL reader in
:mod:`.gradebook_read` states the same rule in SQL and a test holds the two together):

- the score is nbgrader's ``Grade.score``: the trainer's manual score when there is one, else the
  autograder's, plus any extra credit;
- a written answer (graded by hand) with no manual score yet is *pending*: no score, not zero;
- extra credit counts up to full marks: the counted score never exceeds the question's points.

See ``competencies/README.md`` for how counted scores become evidence.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from coursekit.platform.nbgrader_adapter.config import ensure_env_bin_on_path

NOTEBOOK = "exercise"   # the one notebook of every module; the nbgrader assignment id is the module id


def counted_score(*, manual: float | None, auto: float | None, extra: float | None, max_score: float,
                  written: bool) -> float | None:
    """The score a question counts for, by the rule above; None while it has none (pending)."""
    if manual is not None:
        base = manual
    elif written or auto is None:
        return None
    else:
        base = auto
    return min(float(base) + float(extra or 0.0), float(max_score))


@dataclass(frozen=True)
class QuestionScore:
    grade_id: str
    score: float | None      # counted score; None while a written answer awaits a trainer
    max_score: float
    written: bool


def _written(grade) -> bool:
    from nbgrader.api import SolutionCell

    if grade.cell.cell_type == "markdown":
        return True
    return any(isinstance(c, SolutionCell) and c.name == grade.name for c in grade.notebook.notebook.solution_cells)


def question_scores(gb, module_id: str, student: str) -> dict[str, QuestionScore]:
    """grade_id -> :class:`QuestionScore` for one submission in an open Gradebook."""
    gb.db.expire_all()
    nb = gb.find_submission_notebook(NOTEBOOK, module_id, student)
    out = {}
    for g in nb.grades:
        written = _written(g)
        out[g.name] = QuestionScore(g.name, counted_score(manual=g.manual_score, auto=g.auto_score,
                                                          extra=g.extra_credit, max_score=g.max_score or 0,
                                                          written=written),
                                    float(g.max_score or 0), written)
    return out


def manual_comments(gb, module_id: str, student: str) -> dict[str, str]:
    """grade_id -> the comment a trainer wrote on that cell of one submission (empty ones left out)."""
    nb = gb.find_submission_notebook(NOTEBOOK, module_id, student)
    return {c.name: c.manual_comment for c in nb.comments if c.manual_comment}


def open_gradebook(db_url: str, course_id: str = "coursekit", *, lock_wait: int = 60):
    """nbgrader's ``Gradebook`` (a context manager); SQLite waits up to ``lock_wait`` s for a lock."""
    from nbgrader.api import Gradebook

    ensure_env_bin_on_path()
    return Gradebook(with_sqlite_timeout(database_url(db_url), lock_wait), course_id=course_id)


# The driver the kit installs for each database that has several (SQLAlchemy's default for
# ``postgresql://`` is psycopg2, which the kit does not install).
DRIVERS = {"postgresql": "psycopg"}


def database_url(db_url: str) -> str:
    """The URL to open a gradebook with: a URL that names no driver gets the one the kit installs.

    Trainers type ``postgresql://grader@db.internal/cohort``, as PostgreSQL's own tools write it;
    that becomes ``postgresql+psycopg://...`` (psycopg 3). Every URL the kit opens or hands to
    nbgrader passes through here; any other URL is returned unchanged.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(db_url)
    except ArgumentError:
        return db_url          # not a URL: whoever opens it says so
    driver = DRIVERS.get(url.drivername)
    if driver is None:
        return db_url
    return url.set(drivername=f"{url.drivername}+{driver}").render_as_string(hide_password=False)


def shown_url(db_url: str) -> str:
    """A database URL to print: its password, if any, as ``***``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except ArgumentError:
        return db_url


def sqlite_path(db_url: str) -> Path | None:
    """The file of a SQLite URL, or None for another database."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def with_sqlite_timeout(db_url: str, seconds: int = 60) -> str:
    """A SQLite URL that waits up to ``seconds`` for a lock instead of failing at once."""
    if sqlite_path(db_url) is None or "timeout=" in db_url:
        return db_url
    return db_url + ("&" if "?" in db_url else "?") + f"timeout={seconds}"


@lru_cache(maxsize=1)
def alembic_head() -> str | None:
    """The gradebook schema version this nbgrader expects, read in this process.

    nbgrader itself runs the ``alembic`` command for it when it creates a gradebook, which
    costs seconds of interpreter start-up.
    """
    try:
        from alembic.config import Config as AlembicConfig
        from alembic.script import ScriptDirectory
        from nbgrader.dbutil import _temp_alembic_ini

        with _temp_alembic_ini("sqlite://") as ini:
            return ScriptDirectory.from_config(AlembicConfig(ini)).get_current_head()
    except Exception:
        return None


def schema_version(db_url: str) -> str | None:
    """The schema version recorded in an existing gradebook, or None."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(database_url(db_url))
        try:
            with engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        finally:
            engine.dispose()
    except Exception:
        return None


def stamp_new_gradebook(db_url: str, version: str | None = None) -> None:
    """In a database with no tables yet, record the schema version nbgrader would record.

    nbgrader's Gradebook then creates its tables as usual, without the slow version look-up.
    Does nothing to a database that already has tables.
    """
    from sqlalchemy import create_engine, inspect, text

    version = version or alembic_head()
    if not version:
        return
    engine = create_engine(database_url(db_url))
    try:
        with engine.begin() as conn:
            if inspect(conn).get_table_names():
                return
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": str(version)})
    finally:
        engine.dispose()


def has_assignment(gb, module_id: str) -> bool:
    from nbgrader.api import MissingEntry

    try:
        gb.find_assignment(module_id)
        return True
    except MissingEntry:
        return False


def submitted_learners(gb, module_id: str) -> set[str]:
    """Learners with a submission of ``module_id`` in the gradebook."""
    if not has_assignment(gb, module_id):
        return set()
    return {s.student.id for s in gb.assignment_submissions(module_id)}


def upsert_student(gb, learner_id: str, *, first_name=None, last_name=None, email=None) -> bool:
    """Add or update a learner; True when they were new. (nbgrader 0.9 ignores
    ``CourseDirectory.db_students``: the Gradebook API is the way in.)"""
    from nbgrader.api import MissingEntry

    try:
        gb.find_student(learner_id)
        new = False
    except MissingEntry:
        new = True
    gb.update_or_create_student(learner_id, first_name=first_name or None, last_name=last_name or None,
                                email=email or None)
    return new


def merge_submission(main_gb, scratch_url: str, module_id: str, learner: str, course_id: str) -> None:
    """Copy one autograded submission from a scratch gradebook into ``main_gb``, in one transaction.

    Like nbgrader's SaveAutoGrades, it sets the automatic scores and comments and keeps any manual
    grade and comment a trainer has already given.
    """
    from nbgrader.api import (Comment, Grade, Gradebook, MissingEntry, Student, SubmittedAssignment,
                              SubmittedNotebook)
    from sqlalchemy.exc import SAWarning

    with Gradebook(scratch_url, course_id=course_id) as src:
        ssub = src.find_submission(module_id, learner)
        data = {"timestamp": ssub.timestamp, "notebooks": {}}
        for snb in ssub.notebooks:
            data["notebooks"][snb.name] = {
                "late": snb.late_submission_penalty,
                "grades": {g.name: g.auto_score for g in snb.grades},
                "comments": {c.name: c.auto_comment for c in snb.comments},
            }

    db = main_gb.db
    try:
        try:
            student = main_gb.find_student(learner)
        except MissingEntry:
            student = Student(id=learner)
            db.add(student)
        try:
            sub = main_gb.find_submission(module_id, learner)
        except MissingEntry:  # the structure nbgrader's add_submission builds, without its commit
            # (SQLAlchemy warns that backrefs do not cascade while the graph is built; nbgrader's
            # own add_submission draws the same harmless warning. The add below saves it all.)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=SAWarning)
                sub = SubmittedAssignment(assignment=main_gb.find_assignment(module_id), student=student)
                for notebook in sub.assignment.notebooks:
                    snb = SubmittedNotebook(notebook=notebook, assignment=sub)
                    for cell in notebook.grade_cells:
                        Grade(cell_id=cell.id, notebook=snb)
                    for cell in notebook.solution_cells:
                        Comment(cell_id=cell.id, notebook=snb)
                    for cell in notebook.task_cells:
                        Comment(cell_id=cell.id, notebook=snb)
                        Grade(cell_id=cell.id, notebook=snb)
                db.add(sub)
                db.flush()
        sub.timestamp = data["timestamp"]
        for snb in sub.notebooks:
            got = data["notebooks"].get(snb.name)
            if got is None:
                raise RuntimeError(f"notebook {snb.name} missing from the graded result")
            snb.late_submission_penalty = got["late"]
            for g in snb.grades:
                if g.name not in got["grades"]:
                    raise RuntimeError(f"question {g.name} missing from the graded result; run release again")
                g.auto_score = got["grades"][g.name]
                g.needs_manual_grade = g.manual_score is not None or g.auto_score is None
            for c in snb.comments:
                if c.name in got["comments"]:
                    c.auto_comment = got["comments"][c.name]
        db.commit()
    except BaseException:
        db.rollback()
        raise


@dataclass(frozen=True)
class SubmissionScore:
    score: float           # counted points over the autograded questions
    max_score: float
    pending: int           # written answers awaiting a trainer


def submission_score(gb, module_id: str, learner: str) -> SubmissionScore:
    """The autograded total of one submission by the score rule, and its pending written answers."""
    scores = question_scores(gb, module_id, learner).values()
    auto = [q for q in scores if not q.written]
    return SubmissionScore(sum(q.score or 0.0 for q in auto), sum(q.max_score for q in auto),
                           sum(q.written and q.score is None for q in scores))
