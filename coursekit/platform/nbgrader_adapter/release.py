"""The one wrapper around nbgrader's ``generate_assignment``.

Every release the kit makes (``coursekit build``, a learner's personal course for ``coursekit
check``, a cohort's release and its grading template) goes through :func:`copy_source` and
:func:`generate`, so they copy the same files: nbgrader's own ``CourseDirectory.ignore`` patterns
decide what stays out (checkpoints, caches, and the course's additions such as the wrong answers
that prove each question can be failed).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from traitlets.config import Config

from coursekit.errors import UsageError
from coursekit.platform.nbgrader_adapter.config import api, failure_line, load_config


def ignore_patterns(cfg: Config | None = None) -> list[str]:
    """nbgrader's ``CourseDirectory.ignore`` for this configuration (its defaults where not set)."""
    from nbgrader.coursedir import CourseDirectory

    return list(CourseDirectory(config=cfg if cfg is not None else load_config()).ignore)


def copy_source(src: Path, dest: Path, cfg: Config | None = None) -> None:
    """Copy a module's source folder to ``dest`` (replacing it), leaving out what nbgrader ignores."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*ignore_patterns(cfg)))


def generate(root: Path, module_id: str, *, db_url: str | None = None, base: Config | None = None,
             extra: Config | None = None, what: str = "generate the release") -> None:
    """Run ``generate_assignment`` for ``root/source/<module_id>``; a failure is one UsageError.

    A new gradebook is stamped with nbgrader's schema version first, which spares nbgrader the
    seconds it spends running ``alembic`` in a subprocess to find it.
    """
    from coursekit.platform.nbgrader_adapter import gradebook

    url = db_url or f"sqlite:///{Path(root) / 'gradebook.db'}"
    if gradebook.sqlite_path(url) is not None and not gradebook.sqlite_path(url).exists():
        gradebook.stamp_new_gradebook(url)
    result = api(root, db_url, extra, base).generate_assignment(module_id, force=True, create=True)
    if not result.get("success"):
        raise UsageError(f"{module_id}: nbgrader could not {what}: {failure_line(result)}")


def release_files(source: Path, module_id: str, base: Config | None = None) -> dict[str, bytes]:
    """What nbgrader releases of the folder ``source``: {relative path: bytes}, made in a scratch course."""
    with tempfile.TemporaryDirectory(prefix="coursekit-release-") as tmp:
        root = Path(tmp)
        copy_source(source, root / "source" / module_id, base)
        generate(root, module_id, base=base)
        out = root / "release" / module_id
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
