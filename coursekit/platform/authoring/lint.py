"""The definition of done for a module, as checks an author can run: ``coursekit build --check``.

Each rule reports a :class:`Finding`, printed as one line ``<module>: <what is wrong and how to fix
it>``. The rules (``RULES``) come in three kinds:

- static rules read the syllabus, the files and the notebooks' metadata (a second or so);
- the grading rules grade variants of the exercise with nbgrader, as a learner's submission is
  graded: the solution, the untouched release, the solution with each one answer removed, and the
  solution with the plausible wrong answers of ``solutions/<id>/wrong_answers.yml`` (about a
  minute per module; ``--fast`` skips them);
- the answers-in-the-lesson rule runs the solution once (a few seconds), reads the value of every
  autograded answer and looks for it in the lesson's text and stored outputs.

The tests (tests/test_modules.py, tests/test_build.py) call these same functions.

Only findings of the answers-in-the-lesson rule can be waived, in ``course/lint_waivers.yml``;
``build --check`` prints a waived finding as ``waived: ...`` and fails on a waiver that no longer
matches a finding, so that the file lists exactly what remains to fix.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from coursekit.errors import UsageError
from coursekit.platform import competencies, fileio
from coursekit.platform import notebooks
from coursekit.platform.grading.byvalue import answer_names, tests_after  # one reading of what a test reads
from coursekit.platform.nbgrader_adapter import cells
from coursekit.platform import paths
from coursekit.platform import syllabus
from coursekit.platform.syllabus import Module

# ---------------------------------------------------------------------------------------------
# Rules and findings

RULES = {
    "syllabus": "the syllabus entry is complete: title, minutes, known profiles, 3 to 6 outcomes that start "
                "with an action verb, known competencies, known datasets, known seeds",
    "files": "the lesson, the facilitator guide, the solution and its release exist, stored with the kernel "
             "the kit's JupyterLab runs",
    "lesson": "the lesson has at least two figures, a summary and sources",
    "long-code": "every long code cell of the lesson is folded, starts with a one-line summary comment and follows "
                 "a markdown cell that says what it does",
    "facilitator": "the facilitator guide covers timing, discussion, misconceptions, model answers and the rubric",
    "shape": "at least 6 autograded questions worth at least 10 points",
    "rubric": "at least one written answer, each with a rubric in its instructor version",
    "tags": "every graded cell is tagged with known competency ids and a level",
    "wrong-answers": "solutions/<id>/wrong_answers.yml gives a plausible wrong answer for every answer cell, "
                     "and is never released",
    "hints": "solutions/<id>/hints.yml, where there is one, gives hints only for answer cells and none holds "
             "a line of the solution",
    "grading": "nbgrader can grade every variant of the exercise",
    "solution-full": "the solution scores full marks",
    "release-zero": "the untouched release scores 0 autograded points",
    "answer-removed": "removing an answer loses all of that question's points",
    "wrong-answer": "each plausible wrong answer loses points on its question",
    "answer-in-lesson": "no autograded answer can be read off the lesson",
    "waivers": "course/lint_waivers.yml waives only answer-in-lesson findings, and only ones that still occur",
}
# The release itself (current, nothing of the solution leaked) is checked by build.build(check=True).
STATIC_RULES = ("syllabus", "files", "lesson", "long-code", "facilitator", "shape", "rubric", "tags", "wrong-answers", "hints")
GRADING_RULES = ("grading", "solution-full", "release-zero", "answer-removed", "wrong-answer")
WAIVABLE = ("answer-in-lesson",)

ACTION_VERBS = frozenset({
    "analyse", "apply", "assess", "audit", "build", "calculate", "challenge", "check", "choose", "classify",
    "compare", "compute", "decide", "demand", "describe", "design", "detect", "distinguish", "document",
    "draft", "estimate", "evaluate", "explain", "find", "identify", "interpret", "judge", "justify", "list",
    "measure", "monitor", "name", "plan", "question", "read", "recognise", "recommend", "record", "review",
    "run", "set", "specify", "spot", "state", "test", "use", "weigh", "write",
})

WRONG_ANSWERS_FILE = "wrong_answers.yml"
MIN_QUESTIONS = 6
#: A lesson's code cell with more non-blank lines than this is "long": a learner who does not program
#: sees it folded, behind its one-line summary (rule ``long-code``).
LONG_CODE_LINES = 8
MIN_POINTS = 10


@dataclass(frozen=True)
class Finding:
    module: str
    rule: str
    message: str
    item: str = ""     # what a waiver names (answers-in-the-lesson rule: "<answer grade_id>.<variable>")

    def __str__(self) -> str:
        return f"{self.module}: {self.message}"


def _f(module: Module | str, rule: str, message: str, item: str = "") -> Finding:
    return Finding(module if isinstance(module, str) else module.id, rule, message, item)


def wrong_answers_path(module: Module) -> Path:
    return module.solution_notebook.parent / WRONG_ANSWERS_FILE


# ---------------------------------------------------------------------------------------------
# Exercise structure: answer cells, test cells, variants

STUB = "raise NotImplementedError()"


def _solution_region() -> re.Pattern:
    """The course's solution region (its markers come from its nbgrader configuration)."""
    begin, end = cells.markers().solution
    return re.compile(rf"^[ \t]*#+ *{re.escape(begin)}.*?{re.escape(end)}[^\n]*", re.S | re.M)


def grade_id(cell) -> str:
    return str(cells.grade_id(cell) or "?")


def answer_cells(nb) -> list:
    """Code cells a learner answers in (nbgrader solution cells that are not graded by hand)."""
    return [c for c in nb.cells if cells.is_answer(c)]


