"""The two ways to install the kit agree, and the README's quick start is what CI runs."""

import re
try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _norm(req: str) -> str:
    # Environment markers (e.g. "; python_version < '3.11'") have no conda equivalent.
    return req.split(";")[0].replace(" ", "").lower()


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
    assert project["scripts"]["coursekit"] == "coursekit.cli:main"
