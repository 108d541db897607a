"""Instant check of one question, and its hints: what ``check("q3")`` and ``hint("q3")`` ask for.

The verdict comes from the graded check's own machinery (:mod:`~coursekit.platform.grading.byvalue`),
so the two never disagree: the variables the question's tests read (the names its answer cell
assigns in the source) leave the learner's kernel as plain data (:mod:`coursekit.plaindata`), and
the question's test cells run, after the setup cells, in a sandboxed child of a pre-warmed runner
with only those values. nbgrader's rule scores each test cell, and the feedback is the full
check's (:func:`~coursekit.platform.grading.results.question_results`).

Where the course has the exercise's source (``solutions/``, self-paced), its hidden tests run.
Where it has not (a cohort's release), the release's visible checks run instead, and the verdict
says so. Hints come from ``hints.yml`` beside the exercise: for each answer cell's grade_id, hints
from gentle to specific, none of which gives the answer away.

The learner's kernel runs ``python -m coursekit.platform.grading.question NOTEBOOK`` once and keeps
it (:func:`coursekit.selfcheck.check`), so that only the first check pays for starting it: JSON
lines in, JSON lines out. Requests: ``{"op": "names", "question"}``, ``{"op": "check", "question",
"values"}``, ``{"op": "hint", "question", "level"}``. Every attempt and hint is recorded
(:mod:`coursekit.platform.attempts`).
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import json
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from coursekit.errors import UsageError
from coursekit.platform import attempts, notebooks
from coursekit.platform.grading import byvalue, limits as limits_mod
from coursekit.platform.grading.results import Status, num, question_results
from coursekit.platform.nbgrader_adapter import cells

HINTS_FILE = "hints.yml"
HIDDEN, VISIBLE = "hidden tests", "visible checks"
VISIBLE_NOTE = ("Only the visible checks ran: the course's hidden tests are not in this copy of the course, "
                "so a pass here is not yet a grade.")


class _Score:
    """A test cell's score as the results expect it (``score``, ``max_score``)."""

    def __init__(self, score, max_score):
        self.score, self.max_score = score, max_score


def label(answer_id: str) -> str:
    """How a question is called: its answer cell's grade_id without ``_answer`` (q1, q3_refs)."""
    return answer_id[:-len("_answer")] if answer_id.endswith("_answer") else answer_id


def visible_reads(source) -> dict[str, list[str]]:
    """test grade_id -> the names its checks read that no locked cell defines (a release, whose
    answer cells hold no answer to read the names from)."""
    defined = set(dir(builtins))
    for cell in source["cells"]:
        if cell.get("cell_type") == "code" and cells.meta(cell).get("locked") and not cells.is_autograded_test(cell):
            defined |= set(byvalue.assigned_names(cells.source_text(cell)))
            try:
                tree = ast.parse(cells.source_text(cell))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    defined.add(node.name)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
    out = {}
    for cell in source["cells"]:
        if cells.is_autograded_test(cell):
            used = byvalue.used_names(cells.source_text(cell))
            out[cells.grade_id(cell)] = sorted(n for n in used if n.isidentifier() and n not in defined
                                               and not n.startswith("_"))
    return out