def graded_test_cells(nb) -> list:
    return [c for c in nb.cells if cells.is_autograded_test(c)]


def written_cells(nb) -> list:
    """Graded cells a trainer grades by hand: written answers (markdown) and manually graded code."""
    return [c for c in nb.cells if cells.is_written(c)]


def replace_answer(nb, answer_id: str, code: str):
    """A copy of ``nb`` whose answer cell ``answer_id`` has ``code`` in place of its solution region."""
    nb = copy.deepcopy(nb)
    region = _solution_region()
    for cell in nb.cells:
        if cells.grade_id(cell) == answer_id:
            src = cells.source_text(cell)
            if not region.search(src):
                raise UsageError(f"answer cell {answer_id} has no solution region (### BEGIN SOLUTION ... ### END SOLUTION)")
            cell.source = region.sub(lambda _: code.rstrip("\n"), src, count=1)
            return nb
    raise KeyError(f"no cell with grade_id {answer_id!r}")


def read_wrong_answers(module: Module) -> dict[str, str] | None:
    """The plausible wrong answers (answer grade_id -> code), or None when the file is missing."""
    path = wrong_answers_path(module)
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML ({exc.__class__.__name__})")
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping from answer grade_id to code")
    return {str(k): str(v) for k, v in data.items()}


# ---------------------------------------------------------------------------------------------
# Static rules

def _seed_ids() -> set[str]:
    path = paths.course_root() / "course" / "seeds.yml"
    if not path.exists():
        return set()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(s.get("id")) for s in data.get("seeds") or [] if isinstance(s, dict)}


def syllabus_findings(module: Module) -> list[Finding]:
    from coursekit.datasets import NAMES

    out = []
    where = "in course/syllabus.yml"
    add = lambda msg: out.append(_f(module, "syllabus", f"{msg} {where}"))  # noqa: E731
    if not module.title or module.title == module.id:
        add("give the module a title")
    if module.minutes <= 0:
        add("give 'minutes', the module's length in minutes,")
    if not module.profiles:
        add("list the job 'profiles' the module serves (ids from competencies/profiles.yml)")
    else:
        known = competencies.profiles()
        for pid in module.profiles:
            if pid not in known:
                add(f"unknown profile {pid!r}: use one of {', '.join(known)}")
    if not 3 <= len(module.outcomes) <= 6:
        add(f"it has {len(module.outcomes)} learning outcome(s); give 3 to 6")
    for outcome in module.outcomes:
        first = outcome.split()[0].strip(",.:;").lower() if outcome.split() else ""
        if first not in ACTION_VERBS:
            add(f"the outcome {outcome[:50]!r} should start with an action verb (e.g. Identify, Calculate, "
                f"Explain; lint.ACTION_VERBS lists them)")
    if not module.competencies:
        add("list the 'competencies' the module builds (ids from competencies/framework.yml)")
    else:
        ids = competencies.framework().ids
        for cid in module.competencies:
            if cid not in ids:
                add(f"unknown competency {cid!r}: use ids from competencies/framework.yml")
    for name in module.datasets:
        if name not in NAMES:
            add(f"unknown dataset {name!r}: use one of {', '.join(NAMES)}")
    if not module.seeds:
        add("list the 'seeds' (ids from course/seeds.yml) the module draws on")
    else:
        seeds = _seed_ids()
        for sid in module.seeds:
            if sid not in seeds:
                add(f"unknown seed {sid!r}: use ids from course/seeds.yml")
    return out


def file_findings(module: Module) -> list[Finding]:
    root = paths.course_root()
    out = []
    for path, what in ((module.lesson_notebook, "the lesson"), (module.facilitator_guide, "the facilitator guide"),
                       (module.solution_notebook, "the exercise source (solutions, hidden tests, tags)")):
        if not path.exists():
            out.append(_f(module, "files", f"{path.relative_to(root)} is missing: write {what}"))
    if module.solution_notebook.exists() and not module.exercise_notebook.exists():
        out.append(_f(module, "files", f"{module.exercise_notebook.relative_to(root)} is missing: run `coursekit build`"))
    for path in (module.lesson_notebook, module.solution_notebook, module.exercise_notebook):
        problem = notebooks.kernelspec_problem(notebooks.read(path)) if path.exists() else None
        if problem:
            out.append(_f(module, "files", f"{path.relative_to(root)}: {problem}"))
    return out


def lesson_findings(module: Module) -> list[Finding]:
    if not module.lesson_notebook.exists():
        return []
    nb = notebooks.read(module.lesson_notebook)
    out = []
    figures = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if "image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {}))
    if figures < 2:
        out.append(_f(module, "lesson", f"the lesson has {figures} figure(s) in its stored outputs; it needs at least "
                                        "2 (run it and save it with its outputs)"))
    text = "\n".join(cells.source_text(c) for c in nb.cells if c.cell_type == "markdown").lower()
    for needle in ("summary", "sources"):
        if needle not in text:
            out.append(_f(module, "lesson", f"the lesson has no {needle!r} section: add one in a markdown cell"))
    return out


def code_lines(cell) -> int:
    """How long a code cell looks to a reader: its non-blank lines, comments included."""
    return sum(1 for line in cells.source_text(cell).splitlines() if line.strip())


def is_folded(cell) -> bool:
    """JupyterLab shows only the output of a cell whose input is hidden (``jupyter.source_hidden``)."""
    return bool((cell.get("metadata", {}).get("jupyter") or {}).get("source_hidden"))


