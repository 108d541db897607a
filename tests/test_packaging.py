"""The two ways to install the kit agree, the README's quick start is what CI runs, and the built
wheel ships the learner toolkit with its data but none of the course (solutions, hidden tests)."""

import json
import os
import re
import subprocess
import sys
import zipfile
try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
# Grouped with the server tests, which install the same wheel (where pytest-xdist honours groups).
pytestmark = pytest.mark.xdist_group("servers")


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _norm(req: str) -> str:
    # Environment markers (e.g. "; python_version < '3.11'") have no conda equivalent, nor do pip's
    # extras (psycopg[binary] bundles libpq, which conda-forge's psycopg gets as a package of its own).
    req = req.split(";")[0].split("#")[0].replace(" ", "").lower()
    return re.sub(r"\[[^\]]*\]", "", req)


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_deps = project["dependencies"] + project["optional-dependencies"]["dev"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) not in {"python", "pip"}]
    assert sorted(map(_norm, conda)) == sorted(map(_norm, pip_deps))
    python = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) == "python"][0]
    assert python.replace("python", "") == project["requires-python"]


def test_readme_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", quick, re.S)
    commands = [ln.strip() for b in blocks for ln in b.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert commands == ["python3 kit.py lab", "python3 kit.py test"]
    assert "python3 kit.py test" in (REPO / ".ci" / "run").read_text()


def test_console_script_is_declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["coursekit"] == "coursekit.cli:run"


def test_a_command_loads_only_its_own_module():
    """Each command's module is named after it, and a command loads no other (it starts sooner);
    without a command, or with one that does not exist, every command is there for the help."""
    code = ("import sys; from coursekit.cli import build_parser; build_parser({!r}); "
            "print(sorted(m for m in sys.modules if m.startswith('coursekit.cli.')))")
    loaded = {command: subprocess.run([sys.executable, "-c", code.format(command)], capture_output=True, text=True,
                                      check=True).stdout.strip()
              for command in ("progress", None, "nosuch")}
    assert loaded["progress"] == "['coursekit.cli.progress']"
    assert loaded[None] == loaded["nosuch"] and "'coursekit.cli.pledge'" in loaded[None]


# --- The built wheel: what ships, and that the toolkit works from it alone ---------------------
DATA = "coursekit/datasets/data/"
COURSE_ONLY = {"solutions", "exercises", "modules", "tests", "course", "competencies"}
MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS")
# In Python source a marker line is a comment, as nbgrader writes them ("### BEGIN SOLUTION");
# the platform's own code names the markers in strings, to find them in notebooks.
MARKER_LINE = re.compile(r"^\s*#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\b", re.M)

# The learner toolkit in a folder that is not a course: every dataset, every table, every manifest.
LOAD_EVERYTHING = """
import json, coursekit
from coursekit import datasets
shapes = {f"{n}/{t}": list(datasets.load(n, t).shape) for n in datasets.NAMES for t in datasets.tables(n)}
facts = {n: len(datasets.manifest(n)["facts"]) for n in datasets.NAMES if not datasets.is_exercise_extract(n)}
keys = {}
for n in datasets.NAMES:
    if datasets.is_exercise_extract(n):
        try:
            datasets.manifest(n)
            keys[n] = "readable"
        except Exception as exc:
            keys[n] = type(exc).__name__
print(json.dumps({"file": coursekit.__file__, "shapes": shapes, "facts": facts, "answer_keys": keys}))
"""


def _names(wheel) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        return z.namelist()


def _course_only(path: str) -> bool:
    """Whether a file must stay out of the wheel, wherever it sits."""
    name = path.rsplit("/", 1)[-1].lower()
    return "answers" in name or name.endswith(".ipynb")


def _package_files(source: Path, folder: str) -> list[str]:
    """Files of a package folder in the source the wheel was built from, as paths inside the wheel."""
    root = source / folder
    if not root.is_dir():
        return []
    return sorted(p.relative_to(source).as_posix() for p in root.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith((".pyc", ".pyo")))


@pytest.mark.slow
def test_wheel_ships_the_datasets_and_templates(wheel, wheel_source):
    from coursekit import datasets

    names = set(_names(wheel))
    for name in datasets.NAMES:
        for suffix in (".csv", ".manifest.json", ".datasheet.md"):
            if datasets.is_exercise_extract(name) and suffix != ".csv":
                # An exercise's extract: its manifest and datasheet are its answer key.
                assert not any(n.endswith(f"{name}{suffix}") for n in names), f"{name}{suffix} must not ship"
                continue
            assert f"{DATA}{name}{suffix}" in names, f"{name}{suffix} is not in the wheel"
        for table in datasets.tables(name):
            filename = datasets._table(name, table).filename
            assert f"{DATA}{filename}" in names, f"{filename} ({name}, table {table}) is not in the wheel"
    # Whatever the package folder holds beside its code ships with it (data, templates, yml),
    # except what belongs to the course only.
    wanted = [f for f in _package_files(wheel_source, "coursekit") if not f.endswith(".py") and not _course_only(f)]
    assert [f for f in wanted if f not in names] == []
    templates = _package_files(wheel_source, "coursekit/platform/templates")
    assert [f for f in templates if f not in names and not _course_only(f)] == []


@pytest.mark.slow
def test_wheel_holds_no_course_content(wheel):
    names = _names(wheel)
    assert names, "the wheel is empty"
    outside = [n for n in names if not re.match(r"coursekit/|coursekit-[^/]+\.dist-info/", n)]
    assert outside == [], f"the wheel holds files outside the package: {outside[:10]}"
    course = [n for n in names if COURSE_ONLY & set(n.split("/")[:-1])]
    assert course == [], f"course content in the wheel: {course[:10]}"
    notebooks = [n for n in names if n.endswith(".ipynb")]
    assert notebooks == [], f"notebooks in the wheel: {notebooks}"
    keys = [n for n in names if "answers" in n.rsplit("/", 1)[-1].lower()]
    assert keys == [], f"answer keys in the wheel: {keys}"
    leaks = []
    with zipfile.ZipFile(wheel) as z:
        for n in names:
            text = z.read(n).decode("utf-8", errors="replace")
            if n.endswith(".py") and MARKER_LINE.search(text):
                leaks.append(n)
            elif not n.endswith(".py") and any(m in text for m in MARKERS):
                leaks.append(n)
    assert leaks == [], f"solution or hidden-test markers in the wheel: {leaks}"


@pytest.mark.slow
def test_installed_wheel_loads_every_dataset_outside_a_course(installed_venv, tmp_path):
    from coursekit import datasets

    empty = tmp_path / "empty"
    empty.mkdir()
    proc = installed_venv.run(["-c", LOAD_EVERYTHING], cwd=empty, COURSEKIT_HOME=str(tmp_path / "home"))
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(got["file"]).resolve().is_relative_to(installed_venv.root.resolve())
    expected = {f"{n}/{t}" for n in datasets.NAMES for t in datasets.tables(n)}
    assert set(got["shapes"]) == expected
    assert all(rows > 0 and cols > 0 for rows, cols in got["shapes"].values()), got["shapes"]
    lesson = {n for n in datasets.NAMES if not datasets.is_exercise_extract(n)}
    assert set(got["facts"]) == lesson and all(got["facts"].values()), got["facts"]
    # Installed without the course, an exercise's answer key cannot be read.
    assert got["answer_keys"] and set(got["answer_keys"].values()) == {"UsageError"}, got["answer_keys"]
    assert list(empty.iterdir()) == [], "loading the datasets wrote into the working folder"


@pytest.mark.slow
def test_installed_wheel_needs_the_course_only_for_course_commands(installed_venv, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    home = str(tmp_path / "home")

    proc = installed_venv.run(["-m", "coursekit", "build", "--check"], cwd=empty, COURSEKIT_HOME=home)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "no course found" in lines[0] and "COURSEKIT_ROOT" in lines[0], lines[0]

    proc = installed_venv.run(["-m", "coursekit", "competencies", "coverage", "--json"], cwd=empty,
                              COURSEKIT_HOME=home, COURSEKIT_ROOT=str(REPO))
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)

    # The console script the wheel declares is installed and runs.
    script = installed_venv.bin / ("coursekit.exe" if os.name == "nt" else "coursekit")
    proc = subprocess.run([str(script), "--version"], cwd=empty, env=installed_venv.env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "coursekit" in proc.stdout, proc.stderr
