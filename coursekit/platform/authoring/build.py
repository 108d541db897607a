"""``coursekit build``: regenerate exercises/ from solutions/ with nbgrader, and check releases.

The release of a module is whatever nbgrader's generate_assignment makes of the folder
``solutions/<id>/`` (less what ``c.CourseDirectory.ignore`` in course/nbgrader_config.py leaves
out, such as the plausible wrong answers in ``wrong_answers.yml``). ``--check`` regenerates into a
temporary folder and compares byte for byte, then looks for anything of the solution that leaked
into the release; the rest of the definition of done is in ``coursekit.platform.authoring.lint``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coursekit.errors import UsageError
from coursekit.platform import fileio, notebooks, paths, syllabus
from coursekit.platform.nbgrader_adapter import cells, release
from coursekit.platform.syllabus import Module


@dataclass
class Problem:
    module: str
    message: str

    def __str__(self) -> str:
        return f"{self.module}: {self.message}"


def generate_release(module: Module) -> dict[str, bytes]:
    """What nbgrader releases of ``solutions/<id>``: {relative path: bytes}."""
    if not module.solution_notebook.exists():
        raise UsageError(f"{module.id}: no source notebook at {module.solution_notebook}; create it first")
    return release.release_files(module.solution_notebook.parent, module.id)


def write_release(module: Module, files: dict[str, bytes]) -> list[str]:
    """Write the release into exercises/<id>/, removing files no longer released. Returns changed paths."""
    dest = module.exercise_notebook.parent
    changed = []
    for rel, data in files.items():
        target = dest / rel
        if not target.exists() or target.read_bytes() != data:
            fileio.atomic_write(target, data)
            changed.append(str(target.relative_to(paths.course_root())))
    if dest.exists():
        for p in sorted(dest.rglob("*")):
            if p.is_file() and str(p.relative_to(dest)) not in files:
                p.unlink()
                changed.append(str(p.relative_to(paths.course_root())))
    return changed


def stale_files(module: Module, files: dict[str, bytes]) -> list[Problem]:
    dest = module.exercise_notebook.parent
    problems = []
    for rel, data in files.items():
        target = dest / rel
        if not target.exists():
            problems.append(Problem(module.id, f"exercises/{module.id}/{rel} is missing; run `coursekit build`"))
        elif target.read_bytes() != data:
            problems.append(Problem(module.id, f"exercises/{module.id}/{rel} is stale; run `coursekit build`"))
    if dest.exists():
        for p in dest.rglob("*"):
            if p.is_file() and str(p.relative_to(dest)) not in files and ".ipynb_checkpoints" not in p.parts:
                problems.append(Problem(module.id, f"{p.relative_to(paths.course_root())} is not part of the release; run `coursekit build`"))
    return problems


def _meaningful(line: str) -> bool:
    s = line.strip()
    return bool(s) and not s.startswith("#") and s not in {"pass", ")", "]", "}", "...", "else:", "try:", "return"}


def secret_lines(nb, markers: cells.Markers) -> set[str]:
    """Lines inside solution, hidden-test and mark-scheme regions that appear nowhere else in the source."""
    return cells.secret_lines(nb, markers.secret, keep=_meaningful)


def leaks(module: Module, release_nb, source_nb) -> list[Problem]:
    problems = []
    markers = cells.markers()
    secrets = secret_lines(source_nb, markers)
    for i, cell in enumerate(release_nb.cells, start=1):
        text = cells.source_text(cell)
        for marker in markers.all:
            if marker in text:
                problems.append(Problem(module.id, f"released cell {i} still holds the marker {marker!r}"))
        for line in text.splitlines():
            if " ".join(line.split()) in secrets:
                problems.append(Problem(module.id, f"released cell {i} leaks a solution or hidden-test line: {line.strip()[:60]!r}"))
    return problems


def tag_problems(module: Module, source_nb) -> list[Problem]:
    from coursekit.platform.authoring import lint

    return [Problem(f.module, f.message) for f in lint.tag_findings(module, source_nb)]


def unreleasable(module: Module, files: dict[str, bytes]) -> list[Problem]:
    """Files of the source that must never reach learners but that nbgrader would release."""
    from coursekit.platform.authoring.lint import WRONG_ANSWERS_FILE

    problems = []
    for rel in list(files):
        if Path(rel).name == WRONG_ANSWERS_FILE:
            del files[rel]
            problems.append(Problem(module.id, f"nbgrader would release solutions/{module.id}/{rel}: add "
                                               f"{WRONG_ANSWERS_FILE!r} to c.CourseDirectory.ignore in course/nbgrader_config.py"))
    return problems


def build(module_ids: list[str] | None = None, check: bool = False) -> tuple[list[str], list[Problem]]:
    """Regenerate (or with ``check``, verify) the releases. Returns (changed files, problems).

    With ``check`` only the releases are checked (current, nothing leaked, no wrong answers);
    ``coursekit build --check`` adds the definition of done from ``lint.check``.
    """
    mods = [syllabus.get(m) for m in module_ids] if module_ids else list(syllabus.modules())
    changed: list[str] = []
    problems: list[Problem] = []
    for module in mods:
        source_nb = notebooks.read(module.solution_notebook)
        if not check:
            problems += tag_problems(module, source_nb)
        files = generate_release(module)
        problems += unreleasable(module, files)
        if check:
            problems += stale_files(module, files)
            released = module.exercise_notebook
            if released.exists():
                problems += leaks(module, notebooks.read(released), source_nb)
        else:
            changed += write_release(module, files)
            problems += leaks(module, notebooks.read(module.exercise_notebook), source_nb)
    if not module_ids:   # the start page lists every module
        from coursekit.platform.authoring import startpage

        if check:
            problems += [Problem("START.ipynb", p) for p in startpage.problems()]
        else:
            changed += startpage.write()
    return changed, problems