def long_code_findings(module: Module) -> list[Finding]:
    """A lesson is read by people who do not program: a code cell longer than ``LONG_CODE_LINES``
    non-blank lines is folded (its output stays visible), its first line is a ``# ...`` comment
    that sums up what it does (the line a folded cell still shows when unfolded), and the cell
    before it is markdown, which says so in plain words for a learner who never unfolds it."""
    if not module.lesson_notebook.exists():
        return []
    nb = notebooks.read(module.lesson_notebook)
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or code_lines(cell) <= LONG_CODE_LINES:
            continue
        where = f"lesson cell {i} ({code_lines(cell)} lines)"
        first = next(line.strip() for line in cells.source_text(cell).splitlines() if line.strip())
        if not is_folded(cell):
            out.append(_f(module, "long-code", f"{where} is longer than {LONG_CODE_LINES} lines and shown open: fold "
                                               'it (metadata "jupyter": {"source_hidden": true}) or split it into '
                                               "shorter cells"))
        if not (first.startswith("#") and len(first.lstrip("# ").strip()) >= 10):
            out.append(_f(module, "long-code", f"{where} does not start with a one-line summary: make its first "
                                               "line a comment that says what the cell does, e.g. '# Draws ...'"))
        if i == 0 or nb.cells[i - 1].cell_type != "markdown":
            out.append(_f(module, "long-code", f"{where} has no markdown cell just before it: add one that says in "
                                               "plain words what the folded cell does"))
    return out


def facilitator_findings(module: Module) -> list[Finding]:
    if not module.facilitator_guide.exists():
        return []
    text = module.facilitator_guide.read_text(encoding="utf-8").lower()
    return [_f(module, "facilitator", f"the facilitator guide has no {needle!r} section: add one")
            for needle in ("timing", "discussion", "misconception", "model answer", "rubric") if needle not in text]


def _points(cell) -> float:
    try:
        return float(cells.meta(cell).get("points") or 0)
    except (TypeError, ValueError):
        return 0.0


def shape_findings(module: Module, source_nb) -> list[Finding]:
    tests = graded_test_cells(source_nb)
    total = sum(_points(c) for c in tests)
    out = []
    if len(tests) < MIN_QUESTIONS:
        out.append(_f(module, "shape", f"the exercise has {len(tests)} autograded question(s); write at least "
                                       f"{MIN_QUESTIONS} (an answer cell and a test cell with points each)"))
    if total < MIN_POINTS:
        out.append(_f(module, "shape", f"the autograded questions are worth {total:g} points; make them worth at least "
                                       f"{MIN_POINTS} (the 'points' of the test cells)"))
    for cell in tests:
        if _points(cell) <= 0:
            out.append(_f(module, "shape", f"test cell {grade_id(cell)!r} is worth no points; give it 'points' > 0"))
    return out


# The instructor version of a written answer marks its rubric in one of two ways:
# - a line inside the ### BEGIN SOLUTION / ### END SOLUTION region that starts with "Rubric",
#   optionally as a heading or in bold: "**Rubric (4 points).**", "## Rubric", "Rubric:";
# - nbgrader's mark scheme region, ### BEGIN MARK SCHEME / ### END MARK SCHEME.
def _region(pair: tuple[str, str]) -> re.Pattern:
    return re.compile(rf"{re.escape(pair[0])}(.*?){re.escape(pair[1])}", re.S)

_RUBRIC_LINE = re.compile(r"^[ \t>]*(?:#+[ \t]*|[-*][ \t]+)?[*_]*[ \t]*rubric\b(.*)$", re.I | re.M)
_RUBRIC_POINTS = re.compile(r"^\W*(\d+(?:\.\d+)?)\s*points?\b", re.I)


def rubric_of(cell) -> str | None:
    """The rubric heading line of a written answer's instructor version, or None when it has none."""
    text = cells.source_text(cell)
    markers = cells.markers()
    if _region(markers.mark_scheme).search(text):
        return "mark scheme"
    for region in _region(markers.solution).findall(text):
        m = _RUBRIC_LINE.search(region)
        if m:
            return m.group(0).strip()
    return None


def rubric_findings(module: Module, source_nb) -> list[Finding]:
    written = written_cells(source_nb)
    if not written:
        return [_f(module, "rubric", "the exercise has no written answer graded by hand: add a markdown cell with "
                                     "solution: true, grade: true and points, holding a model answer and a rubric")]
    out = []
    for cell in written:
        gid = grade_id(cell)
        heading = rubric_of(cell)
        if heading is None:
            out.append(_f(module, "rubric", f"written answer {gid!r} has no rubric: inside its ### BEGIN SOLUTION region, "
                                            "after the model answer, add a line starting with '**Rubric (N points)**' "
                                            "and the criteria with their points"))
            continue
        m = _RUBRIC_POINTS.match(_RUBRIC_LINE.match(heading).group(1) if _RUBRIC_LINE.match(heading) else "")
        if m and float(m.group(1)) != _points(cell):
            out.append(_f(module, "rubric", f"written answer {gid!r}: the rubric gives {m.group(1)} points but the cell "
                                            f"is worth {_points(cell):g}; make them agree"))
    return out


def tag_findings(module: Module, source_nb) -> list[Finding]:
    out = []
    meta_module = source_nb.metadata.get("coursekit", {}).get("module")
    if meta_module != module.id:
        out.append(_f(module, "tags", f"notebook metadata coursekit.module is {meta_module!r}, expected {module.id!r}"))
    for cell in cells.graded_cells(source_nb):
        for msg in competencies.tag_problems(cell.metadata.get(competencies.TAG_KEY)):
            out.append(_f(module, "tags", f"graded cell {grade_id(cell)!r}: {msg}"))
    return out


