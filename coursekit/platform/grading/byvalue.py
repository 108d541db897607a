"""Grading by value: learner code and hidden tests never share a process.

One submission is graded in three steps:

1. **The learner's run** (sandboxed, :mod:`~coursekit.platform.grading.cellrunner`): the setup
   cells (the course's own versions), the learner's answer cells and any cells they added, in the
   submitted order. Test cells are not run. Where each test cell stands, the variables that
   question's tests read (the names its answer cell assigns in the source) are exported as plain
   data (:mod:`~coursekit.platform.grading.values`).
2. **The tests' run** (sandboxed too, in a fresh child): the setup cells, then each test cell with
   only that question's exported values set. No learner code runs here, so no input transformer,
   redefined helper, patched builtin or always-equal object can reach the tests.
3. **nbgrader records the grades** from a notebook holding the learner's cells with their outputs
   and the test cells with the outputs of step 2 (``Execute`` and ``ClearOutput`` switched off:
   nbgrader scores the test outputs exactly as it scores its own runs).

The source notebook (hidden tests included) is read here, in the grader, and reaches only the
tests' run; the learner's run never sees it.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.platform.grading import isolation
from coursekit.platform.grading.limits import Limits
from coursekit.platform.nbgrader_adapter import cells

RUNNER_MODULE = "coursekit.platform.grading.cellrunner"
#: A run's result file larger than this is not read (learner code writes part of it).
MAX_RESULT_BYTES = 64 * 1024 * 1024


# --- which variables each question's tests read ------------------------------------------------

def assigned_names(code: str) -> list[str]:
    """Top-level names a cell assigns (in order), ignoring private ones (``_x``)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return list(dict.fromkeys(re.findall(r"^([A-Za-z]\w*)\s*=[^=]", code, re.M)))
    names: list[str] = []

    def targets(t):
        if isinstance(t, ast.Name):
            names.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                targets(e)

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                targets(t)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets(node.target)
    return [n for n in dict.fromkeys(names) if not n.startswith("_")]


