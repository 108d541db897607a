"""The package keeps its shape: a learner toolkit apart from the platform, one nbgrader adapter.

- the learner toolkit (everything in ``coursekit`` outside ``platform`` and ``cli``) imports
  nothing of the platform, the command line, nbgrader or SQLAlchemy;
- nothing imports the command line but ``coursekit/__main__.py``;
- outside the adapter, the kit reaches nbgrader's API, ORM and preprocessors only through
  ``coursekit.platform.nbgrader_adapter``.

Imports are read from the source with ``ast``, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "coursekit"
PLATFORM, CLI, ADAPTER = PKG / "platform", PKG / "cli", PKG / "platform" / "nbgrader_adapter"
TOOLKIT_FORBIDDEN = ("coursekit.platform", "coursekit.cli", "nbgrader", "sqlalchemy", "alembic")
NBGRADER_INTERNALS = ("nbgrader.api", "nbgrader.apps", "nbgrader.coursedir", "nbgrader.preprocessors",
                      "nbgrader.dbutil")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def _hits(names: set[str], prefixes) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


TOOLKIT = [p for p in _files(PKG) if PLATFORM not in p.parents and CLI not in p.parents and p.name != "__main__.py"]


def test_the_toolkit_is_what_notebooks_import():
    names = {_module_name(p) for p in TOOLKIT}
    for expected in ("coursekit.datasets", "coursekit.fairness", "coursekit.ai_act", "coursekit.plotting",
                     "coursekit.widgets", "coursekit.selfcheck", "coursekit.procurement", "coursekit.monitoring"):
        assert expected in names


@pytest.mark.parametrize("path", TOOLKIT, ids=lambda p: str(p.relative_to(PKG)))
def test_toolkit_imports_nothing_of_the_platform(path):
    assert _hits(imports(path), TOOLKIT_FORBIDDEN) == []


def test_nothing_imports_the_command_line():
    offenders = [str(p.relative_to(PKG)) for p in _files(PKG)
                 if CLI not in p.parents and p.name != "__main__.py" and _hits(imports(p), ("coursekit.cli",))]
    assert offenders == []


def test_only_the_adapter_reaches_into_nbgrader():
    offenders = {str(p.relative_to(PKG)): _hits(imports(p), NBGRADER_INTERNALS)
                 for p in _files(PKG) if ADAPTER not in p.parents}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_notebooks_import_only_the_toolkit():
    import json

    repo = PKG.parent
    allowed = {_module_name(p) for p in TOOLKIT}
    for nb_path in [repo / "START.ipynb", *sorted(repo.glob("modules/*/lesson.ipynb")),
                    *sorted(repo.glob("exercises/*/exercise.ipynb")), *sorted(repo.glob("solutions/*/exercise.ipynb"))]:
        for cell in json.loads(nb_path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"])
            try:
                tree = ast.parse(src)
            except SyntaxError:   # a stub such as `raise NotImplementedError()` parses; magics may not
                continue
            for node in ast.walk(tree):
                mods = []
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module == "coursekit":
                    mods = [f"coursekit.{a.name}" for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    mods = [node.module]
                for m in (m for m in mods if m.split(".")[0] == "coursekit"):
                    assert m in allowed or any(m.startswith(a + ".") for a in allowed if a != "coursekit"), \
                        f"{nb_path.relative_to(repo)} imports {m}, which is not part of the learner toolkit"