def wrong_answer_findings(module: Module, source_nb) -> list[Finding]:
    root = paths.course_root()
    rel = wrong_answers_path(module).relative_to(root)
    out = []
    released = module.exercise_notebook.parent / WRONG_ANSWERS_FILE
    if released.exists():
        out.append(_f(module, "wrong-answers", f"{released.relative_to(root)} gives the wrong answers away: delete it, keep "
                                               f"{WRONG_ANSWERS_FILE} in c.CourseDirectory.ignore of course/nbgrader_config.py "
                                               "and run `coursekit build`"))
    try:
        wrong = read_wrong_answers(module)
    except UsageError as exc:
        return out + [_f(module, "wrong-answers", str(exc))]
    answers = [grade_id(c) for c in answer_cells(source_nb)]
    if wrong is None:
        return out + [_f(module, "wrong-answers", f"{rel} is missing: give a plausible wrong answer for each of "
                                                  f"{', '.join(answers)} (see course/AUTHORING.md)")]
    for gid in answers:
        if gid not in wrong:
            out.append(_f(module, "wrong-answers", f"{rel} has no wrong answer for {gid}: add the code a learner might "
                                                   "plausibly write instead"))
    for gid in wrong:
        if gid not in answers:
            out.append(_f(module, "wrong-answers", f"{rel}: {gid!r} is not an answer cell of the exercise; "
                                                   f"use one of {', '.join(answers)}"))
    return out


def hint_findings(module: Module, source_nb) -> list[Finding]:
    """The hints of ``hint("q1")`` (optional): for answer cells, a list of texts, none with a line of
    the solution or hidden tests in it (``build.secret_lines``, as the release's leak check)."""
    from coursekit.platform import yamlfile
    from coursekit.platform.authoring import build
    from coursekit.platform.grading.question import HINTS_FILE

    path = module.solution_notebook.parent / HINTS_FILE
    if not path.exists():
        return []
    rel = path.relative_to(paths.course_root())
    try:
        hints = yamlfile.read_mapping(path)
    except UsageError as exc:
        return [_f(module, "hints", str(exc))]
    answers = [grade_id(c) for c in answer_cells(source_nb)]
    secrets = build.secret_lines(source_nb, cells.markers())
    out = []
    for gid, ladder in hints.items():
        if gid not in answers:
            out.append(_f(module, "hints", f"{rel}: {gid!r} is not an answer cell of the exercise; use one of "
                                           f"{', '.join(answers)}"))
        if not isinstance(ladder, list) or not ladder or not all(isinstance(h, str) and h.strip() for h in ladder):
            out.append(_f(module, "hints", f"{rel}: give {gid!r} a list of hints, each a text"))
            continue
        for n, text in enumerate(ladder, start=1):
            said = " ".join(text.split())
            for line in secrets:
                if line in said:
                    out.append(_f(module, "hints", f"{rel}: hint {n} of {gid!r} gives a line of the solution away: "
                                                   f"{line[:60]!r}"))
    return out


def static_findings(module: Module) -> list[Finding]:
    """Every rule that needs no notebook to run."""
    out = syllabus_findings(module) + file_findings(module) + lesson_findings(module) + long_code_findings(module)
    out += facilitator_findings(module)
    if module.solution_notebook.exists():
        source_nb = notebooks.read(module.solution_notebook)
        out += shape_findings(module, source_nb)
        out += rubric_findings(module, source_nb)
        out += tag_findings(module, source_nb)
        out += wrong_answer_findings(module, source_nb)
        out += hint_findings(module, source_nb)
    return out


# ---------------------------------------------------------------------------------------------
# Grading rules: grade variants of the exercise with nbgrader

@dataclass
class Grading:
    """What nbgrader made of each variant of one module's exercise."""

    module: Module
    solution: object                                  # the source notebook
    wrong: dict[str, str]                             # answer grade_id -> wrong code
    results: dict[str, dict] = field(default_factory=dict)   # variant -> grade_id -> (score, max)
    failed: dict[str, str] = field(default_factory=dict)     # variant -> why it could not be graded


def variants(module: Module, release_nb, solution_nb, wrong: dict[str, str] | None) -> dict:
    """The submissions to grade: solution, release, without_<answer> for each answer, wrong."""
    subs = {"solution": solution_nb, "release": release_nb}
    for cell in answer_cells(solution_nb):
        gid = grade_id(cell)
        subs[f"without_{gid}"] = replace_answer(solution_nb, gid, STUB)
    if wrong:
        nb = solution_nb
        for gid, code in wrong.items():
            if f"without_{gid}" in subs:
                nb = replace_answer(nb, gid, code)
        subs["wrong"] = nb
    return subs


def grade_variants(module: Module, only: list[str] | None = None, workers: int = 2, cell_timeout: int = 60) -> Grading:
    """Grade the variants of ``module``'s exercise, each with its own copy of the gradebook, with
    ``workers`` long-lived grading workers (:mod:`coursekit.platform.cohort.batch`)."""
    from coursekit.platform.cohort import batch
    from coursekit.platform.grading.limits import Limits
    from coursekit.platform.nbgrader_adapter import gradebook, release as nbrelease

    solution = notebooks.read(module.solution_notebook)
    try:
        wrong = read_wrong_answers(module) or {}
    except UsageError:
        wrong = {}
    grading = Grading(module, solution, wrong)
    with tempfile.TemporaryDirectory(prefix="coursekit-lint-") as tmp:
        root = Path(tmp)
        nbrelease.copy_source(module.solution_notebook.parent, root / "source" / module.id)
        try:
            nbrelease.generate(root, module.id)
        except UsageError as exc:
            grading.failed["release"] = str(exc)
            return grading
        release = notebooks.read(root / "release" / module.id / "exercise.ipynb")
        subs = variants(module, release, solution, wrong)
        if only is not None:
            subs = {k: v for k, v in subs.items() if k in only}

        for student, nb in subs.items():
            folder = root / "submitted" / student / module.id
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / "exercise.ipynb")
        answers = batch.grade_all(root, module.id, list(subs), Limits(cell_timeout=cell_timeout), workers)
        for student, answer in answers.items():
            if not answer.get("ok"):
                grading.failed[student] = answer.get("reason") or "not graded"
                continue
            with gradebook.open_gradebook(f"sqlite:///{batch.scratch_db(root, student)}") as gb:
                scores = gradebook.question_scores(gb, module.id, student)
            grading.results[student] = {g: (q.score, q.max_score) for g, q in scores.items()}
    return grading


