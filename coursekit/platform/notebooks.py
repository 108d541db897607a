"""Reading notebook files, with one clear error for each way a file can be wrong."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from coursekit.errors import UsageError

# The kernel the kit's JupyterLab runs: ipykernel's own spec, installed with the kit. JupyterLab
# writes the running kernel's spec into a notebook as soon as it opens it, so a notebook stored with
# any other spec shows unsaved changes at once and asks to be saved on close.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def kernelspec_problem(nb) -> str | None:
    """What is wrong with a notebook's stored kernelspec, or None when it is the kit's."""
    spec = dict(nb.get("metadata", {}).get("kernelspec") or {})
    if {k: spec.get(k) for k in KERNELSPEC} == KERNELSPEC:
        return None
    return (f"its kernelspec is {spec or 'missing'}; store it with the kit's {KERNELSPEC} "
            "(saving it from `coursekit lab` does)")


def read(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook, or raise one clear UsageError saying what is wrong with the file."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file; check the path (tab completion helps)")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give the path of the .ipynb notebook inside it")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: is not a text file, so not a Jupyter notebook (.ipynb)")
    if not text.strip():
        raise UsageError(f"{path}: the file is empty; save the notebook in JupyterLab (Ctrl+S) and try again")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path}: is not valid notebook JSON (line {exc.lineno}, column {exc.colno}); "
            "open it in JupyterLab and save it again, or start again from a fresh copy of the exercise"
        )
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        raise UsageError(f"{path}: is JSON but not a Jupyter notebook (no 'cells' or 'nbformat')")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several kinds for malformed notebooks
        raise UsageError(f"{path}: is not a readable notebook ({exc.__class__.__name__}); save it again from JupyterLab")


def module_id_of(nb, path: Path | None = None) -> str | None:
    """The module a notebook belongs to: its ``coursekit.module`` metadata, else its folder name."""
    meta = nb.get("metadata", {}).get("coursekit", {})
    if isinstance(meta, dict) and meta.get("module"):
        return str(meta["module"])
    if path is not None:
        return Path(path).resolve().parent.name
    return None