def used_names(code: str) -> set[str]:
    """Names a cell reads, and strings it holds (for ``"name" in globals()`` checks)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(re.findall(r"[A-Za-z_]\w*", code))
    found = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    found |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return found


def tests_after(nb) -> dict[str, list[str]]:
    """answer grade_id -> the grade_ids of the autograded test cells after it, up to the next answer."""
    out: dict[str, list[str]] = {}
    current = None
    for cell in nb["cells"]:
        if cells.is_answer(cell):
            current = cells.grade_id(cell)
            out[current] = []
        elif cells.is_autograded_test(cell) and current is not None:
            out[current].append(cells.grade_id(cell))
    return out


def answer_names(nb) -> dict[str, list[str]]:
    """answer grade_id -> the variables its cell assigns that its test cells read: the answers."""
    by_id = {cells.grade_id(c): c for c in nb["cells"]}
    out = {}
    for answer, tests in tests_after(nb).items():
        used: set[str] = set()
        for t in tests:
            used |= used_names(cells.source_text(by_id[t]))
        out[answer] = [n for n in assigned_names(cells.source_text(by_id[answer])) if n in used]
    return out


def test_reads(source_nb) -> dict[str, list[str]]:
    """test grade_id -> the answer variables it may read (its own answer cell's, in the source)."""
    names = answer_names(source_nb)
    out = {}
    for answer, tests in tests_after(source_nb).items():
        for t in tests:
            out[t] = names.get(answer, [])
    return out


# --- the submission as nbgrader would run it ----------------------------------------------------

def overwrite_locked(submission, source):
    """The submission with every locked and test cell replaced by the source's (as nbgrader does).

    A grade_id seen twice keeps only its first cell's role (nbgrader's DeduplicateIds); a cell
    claiming a grade_id the source does not have is the learner's own cell.
    """
    src_by_id = {cells.grade_id(c): c for c in source["cells"] if cells.grade_id(c)}
    nb = copy.deepcopy(submission)
    seen: set[str] = set()
    for cell in nb["cells"]:
        gid = cells.grade_id(cell)
        if not gid:
            continue
        if gid in seen or gid not in src_by_id:
            cell.get("metadata", {}).pop("nbgrader", None)
            continue
        seen.add(gid)
        src = src_by_id[gid]
        m = cells.meta(src)
        if m.get("locked") or cells.is_autograded_test(src):
            cell["cell_type"] = src["cell_type"]
            cell["source"] = cells.source_text(src)
            cell["metadata"]["nbgrader"] = copy.deepcopy(m)
            if cell["cell_type"] == "code":
                cell.setdefault("outputs", [])
                cell.setdefault("execution_count", None)
            else:
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
    _restore_missing(nb, source, seen)
    return nb


MISSING_NOTE = "This cell was missing from the submission; the grader put it back.\n"


def _restore_missing(nb, source, present: set[str]) -> None:
    """Put back graded cells the learner deleted, after the cell that came before them in the source
    (as nbgrader's ``OverwriteCells.add_missing_cells`` does), so a deleted test still runs. A
    written answer comes back empty: the source's version holds the model answer."""
    previous: str | None = None
    for src in source["cells"]:
        gid = cells.grade_id(src)
        if not gid:
            continue
        m = cells.meta(src)
        if gid not in present and (m.get("grade") or m.get("task")):
            if cells.is_autograded_test(src):
                cell = {"cell_type": "code", "metadata": {"nbgrader": copy.deepcopy(m)},
                        "source": cells.source_text(src), "outputs": [], "execution_count": None}
            else:
                cell = {"cell_type": "markdown", "metadata": {"nbgrader": copy.deepcopy(m)},
                        "source": MISSING_NOTE}
            at = next((i + 1 for i, c in enumerate(nb["cells"]) if previous and cells.grade_id(c) == previous), 0)
            nb["cells"].insert(at, cell)
            present.add(gid)
        if m.get("solution") or m.get("grade") or m.get("task"):
            previous = gid


def learner_steps(nb, reads: dict[str, list[str]]) -> list[dict]:
    steps = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        if cells.is_autograded_test(cell):
            steps.append({"export": cells.grade_id(cell), "names": reads.get(cells.grade_id(cell), [])})
        else:
            steps.append({"cell": i, "code": cells.source_text(cell)})
    return steps


def test_steps(nb, reads: dict[str, list[str]], exports: dict[str, dict]) -> list[dict]:
    steps = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code" or not cells.meta(cell).get("locked") and not cells.is_autograded_test(cell):
            continue
        if cells.is_autograded_test(cell):
            gid = cells.grade_id(cell)
            got = exports.get(gid) or {}
            steps.append({"inject": {n: ({"value": got[n]} if n in got else None) for n in reads.get(gid, [])}})
        steps.append({"cell": i, "code": cells.source_text(cell)})
    return steps


def imports_of(nb) -> list[str]:
    """Modules a notebook's code imports (for the runner to load before it forks)."""
    found: list[str] = []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(cells.source_text(cell))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.append(node.module)
    return list(dict.fromkeys(found))


# --- the runner process -------------------------------------------------------------------------

class RunnerError(RuntimeError):
    pass


@dataclass
class Runner:
    """A pre-warmed runner (see :mod:`~coursekit.platform.grading.cellrunner`), one run at a time."""

    proc: subprocess.Popen
    isolation: dict = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, workdir: Path, preload: list[str] | None = None) -> "Runner":
        """Start a runner; ``preload``: the modules to load before forking (default: the whole toolkit)."""
        env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "COURSEKIT_ISOLATION")
               if k in os.environ}
        if preload is not None:
            env["COURSEKIT_PRELOAD"] = json.dumps(preload)
        env.update({"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "HOME": str(workdir),
                    "MPLCONFIGDIR": str(workdir / "mpl"), "PYTHONDONTWRITEBYTECODE": "1"})
        proc = subprocess.Popen([sys.executable, "-m", RUNNER_MODULE], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                cwd=str(workdir), start_new_session=True)
        runner = cls(proc)
        threading.Thread(target=runner._drain, daemon=True).start()
        return runner

    def wait_ready(self) -> dict:
        """The runner's isolation report, once it has warmed up (start() does not wait for it)."""
        if not self.isolation:
            ready = self.proc.stdout.readline()
            if not ready:
                self.proc.wait()
                raise RunnerError("the grading runner did not start: " + " | ".join(self.log[-5:]))
            self.isolation = json.loads(ready)["isolation"]
        return self.isolation

    def _drain(self) -> None:
        for line in self.proc.stderr:
            self.log.append(line.rstrip()[:500])
            del self.log[:-50]

    def run(self, jobdir: Path, limits: Limits, *, isolate: bool = True) -> dict:
        spec = {"jobdir": str(jobdir), "cell_timeout": limits.cell_timeout, "wall": limits.notebook_timeout,
                "memory_mb": limits.memory_mb, "cpu_seconds": limits.cpu_seconds,
                "max_processes": limits.max_processes, "file_mb": limits.scratch_mb, "isolate": isolate}
        self.wait_ready()
        try:
            self.proc.stdin.write(json.dumps(spec) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            raise RunnerError(f"the grading runner stopped: {exc}")
        if not line:
            raise RunnerError("the grading runner stopped: " + " | ".join(self.log[-5:]))
        return json.loads(line)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- one submission -----------------------------------------------------------------------------

@dataclass
class ValueRun:
    """The executed notebook (for nbgrader to score) and what happened on the way."""

    notebook: dict
    isolation: str
    reason: str = ""                 # set when the learner's run itself could not finish
    problems: dict = field(default_factory=dict)   # question -> {name: why it could not be read}


def _write_job(jobdir: Path, scratch: Path, steps: list, cwd: Path) -> None:
    jobdir.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    job = {"steps": steps, "result": str(jobdir / "result.json"), "scratch": str(scratch), "cwd": str(cwd)}
    (jobdir / "job.json").write_text(json.dumps(job), encoding="utf-8")


def _read_result(jobdir: Path) -> dict | None:
    path = jobdir / "result.json"
    try:
        if path.stat().st_size > MAX_RESULT_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _describe_end(run: dict, limits: Limits, who: str) -> str:
    """Why a run did not end normally ('' when it did, even if a child of it ran out of memory)."""
    if run["status"] == "ok" and run.get("exit") == 0:
        return ""
    if run["status"] == "timeout":
        return f"timed out: the whole notebook took longer than {limits.notebook_timeout} s"
    if run["status"] == "cell-timeout-killed":
        return f"timed out: a cell ran longer than {limits.cell_timeout} s and would not stop"
    if run.get("oom"):
        return f"out of memory: {who} used more than {limits.memory_mb} MB"
    if run.get("exit") not in (0, None):
        return f"kernel died: {who} stopped Python itself (exit {run.get('exit')})"
    return ""


def grade_by_value(submission: dict, source: dict, runner: Runner, limits: Limits, workdir: Path,
                   submitted_files: Path | None = None, *, isolate: bool = True) -> ValueRun:
    """Run ``submission`` against ``source``'s tests by value; the returned notebook has the outputs."""
    nb = overwrite_locked(submission, source)
    reads = test_reads(source)
    learner_dir = workdir / "learner"
    scratch = learner_dir / "scratch"
    if submitted_files is not None and submitted_files.is_dir():
        shutil.copytree(submitted_files, scratch, symlinks=True, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.ipynb", "timestamp.txt"))
    _write_job(learner_dir, scratch, learner_steps(nb, reads), scratch)
    os.chmod(learner_dir, 0o700)
    a = runner.run(learner_dir, limits, isolate=isolate)
    got = _read_result(learner_dir) or {"cells": {}, "exports": {}, "problems": {}}
    reason = _describe_end(a, limits, "the notebook") or _setup_failure(nb, got)
    exports = got.get("exports") if isinstance(got.get("exports"), dict) else {}
    for index, out in (got.get("cells") or {}).items():
        try:
            cell = nb["cells"][int(index)]
        except (ValueError, IndexError):
            continue
        if cell.get("cell_type") == "code" and not cells.is_autograded_test(cell) and isinstance(out, dict):
            cell["outputs"] = [o for o in out.get("outputs", []) if isinstance(o, dict)]
            cell["execution_count"] = out.get("execution_count") if isinstance(out.get("execution_count"), int) else None
    if reason and a["status"] in ("timeout", "cell-timeout-killed"):
        _mark_unfinished(nb, got, limits)

    run_tests(nb, reads, exports, runner, limits, workdir / "tests", isolate=isolate)
    problems = got.get("problems") if isinstance(got.get("problems"), dict) else {}
    for gid, why in problems.items():
        _note_unreadable(nb, gid, why)
    level = runner.isolation.get("level", "none") if isolate else "none"
    return ValueRun(nb, level, reason, problems)


def run_tests(nb, reads: dict[str, list[str]], exports: dict[str, dict], runner: Runner, limits: Limits,
              tests_dir: Path, *, isolate: bool = True) -> None:
    """Step 2: the setup and test cells of ``nb`` run in a fresh child with only the exported
    values; each test cell of ``nb`` gets its outputs. The graded check and the instant check of one
    question (:mod:`~coursekit.platform.grading.question`) both run their tests here."""
    _write_job(tests_dir, tests_dir / "scratch", test_steps(nb, reads, exports), tests_dir / "scratch")
    os.chmod(tests_dir, 0o700)
    b = runner.run(tests_dir, limits, isolate=isolate)
    tested = _read_result(tests_dir)
    if tested is None:
        raise RunnerError(_describe_end(b, limits, "the tests") or "the tests' run wrote no result")
    for index, out in tested.get("cells", {}).items():
        cell = nb["cells"][int(index)]
        if cells.is_autograded_test(cell):
            cell["outputs"] = out["outputs"]
            cell["execution_count"] = out["execution_count"]


def _setup_failure(nb, got: dict) -> str:
    """Why the exercise's own cells failed before any learner code ran ('' when they did not).

    Those cells are the course's (nbgrader restores locked cells), so their failure is the grading
    machine's (a package it cannot import or read), not the learner's: grading every notebook as 0
    would hide it. A cell the learner added above them makes this rule step aside.
    """
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code" or cells.is_autograded_test(cell):
            continue
        if not cells.meta(cell).get("locked"):
            return ""
        out = (got.get("cells") or {}).get(str(i))
        if isinstance(out, dict) and out.get("ok") is False:
            return (f"the exercise's own cell {cells.grade_id(cell) or i} failed before any learner code ran "
                    f"({_error_line(out.get('outputs') or [])}): check the grading environment")
    return ""


def _error_line(outputs: list) -> str:
    """The error a cell's outputs end with, on one line."""
    for out in reversed([o for o in outputs if isinstance(o, dict)]):
        if out.get("output_type") == "error":
            return f"{out.get('ename', 'Error')}: {str(out.get('evalue', ''))}"[:300]
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = out.get("text", "")
            lines = [ln for ln in ("".join(text) if isinstance(text, list) else str(text)).splitlines() if ln.strip()]
            if lines:
                return lines[-1].strip()[:300]
    return "no message"


def _mark_unfinished(nb, got: dict, limits: Limits) -> None:
    """The cell that overran gets nbclient's timeout error, so the results say why."""
    done = set((got.get("cells") or {}).keys())
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") == "code" and not cells.is_autograded_test(cell) and str(i) not in done:
            cell["outputs"] = [{"output_type": "error", "ename": "CellTimeoutError",
                                "evalue": f"A cell timed out while it was being executed, after {limits.cell_timeout} seconds.",
                                "traceback": []}]
            break


def _note_unreadable(nb, gid: str, why: dict) -> None:
    for cell in nb["cells"]:
        if cells.grade_id(cell) == gid:
            text = "; ".join(f"{n}: {w}" for n, w in why.items())
            cell.setdefault("outputs", []).insert(0, {
                "output_type": "stream", "name": "stdout",
                "text": f"[the grader could not read your answer as plain data: {text}]\n"})
            return