def _score(grades: dict, ids) -> tuple[float, float]:
    return (sum(float(grades.get(g, (0, 0))[0] or 0) for g in ids), sum(float(grades.get(g, (0, 0))[1] or 0) for g in ids))


def grading_findings(grading: Grading) -> list[Finding]:
    """The grading rules, from what :func:`grade_variants` recorded (variants not graded are skipped)."""
    module, solution, res = grading.module, grading.solution, grading.results
    out = [_f(module, "grading", f"nbgrader could not grade the {name} variant: {reason}")
           for name, reason in grading.failed.items()]
    auto = [grade_id(c) for c in graded_test_cells(solution)]
    following = tests_after(solution)
    if "solution" in res:
        for gid in auto:
            got, most = _score(res["solution"], [gid])
            if got < most:
                out.append(_f(module, "solution-full", f"the solution scores {got:g} of {most:g} on {gid}: fix the "
                                                       "solution or its hidden test"))
    if "release" in res:
        for gid in auto:
            got, _ = _score(res["release"], [gid])
            if got > 0:
                out.append(_f(module, "release-zero", f"the untouched release scores {got:g} on {gid}: its test passes "
                                                      "without an answer; make the checks need the answer"))
    for answer, tests in following.items():
        name = f"without_{answer}"
        if name not in res:
            continue
        if not tests:
            out.append(_f(module, "answer-removed", f"answer cell {answer} has no test cell after it: put its test "
                                                    "cell straight after it"))
            continue
        got, _ = _score(res[name], tests)
        if got > 0:
            out.append(_f(module, "answer-removed", f"without an answer in {answer}, {'/'.join(tests)} still score "
                                                    f"{got:g}: the hidden tests must fail when the answer is missing"))
    if "wrong" in res:
        for answer, tests in following.items():
            if answer not in grading.wrong or not tests:
                continue
            got, most = _score(res["wrong"], tests)
            if got >= most:
                out.append(_f(module, "wrong-answer", f"the wrong answer to {answer} in {WRONG_ANSWERS_FILE} still gets "
                                                      f"full marks on {'/'.join(tests)}: tighten the hidden tests (or fix "
                                                      "the wrong answer if it is in fact right)"))
    return out


# ---------------------------------------------------------------------------------------------
# Answers in the lesson

#: Relative tolerance used when the hidden test's own tolerance cannot be read (see ``number_matches``).
DEFAULT_REL_TOL = 0.005

_CAPTURE_MARK = "__coursekit_answer__ "
_CAPTURE_SETUP = r'''
def __coursekit_plain(v, depth=0):
    import math as _m
    try:
        import numpy as _np
    except ImportError:
        _np = None
    try:
        import pandas as _pd
    except ImportError:
        _pd = None
    if depth > 4:
        return None
    if v is None or isinstance(v, (bool, str)):
        return v
    if _np is not None and isinstance(v, _np.bool_):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float) or (_np is not None and isinstance(v, (_np.integer, _np.floating))):
        f = float(v)
        if _np is not None and isinstance(v, _np.integer):
            return int(v)
        return None if _m.isnan(f) or _m.isinf(f) else f
    if _pd is not None and isinstance(v, _pd.DataFrame):
        return {str(r): {str(c): __coursekit_plain(x, depth + 1) for c, x in row.items()} for r, row in v.iterrows()}
    if _pd is not None and isinstance(v, _pd.Series):
        return {str(k): __coursekit_plain(x, depth + 1) for k, x in v.items()}
    if isinstance(v, dict):
        return {str(k): __coursekit_plain(x, depth + 1) for k, x in v.items()}
    if isinstance(v, (set, frozenset)):
        return sorted((__coursekit_plain(x, depth + 1) for x in v), key=repr)
    if isinstance(v, (list, tuple)) or (_pd is not None and isinstance(v, _pd.Index)) \
            or (_np is not None and isinstance(v, _np.ndarray)):
        return [__coursekit_plain(x, depth + 1) for x in list(v)]
    return None


def __coursekit_capture(answer, names):
    import json as _json
    g = globals()
    out = {n: __coursekit_plain(g[n]) for n in names if n in g}
    print("__coursekit_answer__ " + _json.dumps({"answer": answer, "values": out}))
'''


