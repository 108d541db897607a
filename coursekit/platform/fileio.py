"""Files on disk: writing them so that a crash or a full disk never leaves a half-written one
behind, and a digest of a folder's contents.

Every file the platform writes goes through here: a temporary file beside the target, then one
rename. :func:`atomic_write_many` stages several files first and renames them only when all are
written, so a set of files (a dataset and its manifest) changes together or not at all.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


def new_file_mode() -> int:
    """Permissions for new files: what open() would give (0666 minus the umask); mkstemp uses 0600,
    which would hide generated course files from other users of a shared hub."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _stage(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, new_file_mode())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    tmp = _stage(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


def atomic_copy(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` so that ``dest`` is either the old file or the whole new one."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def folder_digest(folder: Path, skip: tuple[str, ...] = (".ipynb_checkpoints", "__pycache__")) -> str:
    """SHA-256 over the relative names and bytes of every file under ``folder`` (folders named in
    ``skip`` left out): equal exactly when the contents are."""
    folder = Path(folder)
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not any(part in skip for part in p.relative_to(folder).parts):
            h.update(p.relative_to(folder).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def atomic_write_many(files: dict[Path, bytes]) -> None:
    """Write every file or none: all are staged beside their targets before any is renamed."""
    staged: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            staged[Path(path)] = _stage(Path(path), data)
        for path in list(staged):
            os.replace(staged.pop(path), path)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
