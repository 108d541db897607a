"""``coursekit datasets build``: regenerate ``datasets/`` from the seeded generators, or check it.

Generation happens in memory first. Writing then goes through temporary files in the target
folder, which replace the real files only once every temporary file was written, so an error
(an unwritable folder, a full disk) leaves no half-written dataset behind. ``check`` regenerates
and compares byte for byte without writing anything.
"""

from __future__ import annotations

from pathlib import Path

from coursekit.platform import fileio
from coursekit.platform import paths
from coursekit.datasets import NAMES, generator
from coursekit.errors import UsageError




def _names(names) -> list[str]:
    if not names:
        return list(NAMES)
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise UsageError(f"unknown dataset {', '.join(repr(u) for u in unknown)}; known datasets: {', '.join(NAMES)}")
    return list(dict.fromkeys(names))  # keep order, drop repeats


def answer_keys(names=None) -> set[str]:
    """File names that are answer keys (an exercise extract's manifest and datasheet)."""
    from coursekit.datasets import is_exercise_extract

    return {f"{n}{suffix}" for n in _names(names) if is_exercise_extract(n)
            for suffix in (".manifest.json", ".datasheet.md")}


def answer_keys_dir() -> Path:
    from coursekit.datasets import ANSWER_KEYS

    return paths.course_root() / ANSWER_KEYS


def _place(out: Path, fname: str, keys: set[str], keys_dir: Path | None) -> Path:
    """Where a generated file goes: answer keys to the course, everything else to ``out``."""
    return (keys_dir if keys_dir is not None and fname in keys else out) / fname


def generate(name: str) -> dict[str, bytes]:
    """Every file of one dataset, as bytes, keyed by file name."""
    from coursekit.datasets._common import render

    return render(generator(name)).files


def generate_all(names=None) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name in _names(names):
        files.update(generate(name))
    return files


def _stale(out: Path, names: list[str], files: dict[str, bytes]) -> list[str]:
    """Files in ``out`` that belong to a dataset by name but that the generator no longer makes."""
    if not out.is_dir():
        return []
    stale = []
    for p in sorted(out.iterdir()):
        if p.is_file() and p.name not in files and any(p.name.startswith((f"{n}.", f"{n}_")) for n in names):
            stale.append(p.name)
    return stale


def differences(names=None, out_dir=None, files: dict[str, bytes] | None = None) -> list[tuple[str, str]]:
    """(file name, what is wrong) for each file in ``out_dir`` that is not what the generators make."""
    names = _names(names)
    keys_dir = None if out_dir else answer_keys_dir()
    out = Path(out_dir) if out_dir else paths.datasets_dir()
    files = generate_all(names) if files is None else files
    keys = answer_keys(names)
    found = []
    for fname, data in files.items():
        target = _place(out, fname, keys, keys_dir)
        if not target.is_file():
            found.append((fname, "missing"))
        elif target.read_bytes() != data:
            found.append((fname, "differs from what the generator makes"))
    found += [(fname, "is not made by the generator (stale)")
              for fname in _stale(out, names, {f: b for f, b in files.items() if keys_dir is None or f not in keys})]
    return found


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"cannot write datasets to {out}: it is a file, not a folder; choose a folder with --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder {out}: {exc.strerror or exc}; choose a writable folder with --out") from None


def write(files: dict[str, bytes], out: Path, remove: list[str] = (), keys: set[str] = frozenset(),
          keys_dir: Path | None = None) -> list[str]:
    """Write changed files all-or-nothing; remove ``remove``. Returns the file names changed."""
    _prepare(out)
    if keys_dir is not None and keys & set(files):
        _prepare(keys_dir)
    target = {f: _place(out, f, keys, keys_dir) for f in files}
    changed = [f for f, data in files.items() if not target[f].is_file() or target[f].read_bytes() != data]
    try:
        fileio.atomic_write_many({target[fname]: files[fname] for fname in changed})
        for fname in remove:
            (out / fname).unlink()
    except OSError as exc:
        raise UsageError(f"cannot write datasets to {out}: {exc.strerror or exc}; choose a writable folder with --out") from None
    return changed + list(remove)


def build(names=None, check: bool = False, out_dir=None) -> list[str]:
    """Regenerate the named datasets (default: all) into ``out_dir`` (default: ``datasets/``).

    Returns the file names written or removed; with ``check``, writes nothing and returns the
    file names that are missing, differ, or are stale (an empty list means all is up to date).
    """
    names = _names(names)
    out = Path(out_dir) if out_dir else paths.datasets_dir()
    if not check:
        _prepare(out)  # fail on a bad folder before spending time generating
    files = generate_all(names)
    if check:
        return [fname for fname, _ in differences(names, out_dir, files)]
    keys_dir = None if out_dir else answer_keys_dir()
    keys = answer_keys(names)
    in_out = {f: b for f, b in files.items() if keys_dir is None or f not in keys}
    return write(files, out, remove=_stale(out, names, in_out), keys=keys, keys_dir=keys_dir)