def answer_values(module: Module, timeout: int = 60) -> dict[str, dict]:
    """Run the solution and return answer grade_id -> {variable: plain value}.

    Plain values: numbers, strings, booleans, lists (from lists, tuples, sets and arrays) and dicts
    (from dicts, Series and DataFrames, by row). The exercise's own check cell is not run.
    """
    import nbclient
    from nbformat.v4 import new_code_cell

    from coursekit.platform.nbgrader_adapter import release as nbrelease

    solution = notebooks.read(module.solution_notebook)
    names = answer_names(solution)
    nb = copy.deepcopy(solution)
    kept = [new_code_cell(_CAPTURE_SETUP)]
    for cell in nb.cells:
        if cell.cell_type == "code" and "check_this_notebook" in cells.source_text(cell):
            continue    # the learner's self-check grades the notebook: not wanted here
        kept.append(cell)
        gid = cells.meta(cell).get("grade_id")
        if gid in names and names[gid]:
            kept.append(new_code_cell(f"__coursekit_capture({gid!r}, {names[gid]!r})"))
    nb.cells = kept
    with tempfile.TemporaryDirectory(prefix="coursekit-lint-run-") as tmp:
        work = Path(tmp) / module.id
        nbrelease.copy_source(module.solution_notebook.parent, work)
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=timeout, allow_errors=True,
                                         resources={"metadata": {"path": str(work)}})
        # No figure windows: the kernel draws with Agg. The kernel inherits this process's
        # environment at start, so set it only for that start (tests run nbval afterwards).
        before = os.environ.get("MPLBACKEND")
        os.environ["MPLBACKEND"] = "Agg"
        try:
            client.execute(stderr=subprocess.DEVNULL)   # the kernel's start-up chatter is not a finding
        finally:
            if before is None:
                os.environ.pop("MPLBACKEND", None)
            else:
                os.environ["MPLBACKEND"] = before
    values: dict[str, dict] = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                for line in o.get("text", "").splitlines():
                    if line.startswith(_CAPTURE_MARK):
                        data = json.loads(line[len(_CAPTURE_MARK):])
                        values[data["answer"]] = data["values"]
    return values


def hidden_test_tolerances(nb) -> dict[str, float | None]:
    """answer grade_id -> the absolute tolerance its hidden tests allow, or None when none can be read.

    Read from the hidden tests after the answer: ``abs(a - b) < t`` (or ``>= t`` for a failure),
    ``x.max() < t``, ``isclose(..., abs_tol=t)``, ``atol=t``, ``approx(..., abs=t)``. The largest
    one counts: it is what a learner's copied figure would have to be within.
    """
    by_id = {grade_id(c): c for c in nb.cells}
    begin_hidden = cells.markers().hidden_tests[0]
    pat = re.compile(r"(?:abs\([^\n]*?\)|\.max\(\))\s*(?:<=?|>=?)\s*([0-9][0-9.eE+-]*)"
                     r"|(?:abs_tol|atol|abs)\s*=\s*([0-9][0-9.eE+-]*)")
    out = {}
    for answer, tests in tests_after(nb).items():
        found = []
        for t in tests:
            src = cells.source_text(by_id[t])
            hidden = src[src.find(begin_hidden):] if begin_hidden in src else src
            for m in pat.finditer(hidden):
                try:
                    found.append(float(m.group(1) or m.group(2)))
                except ValueError:
                    pass
        out[answer] = max(found) if found else None
    return out


@dataclass(frozen=True)
class Figure:
    """A number as printed: its value, the half unit of its last digit, its significant digits."""

    text: str
    value: float
    half_unit: float
    significant: int
    is_year: bool = False


_NUMBER = re.compile(r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])(?:\s?(%|per ?cent\b))?")


def significant_digits(text: str) -> int:
    """Significant digits of a printed number: '0.30' has 2, '0.3' 1, '120' 2, '5' 1, '2,500' 2."""
    t = text.lstrip("-−").replace(",", "")
    if "." in t:
        digits = t.replace(".", "").lstrip("0")
    else:
        digits = t.lstrip("0").rstrip("0")
    return len(digits)


def _value_digits(v: float | int) -> int:
    if isinstance(v, int):
        return significant_digits(str(abs(v)))
    mantissa = repr(abs(float(v))).split("e")[0]
    return len(mantissa.replace(".", "").lstrip("0").rstrip("0"))


def figures(text: str) -> list[Figure]:
    """The numbers printed in ``text``; a percentage counts as its share too ('34.9%' is 0.349)."""
    out = []
    for m in _NUMBER.finditer(text):
        raw = m.group(0)
        num = re.sub(r"\s?(%|per ?cent)$", "", raw).replace("−", "-")
        plain = num.replace(",", "")
        try:
            value = float(plain)
        except ValueError:
            continue
        decimals = len(plain.split(".")[1]) if "." in plain else 0
        if "." in plain:
            half = 0.5 * 10 ** -decimals
        else:
            trailing = len(plain.lstrip("-")) - len(plain.lstrip("-").rstrip("0")) if value else 0
            half = 0.5 * 10 ** trailing
        sig = significant_digits(num)
        year = "." not in num and "," not in num and len(plain.lstrip("-")) == 4 and 1900 <= value <= 2100 and not m.group(1)
        out.append(Figure(raw, value, half, sig, year))
        if m.group(1):
            out.append(Figure(raw, value / 100, half / 100, sig))
    return out


def number_matches(value: float | int, fig: Figure, tol: float | None) -> bool:
    """Whether the printed figure gives ``value`` away.

    A figure with fewer than two significant digits, or a year, never does. Otherwise it does when
    ``value`` rounded to the figure's last digit is the figure ('19.5%' for 0.1953, '1.68' for
    1.678), or, for an answer that is not a whole number (a count must be shown as it is or
    rounded), when it is within ``DEFAULT_REL_TOL`` (0.5 %) of ``value`` and, when the hidden
    test's absolute tolerance ``tol`` can be read, within that tolerance too (a learner could copy
    it and pass). A wide test tolerance alone is not enough: '0.0171' printed in a table of risk
    scores does not give away an answer of 0.0168, though a test with tolerance 0.0005 accepts it.
    """
    if fig.significant < 2 or fig.is_year:
        return False
    diff = abs(fig.value - value)
    if diff <= fig.half_unit * (1 + 1e-9):
        return True
    if isinstance(value, int):
        return False
    return diff <= DEFAULT_REL_TOL * abs(value) and (tol is None or diff < tol)