class Exercise:
    """One exercise's questions, tests and hints, and the runner its checks run in."""

    def __init__(self, notebook: Path):
        from coursekit.platform.grading.check import identify_module

        notebook = Path(notebook)
        nb = notebooks.read(notebook)
        self.module = identify_module(nb, notebook)
        if self.module.solution_notebook.exists():
            self.mode, source = HIDDEN, self.module.solution_notebook
        elif self.module.exercise_notebook.exists():
            self.mode, source = VISIBLE, self.module.exercise_notebook
        else:
            self.mode, source = VISIBLE, notebook
        self.source = notebooks.read(source)
        self.tests = byvalue.tests_after(self.source)
        self.reads = byvalue.test_reads(self.source) if self.mode == HIDDEN else visible_reads(self.source)
        self.hints = read_hints(source.parent, self.module.exercise_notebook.parent)
        self.hints_seen: dict[str, int] = {}
        self.limits = limits_mod.resolve()
        self.workdir = Path(tempfile.mkdtemp(prefix="coursekit-question-"))
        self.runner = byvalue.Runner.start(self.workdir, byvalue.imports_of(self.source))   # warms up now
        # nbgrader's scoring rule takes seconds to import: load it meanwhile, beside the runner
        threading.Thread(target=cells.autograde_score_loaded, daemon=True).start()
        self.runs = 0

    def close(self) -> None:
        self.runner.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- which question -----------------------------------------------------------------------

    def resolve(self, question) -> str:
        """The answer cell's grade_id for ``question`` (3, "q3", "q3_refs", "q3_refs_answer" or a test's id)."""
        q = str(question).strip()
        if q.isdigit():
            q = f"q{q}"
        if q in self.tests:
            return q
        if f"{q}_answer" in self.tests:
            return f"{q}_answer"
        for answer, tests in self.tests.items():
            if q in tests:
                return answer
        found = [a for a in self.tests if re.match(rf"{re.escape(q)}(_|$)", a)]
        if len(found) == 1:
            return found[0]
        names = ", ".join(f'"{label(a)}"' for a in self.tests)
        raise UsageError(f"There is no question {question!r} in this exercise: ask for one of {names}.")

    def names(self, question) -> dict:
        answer = self.resolve(question)
        wanted = sorted({n for t in self.tests[answer] for n in self.reads.get(t, [])})
        return {"question": label(answer), "names": wanted}

    # --- the verdict --------------------------------------------------------------------------

    def _question_notebook(self, answer: str) -> dict:
        """The source's setup cells up to the question's last test, its answer cell and its tests."""
        tests = set(self.tests[answer])
        picked, last = [], max(i for i, c in enumerate(self.source["cells"]) if cells.grade_id(c) in tests)
        for i, cell in enumerate(self.source["cells"][:last + 1]):
            gid = cells.grade_id(cell)
            setup = (cell.get("cell_type") == "code" and cells.meta(cell).get("locked")
                     and not cells.is_autograded_test(cell))
            if setup or gid in tests or gid == answer:
                picked.append(json.loads(json.dumps(cell)))
        return {**{k: v for k, v in self.source.items() if k != "cells"}, "cells": picked}

    def check(self, question, values: dict) -> dict:
        answer = self.resolve(question)
        nb = self._question_notebook(answer)
        exports = {t: {n: values[n] for n in self.reads.get(t, []) if n in values} for t in self.tests[answer]}
        self.runs += 1
        jobdir = self.workdir / f"run{self.runs}"
        try:
            byvalue.run_tests(nb, self.reads, exports, self.runner, self.limits, jobdir)
        finally:
            shutil.rmtree(jobdir, ignore_errors=True)
        scores = {}
        for cell in nb["cells"]:
            if cells.is_autograded_test(cell):
                score, max_score = cells.autograde_score(cell)
                scores[cells.grade_id(cell)] = _Score(score, max_score)
        parts = question_results(nb, scores, self.limits.cell_timeout)
        passed = all(p.status is Status.PASSED for p in parts)
        attempts.record(module=self.module.id, question=label(answer), kind="check", mode=self.mode, passed=passed,
                        parts={p.grade_id: p.status is Status.PASSED for p in parts},
                        answer=hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16],
                        hint=self.hints_seen.get(answer, 0))
        return verdict(label(answer), parts, self.mode)

    # --- hints --------------------------------------------------------------------------------

    def hint(self, question, level: int | None = None) -> dict:
        answer = self.resolve(question)
        ladder = self.hints.get(answer) or []
        name = label(answer)
        if not ladder:
            return {"text": f"There is no hint for {name} yet: re-read the question, and the part of the lesson it "
                            "points to.", "level": 0, "of": 0}
        n = level if level else self.hints_seen.get(answer, 0) + 1
        n = max(1, min(int(n), len(ladder)))
        self.hints_seen[answer] = max(n, self.hints_seen.get(answer, 0))
        attempts.record(module=self.module.id, question=name, kind="hint", mode=self.mode, hint=n)
        more = (f' Run hint("{name}") again for the next one.' if n < len(ladder)
                else " That is the last hint: the rest is yours to work out.")
        return {"text": f"Hint {n} of {len(ladder)} for {name}: {ladder[n - 1]}{more}", "level": n, "of": len(ladder)}


