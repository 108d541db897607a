"""A small course with tagged solution notebooks, and real nbgrader gradebooks, for the evidence,
progress and pledge tests.

The course root is a temp folder (COURSEKIT_ROOT) with the kit's course config and competencies
copied in, and its own syllabus and solution notebooks, so the tests never depend on the state of
the real modules. Gradebooks are made with nbgrader's Gradebook API, as nbgrader itself fills them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.platform import notebooks

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Q:
    """One graded cell: grade_id, competencies, level, points, graded by hand?"""

    gid: str
    comps: tuple
    level: str
    points: float
    manual: bool = False


# Two modules. Alpha: fairness testing and human oversight; beta: whether AI fits, and fairness.
MODULES = {
    "m10_alpha": {
        "competencies": ["fairness_testing", "human_oversight"],
        "profiles": ["caseworker", "oversight_audit"],
        "items": [
            Q("q1", ("fairness_testing",), "awareness", 2),
            Q("q2", ("fairness_testing",), "working", 2),
            Q("q3", ("human_oversight",), "working", 3),
            Q("q4", ("fairness_testing", "human_oversight"), "practitioner", 2),
            Q("w1", ("human_oversight",), "working", 4, manual=True),
        ],
    },
    "m11_beta": {
        "competencies": ["ai_fit", "fairness_testing"],
        "profiles": ["senior_leader", "policy_officer", "caseworker"],
        "items": [
            Q("q1", ("ai_fit",), "awareness", 1),
            Q("q2", ("ai_fit",), "working", 2),
            Q("q3", ("fairness_testing",), "working", 2),
            Q("w1", ("ai_fit",), "practitioner", 3, manual=True),
        ],
    },
}


def _meta(**kw):
    base = {"schema_version": 3, "grade": False, "solution": False, "locked": False}
    base.update(kw)
    return {"nbgrader": base}


def solution_notebook(module_id: str, items, bad_tag: str | None = None):
    cells = [new_markdown_cell(f"# {module_id}", metadata=_meta(locked=True, grade_id="intro"))]
    for q in items:
        tag = {"coursekit": {"competencies": list(q.comps), "level": q.level}}
        if q.gid == bad_tag:
            tag = {"coursekit": {"competencies": ["no_such_competency"], "level": "guru"}}
        if q.manual:
            cells.append(new_markdown_cell("### BEGIN SOLUTION\nModel answer.\n### END SOLUTION",
                                           metadata={**_meta(solution=True, grade=True, points=q.points, grade_id=q.gid), **tag}))
        else:
            cells.append(new_code_cell(f"### BEGIN SOLUTION\n{q.gid}_value = 1\n### END SOLUTION",
                                       metadata=_meta(solution=True, grade_id=f"{q.gid}_answer")))
            cells.append(new_code_cell(f"assert {q.gid}_value == 1",
                                       metadata={**_meta(grade=True, locked=True, points=q.points, grade_id=q.gid), **tag}))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(notebooks.KERNELSPEC)
    nb.metadata["coursekit"] = {"module": module_id}
    return nb


def make_root(root: Path, modules: dict | None = None, missing: tuple = (), bad_tag: dict | None = None) -> Path:
    """A course root with ``modules`` (default MODULES); modules in ``missing`` get no notebook."""
    modules = MODULES if modules is None else modules
    (root / "course").mkdir(parents=True)
    for name in ("nbgrader_config.py", "seeds.yml"):
        if (REPO / "course" / name).exists():
            shutil.copy(REPO / "course" / name, root / "course")
    shutil.copytree(REPO / "competencies", root / "competencies")
    entries = []
    for mid, spec in modules.items():
        entries.append({"id": mid, "title": f"Module {mid}", "minutes": 60, "profiles": spec["profiles"],
                        "outcomes": ["Apply the idea."], "competencies": spec["competencies"],
                        "datasets": [], "seeds": []})
        if mid in missing:
            continue
        (root / "solutions" / mid).mkdir(parents=True)
        nbformat.write(solution_notebook(mid, spec["items"], (bad_tag or {}).get(mid)),
                       root / "solutions" / mid / "exercise.ipynb")
    (root / "course" / "syllabus.yml").write_text(yaml.safe_dump({"modules": entries}, sort_keys=False))
    return root


def use_root(monkeypatch, root: Path) -> None:
    from coursekit.platform import competencies
    from coursekit.platform import syllabus

    monkeypatch.setenv("COURSEKIT_ROOT", str(root))
    syllabus._load.cache_clear()
    competencies._load.cache_clear()
    competencies._load_profiles.cache_clear()


_TEMPLATE: list = []


def _empty_gradebook() -> Path:
    """An empty nbgrader gradebook, made once per test run: nbgrader runs alembic (a second or
    two) each time it creates one, so the others start as copies of it."""
    if not _TEMPLATE:
        import tempfile

        from nbgrader.api import Gradebook

        from coursekit.platform.nbgrader_adapter.gradebook import stamp_new_gradebook

        path = Path(tempfile.mkdtemp(prefix="coursekit-gradebook-")) / "empty.db"
        stamp_new_gradebook(f"sqlite:///{path}")     # the schema version, without nbgrader's alembic run
        with Gradebook(f"sqlite:///{path}", course_id="coursekit"):
            pass
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


def make_gradebook(path: Path | str, submissions: list, modules: dict | None = None, students: dict | None = None) -> str:
    """An nbgrader gradebook at ``path`` (a file, or the URL of an empty database), filled with
    nbgrader's Gradebook API.

    ``submissions``: (learner, module, {grade_id: score}, timestamp) where a score is a number
    (autograded; for a hand-graded item: the trainer's manual score), None (not graded yet), or
    ("manual", x) / ("auto", x) / (auto, manual) tuples to set either. Returns the database URL.
    """
    from nbgrader.api import Gradebook

    modules = MODULES if modules is None else modules
    url = str(path) if "://" in str(path) else f"sqlite:///{path}"
    learners = sorted({s[0] for s in submissions} | set(students or {}))
    if url.startswith("sqlite:") and not Path(path).exists():
        shutil.copy(_empty_gradebook(), path)
    with Gradebook(url, course_id="coursekit") as gb:
        for mid, spec in modules.items():
            gb.add_assignment(mid)
            gb.add_notebook("exercise", mid)
            for q in spec["items"]:
                gb.add_grade_cell(q.gid, "exercise", mid, max_score=q.points,
                                  cell_type="markdown" if q.manual else "code")
                if q.manual:
                    gb.add_solution_cell(q.gid, "exercise", mid)
                else:
                    gb.add_solution_cell(f"{q.gid}_answer", "exercise", mid)
        for lid in learners:
            extra = (students or {}).get(lid, {})
            gb.add_student(lid, **extra)
        for lid, mid, scores, when in submissions:
            gb.add_submission(mid, lid, timestamp=when if when is not None else None)
            manual_ids = {q.gid for q in modules[mid]["items"] if q.manual}
            for gid, score in scores.items():
                grade = gb.find_grade(gid, "exercise", mid, lid)
                if isinstance(score, tuple) and score[0] == "manual":
                    grade.manual_score = score[1]
                elif isinstance(score, tuple) and score[0] == "auto":
                    grade.auto_score = score[1]
                elif isinstance(score, tuple):
                    grade.auto_score, grade.manual_score = score
                elif gid in manual_ids:
                    grade.manual_score = score
                else:
                    grade.auto_score = score
                grade.needs_manual_grade = gid in manual_ids and grade.manual_score is None
            gb.db.commit()
    return url


def full_marks(module: str, modules: dict | None = None, manual: bool = True) -> dict:
    modules = MODULES if modules is None else modules
    return {q.gid: (q.points if (manual or not q.manual) else None) for q in modules[module]["items"]}


def at(day: int, month: int = 1, year: int = 2025) -> datetime:
    return datetime(year, month, day, 12, 0, 0)


def copy_gradebook(db: Path, name: str, statements: list) -> Path:
    """A copy of gradebook ``db`` beside it, changed by SQL ``statements`` (foreign keys unchecked)."""
    import sqlite3

    out = Path(db).parent / name
    shutil.copy(db, out)
    con = sqlite3.connect(out)
    with con:
        for sql in statements:
            con.execute(sql)
    con.close()
    return out