_CITATION = re.compile(r"^\s*(art(icle)?s?\.?|annex|recital|§|section|reg(ulation)?\.?)\s*[\dIVX]", re.I)


def exempt(value) -> bool:
    """Values too common to count as leaked: booleans, a choice letter, a citation, a number with
    fewer than two significant digits, empty values."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return _value_digits(value) < 2
    if isinstance(value, str):
        s = value.strip().strip("()")
        return len(s) <= 1 or bool(_CITATION.match(value))
    return False


def _flatten(value, keys=()) -> list[tuple[tuple[str, ...], object]]:
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out += _flatten(v, keys + (str(k),))
        return out
    if isinstance(value, list):
        out = []
        for v in value:
            out += _flatten(v, keys)
        return out
    return [(keys, value)]


def _word(s: str) -> re.Pattern:
    s = s.strip()
    if len(s) == 1:   # a label such as a), (a), a:, 'a'
        e = re.escape(s)
        return re.compile(rf"(?<!\w)(?:\({e}\)|{e}[):]|['\"]{e}['\"])", re.I)
    forms = {re.escape(s), re.escape(s.replace("_", " "))}
    return re.compile(r"(?<![\w])(?:" + "|".join(sorted(forms)) + r")(?![\w])", re.I)


def _item_in(text: str, value, tol: float | None) -> str | None:
    """The figure or word of ``text`` that shows ``value``, or None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        for fig in figures(text):
            if number_matches(value, fig, tol):
                return fig.text
        return None
    if isinstance(value, str):
        m = _word(value).search(text)
        return m.group(0) if m else None
    return None


@dataclass(frozen=True)
class Block:
    """A piece of the lesson a learner reads: a markdown cell or one stored output."""

    where: str
    text: str


def _html_text(s: str) -> str:
    s = re.sub(r"(?is)<(script|style).*?</\1>", " ", s)
    s = re.sub(r"(?i)</(tr|p|li|div|h\d)>|<br\s*/?>", "\n", s)
    s = re.sub(r"(?i)</t[dh]>", " | ", s)
    return html.unescape(re.sub(r"<[^>]+>", " ", s))


def lesson_blocks(nb) -> list[Block]:
    out = []
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "markdown":
            out.append(Block(f"lesson cell {i} (text)", cells.source_text(cell)))
        elif cell.cell_type == "code":
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream":
                    out.append(Block(f"lesson cell {i} (output)", o.get("text", "")))
                for mime, data in (o.get("data") or {}).items():
                    text = "".join(data) if isinstance(data, list) else data
                    if mime in ("text/plain", "text/markdown", "text/latex"):
                        out.append(Block(f"lesson cell {i} (output)", text))
                    elif mime == "text/html":
                        out.append(Block(f"lesson cell {i} (output)", _html_text(text)))
    return out


def _rounded(value):
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _short(value, limit=70) -> str:
    s = json.dumps(_rounded(value))
    return s if len(s) <= limit else s[:limit - 3] + "..."


def find_in_lesson(value, blocks: list[Block], tol: float | None) -> str | None:
    """Where the lesson shows ``value`` (an answer), or None. See ``answers_in_lesson`` for the rule."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if exempt(value):
            return None
        for b in blocks:
            hit = _item_in(b.text, value, tol)
            if hit:
                return f"{b.where} shows {hit!r}"
        return None
    if not isinstance(value, (dict, list)):
        return None          # a single string, a boolean: a choice, not a figure to copy
    items = [(k, v) for k, v in _flatten(value) if not exempt(v) and isinstance(v, (int, float, str))]
    if len(items) < 2:
        return None
    if all(not keys for keys, _ in items):
        return _all_in_one_block(blocks, items, tol)      # a list, tuple or set: every member in one block
    # A mapping: every entry's value on a line with one of its keys (a printed Series, DataFrame,
    # dict or table row), or, when all its values are numbers, all of them in one block.
    lines = [(b.where, line) for b in blocks for line in b.text.splitlines()]
    where = []
    for keys, v in items:
        pats = [_word(k) for k in keys if k.strip()]
        hit = next(((w, line) for w, line in lines
                    if (not pats or any(p.search(line) for p in pats)) and _item_in(line, v, tol)), None)
        if hit is None:
            break
        where.append(hit[0])
    else:
        places = sorted(set(where), key=where.index)
        return (f"{', '.join(places[:3])}{', ...' if len(places) > 3 else ''} "
                f"show{'s' if len(places) == 1 else ''} all {len(items)} entries with their keys")
    if all(isinstance(v, (int, float)) for _, v in items):
        return _all_in_one_block(blocks, items, tol)
    return None


def _all_in_one_block(blocks, items, tol) -> str | None:
    """Where one block (a cell's text or an output) shows every value of ``items``, or None."""
    for b in blocks:
        hits = [_item_in(b.text, v, tol) for _, v in items]
        if all(hits):
            return f"{b.where} shows all {len(items)} values ({', '.join(repr(h) for h in hits[:3])}" \
                   f"{', ...' if len(hits) > 3 else ''})"
    return None


def answers_in_lesson(module: Module, values: dict[str, dict] | None = None) -> list[Finding]:
    """The answers-in-the-lesson rule.

    An answer is found in the lesson (markdown text and stored outputs) when it is a number with at
    least two significant digits that a printed figure matches (see ``number_matches``), or a
    collection of two or more values (booleans, choice letters, citations and numbers with fewer
    than two significant digits left out) all of which the lesson shows: a list's members all in
    one markdown cell or output; a mapping's values each on a line with its key (as a printed
    Series, DataFrame, dict or table row shows them). Single strings and booleans are exempt.
    """
    if not module.lesson_notebook.exists() or not module.solution_notebook.exists():
        return []
    solution = notebooks.read(module.solution_notebook)
    if values is None:
        values = answer_values(module)
    tols = hidden_test_tolerances(solution)
    blocks = lesson_blocks(notebooks.read(module.lesson_notebook))
    out = []
    for answer, names in answer_names(solution).items():
        for name in names:
            if name not in values.get(answer, {}):
                continue
            value = values[answer][name]
            where = find_in_lesson(value, blocks, tols.get(answer))
            if where:
                out.append(_f(module, "answer-in-lesson",
                              f"answer {name} of {answer} ({_short(value)}) can be read off the lesson: {where}; "
                              "give the exercise its own data (another office, period or attribute), or show "
                              "something else in the lesson",
                              item=f"{answer}.{name}"))
    return out


# ---------------------------------------------------------------------------------------------
# Waivers

def waivers_path() -> Path:
    return paths.course_root() / "course" / "lint_waivers.yml"


@dataclass(frozen=True)
class Waiver:
    module: str
    rule: str
    item: str
    reason: str


def load_waivers() -> list[Waiver]:
    path = waivers_path()
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML ({exc.__class__.__name__})")
    entries = data.get("waivers") if isinstance(data, dict) else None
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise UsageError(f"{path}: 'waivers' must be a list of entries with module, rule, item and reason")
    out = []
    for i, e in enumerate(entries, start=1):
        if not isinstance(e, dict) or not all(str(e.get(k) or "").strip() for k in ("module", "rule", "item", "reason")):
            raise UsageError(f"{path}: waiver {i} needs a module, a rule, an item and a reason")
        out.append(Waiver(str(e["module"]), str(e["rule"]), str(e["item"]), " ".join(str(e["reason"]).split())))
    return out


# ---------------------------------------------------------------------------------------------
# The whole check

@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)     # what fails the check
    waived: list[tuple[Finding, Waiver]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)           # rules not run (--fast)

    @property
    def ok(self) -> bool:
        return not self.findings