def read_hints(*folders: Path) -> dict[str, list[str]]:
    """answer grade_id -> its hints, from the first ``hints.yml`` found in ``folders``."""
    from coursekit.platform import yamlfile

    for folder in folders:
        path = Path(folder) / HINTS_FILE
        if path.exists():
            data = yamlfile.read_mapping(path)
            return {str(k): [" ".join(str(h).split()) for h in (v or [])] for k, v in data.items()}
    return {}


def verdict(name: str, parts: list, mode: str) -> dict:
    """The learner's answer for one question: text, HTML and whether every part passed."""
    from coursekit.platform.rendering import render

    passed = all(p.status is Status.PASSED for p in parts)
    right = sum(p.status is Status.PASSED for p in parts)
    visible = mode == VISIBLE
    if len(parts) == 1:
        p = parts[0]
        head = f"{name}: {'passes the visible checks' if visible and passed else p.status.words}"
        lines = [f"{head} ({num(p.points)} / {num(p.max_points)}). {'' if passed else p.message}".rstrip()]
    else:
        lines = [f"{name}: {right} of {len(parts)} parts {'pass the visible checks' if visible else 'right'}."]
        width = max(len(p.grade_id) for p in parts)
        lines += [f"  {p.grade_id:<{width}}  {num(p.points):>3} / {num(p.max_points):<3} {p.status.words:<13} "
                  f"{'' if p.status is Status.PASSED else p.message}".rstrip() for p in parts]
    if visible:
        lines.append(VISIBLE_NOTE)
    html = render("question_check.html.j2", name=name, parts=parts, passed=passed, visible=visible,
                  note=VISIBLE_NOTE, right=right)
    return {"question": name, "passed": passed, "mode": mode, "text": "\n".join(lines), "html": html,
            "parts": [p.as_json() for p in parts]}


def serve(notebook: str) -> int:
    """The loop the learner's kernel talks to: one JSON line per request and per answer."""
    import os

    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)          # anything else printed goes to stderr, never into the answers
    try:
        exercise = Exercise(Path(notebook))
    except UsageError as exc:
        out.write(json.dumps({"error": str(exc)}) + "\n")
        out.flush()
        return 2
    out.write(json.dumps({"ready": True, "module": exercise.module.id, "mode": exercise.mode}) + "\n")
    out.flush()
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                op = req.get("op")
                if op == "names":
                    reply = exercise.names(req["question"])
                elif op == "check":
                    reply = exercise.check(req["question"], req.get("values") or {})
                elif op == "hint":
                    reply = exercise.hint(req["question"], req.get("level"))
                else:
                    reply = {"error": f"unknown request {op!r}"}
            except UsageError as exc:
                reply = {"error": str(exc)}
            except byvalue.RunnerError as exc:
                reply = {"error": f"the check could not run ({exc})"}
            except Exception as exc:  # one sentence back to the learner, never a traceback
                reply = {"error": f"the check could not run ({exc.__class__.__name__}: {exc})"}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    finally:
        exercise.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(json.dumps({"error": "usage: python -m coursekit.platform.grading.question NOTEBOOK"}))
        raise SystemExit(2)
    raise SystemExit(serve(sys.argv[1]))
