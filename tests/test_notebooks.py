"""nbval: lessons and the start page reproduce their stored outputs; solutions run."""

import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.platform import syllabus

REPO = Path(__file__).resolve().parent.parent
SANITIZE = REPO / "tests" / "nbval_sanitize.cfg"
pytestmark = pytest.mark.slow


def _nbval(path: Path, mode: str) -> None:
    cmd = [sys.executable, "-m", "pytest", mode, str(path), "--nbval-current-env", "-q",
           "-p", "no:cacheprovider", "--nbval-sanitize-with", str(SANITIZE), "-o", "addopts="]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("module_id", [m.id for m in syllabus.modules()])
def test_lesson_outputs_reproduce(module_id):
    _nbval(syllabus.get(module_id).lesson_notebook, "--nbval")


@pytest.mark.parametrize("module_id", [m.id for m in syllabus.modules()])
def test_solution_runs(module_id):
    _nbval(syllabus.get(module_id).solution_notebook, "--nbval-lax")


def test_start_page_lists_the_syllabus():
    """The start page's table of modules is generated from the syllabus, and current."""
    import nbformat

    from coursekit.platform.authoring import startpage

    assert startpage.problems() == []
    nb = nbformat.read(REPO / "START.ipynb", as_version=4)
    nbformat.validate(nb)
    text = "\n".join(c.source for c in nb.cells)
    for m in syllabus.modules():
        assert m.title in text and f"exercises/{m.id}/exercise.ipynb" in text
    assert not [c for c in nb.cells if c.cell_type == "code"]     # nothing to run before it shows


def test_every_course_notebook_is_stored_with_the_kernel_the_lab_runs():
    """JupyterLab writes the running kernel's spec into a notebook it opens: a notebook stored with
    another spec shows unsaved changes at once, and asks to be saved when the learner closes it."""
    from ipykernel.kernelspec import KERNEL_NAME, get_kernel_dict

    from coursekit.platform import notebooks

    installed = get_kernel_dict()
    assert notebooks.KERNELSPEC == {"display_name": installed["display_name"], "language": installed["language"],
                                    "name": KERNEL_NAME}
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True, text=True).stdout.split()
    stored = listed or [str(p.relative_to(REPO)) for p in REPO.glob("*/**/*.ipynb") if ".venv" not in p.parts]
    assert stored
    wrong = {path: notebooks.kernelspec_problem(notebooks.read(REPO / path)) for path in stored}
    assert not {p: why for p, why in wrong.items() if why}