def module_findings(module: Module, grade: bool = True, workers: int = 2) -> list[Finding]:
    """Every rule on one module (the grading rules only with ``grade``), before waivers."""
    out = static_findings(module)
    if module.solution_notebook.exists():
        cache = _Cache(module)
        values = cache.get("answer_values")
        if values is None:
            values = cache.put("answer_values", answer_values(module))
        out += answers_in_lesson(module, values)
        if grade:
            found = cache.get("grading")
            if found is None:
                found = cache.put("grading", [vars(f) for f in grading_findings(grade_variants(module, workers=workers))])
            out += [Finding(**f) for f in found]
    return out


class _Cache:
    """What running and grading a module's solution found, kept until anything it depends on changes.

    Running the solution and grading its variants take about a minute a module, and an author runs
    the check again and again. The result is kept in ``.coursekit/lint/<module>.json`` in the course
    folder (ignored by git), under a key made of the module's source folder, the course's nbgrader
    configuration and the kit's own code: a change to any of them runs everything again.
    """

    def __init__(self, module: Module):
        import hashlib

        self.path = paths.course_root() / ".coursekit" / "lint" / f"{module.id}.json"
        h = hashlib.sha256()
        package = Path(__file__).resolve().parents[2]            # the coursekit package
        h.update(fileio.folder_digest(module.solution_notebook.parent).encode())
        for f in [paths.course_config_file(), *sorted(package.rglob("*.py"))]:
            if f.is_file():
                h.update(str(f.name).encode())
                h.update(f.read_bytes())
        self.key = h.hexdigest()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        self.data = data if isinstance(data, dict) and data.get("key") == self.key else {"key": self.key}

    def get(self, name: str):
        return self.data.get(name)

    def put(self, name: str, value):
        self.data[name] = value
        try:
            fileio.atomic_write_text(self.path, json.dumps(self.data, indent=1))
        except (OSError, TypeError, ValueError):
            pass          # a read-only course folder or an odd value: check again next time
        return value


def apply_waivers(findings: list[Finding], waivers: list[Waiver], module_ids: list[str],
                  ran: set[str]) -> Report:
    """Split findings into failing and waived; a waiver that is invalid or matches nothing fails."""
    report = Report()
    used = set()
    by_key = {(w.module, w.rule, w.item): w for w in waivers}
    for f in findings:
        w = by_key.get((f.module, f.rule, f.item)) if f.item else None
        if w is not None and w.rule in WAIVABLE:
            report.waived.append((f, w))
            used.add(id(w))
        else:
            report.findings.append(f)
    for w in waivers:
        if w.module not in module_ids:
            continue
        if w.rule not in WAIVABLE:
            report.findings.append(Finding(w.module, "waivers", f"course/lint_waivers.yml waives rule {w.rule!r} for "
                                                                f"{w.item}; only {', '.join(WAIVABLE)} can be waived: fix it"))
        elif id(w) not in used and w.rule in ran:
            report.findings.append(Finding(w.module, "waivers", f"course/lint_waivers.yml waives {w.rule} {w.item}, "
                                                                "which no longer happens: remove the waiver"))
    return report


def check(module_ids: list[str] | None = None, grade: bool = True, workers: int = 2) -> Report:
    """The definition of done on the named modules (default: all in the syllabus), with waivers."""
    mods = [syllabus.get(m) for m in module_ids] if module_ids else list(syllabus.modules())
    waivers = load_waivers()
    findings: list[Finding] = []
    for module in mods:
        findings += module_findings(module, grade=grade, workers=workers)
    ran = set(RULES) - (set() if grade else set(GRADING_RULES))
    report = apply_waivers(findings, waivers, [m.id for m in mods], ran)
    if not grade:
        report.skipped = list(GRADING_RULES)
    return report
