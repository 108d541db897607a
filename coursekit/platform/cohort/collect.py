"""``coursekit cohort collect``: bring learners' notebooks into ``submitted/``.

Sources: a folder or a zip of uploaded notebooks named ``<learner_id>.ipynb`` (the usual workshop
case: an upload form, a shared drive, an LMS download), or nbgrader's exchange. Each learner's
notebook lands in ``submitted/<learner>/<module>/exercise.ipynb`` with a ``timestamp.txt``.

Nothing is dropped silently: a file whose name is no learner of the roster, two files for one
learner, and a file that is not a notebook are reported, and left where they are.

Uploads come from learners, so they are read as hostile: a symbolic link is never followed (it
could point at the cohort's own source notebook or at a file in the trainer's home); a zip member
with an absolute path or ``..`` is reported by name and not collected; a zip is read whole, each
member through a size cap that does not trust its header, before anything is written; a corrupt
archive is one clear error and nothing is collected.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from traitlets.config import Config

from coursekit.platform import fileio
from coursekit.platform.cohort.folder import NOTEBOOK, Cohort
from coursekit.platform.nbgrader_adapter.config import failure_line
from coursekit.errors import UsageError

MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024  # a notebook bigger than this is not a workshop exercise
MAX_ARCHIVE_BYTES = 2 * 1024 ** 3       # all the notebooks of one archive, uncompressed
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's


@dataclass
class CollectReport:
    module: str
    source: str
    collected: list[str] = field(default_factory=list)      # new or changed
    unchanged: list[str] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)     # (file, learner id it names)
    duplicates: list[tuple[str, list[str]]] = field(default_factory=list)  # (learner, files)
    ignored: list[tuple[str, str]] = field(default_factory=list)     # (file, why)

    @property
    def problems(self) -> int:
        return len(self.unknown) + len(self.duplicates) + len(self.ignored)

    def as_json(self) -> dict:
        return {
            "module": self.module, "source": self.source,
            "collected": self.collected, "unchanged": self.unchanged,
            "unknown": [{"file": f, "learner": lid} for f, lid in self.unknown],
            "duplicates": [{"learner": lid, "files": files} for lid, files in self.duplicates],
            "ignored": [{"file": f, "why": why} for f, why in self.ignored],
        }


@dataclass
class _Upload:
    name: str           # as the trainer sees it (path inside the folder or zip)
    stem: str
    read: callable      # -> bytes
    size: int
    timestamp: str | None = None   # nbgrader timestamp text, when the source has one
    extras: dict | None = None     # other files of an exchange submission (its secret, for feedback)


def _skip(parts) -> bool:
    return any(p.startswith(".") or p in {"__MACOSX", ".ipynb_checkpoints"} for p in parts)


def _read_no_follow(path: Path) -> bytes:
    """A file's bytes, refusing a symbolic link even if it appeared after the folder was listed."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        return fh.read(MAX_NOTEBOOK_BYTES + 1)


def _from_folder(folder: Path, report: CollectReport) -> list[_Upload]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(dirpath)
        for d in sorted(dirnames):
            if (base / d).is_symlink():
                report.ignored.append((str((base / d).relative_to(folder)), "a symbolic link: not followed"))
        dirnames[:] = sorted(d for d in dirnames if not (base / d).is_symlink())
        for name in sorted(filenames):
            p = base / name
            rel = p.relative_to(folder)
            if _skip(rel.parts):
                continue
            if p.is_symlink():
                report.ignored.append((str(rel), "a symbolic link: not followed"))
                continue
            st = p.lstat()
            if not stat.S_ISREG(st.st_mode):
                continue
            out.append(_Upload(str(rel), p.stem if p.suffix.lower() == ".ipynb" else "",
                               lambda p=p: _read_no_follow(p), st.st_size))
    return out


def _unsafe_member(name: str) -> bool:
    pp = PurePosixPath(name.replace("\\", "/"))
    return pp.is_absolute() or ".." in pp.parts or re.match(r"^[A-Za-z]:", name) is not None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: list[int]) -> bytes | None:
    """A member's bytes through a cap that ignores what its header claims; None when over the cap."""
    chunks, size = [], 0
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            budget[0] -= len(chunk)
            if size > MAX_NOTEBOOK_BYTES:
                return None
            if budget[0] < 0:
                raise UsageError(f"{path}: holds more than {MAX_ARCHIVE_BYTES // 2**30} GB once unpacked; nothing "
                                 "was collected. Split the uploads into smaller archives")
            chunks.append(chunk)
    return b"".join(chunks)


def _from_zip(path: Path, report: CollectReport) -> list[_Upload]:
    """Every member read (and checked) before anything is filed: a bad archive collects nothing."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"{path}: is not a readable zip file ({exc}); give a folder or a .zip of the uploaded "
                         "notebooks")
    out = []
    budget = [MAX_ARCHIVE_BYTES]
    with zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            pp = PurePosixPath(info.filename)
            if _unsafe_member(info.filename):
                report.ignored.append((info.filename, "an absolute path or '..' in the archive: not collected"))
                continue
            if info.is_dir() or _skip(pp.parts):
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                report.ignored.append((info.filename, "a symbolic link: not followed"))
                continue
            is_nb = pp.suffix.lower() == ".ipynb"
            if not is_nb:
                out.append(_Upload(info.filename, "", lambda: b"", info.file_size))
                continue
            try:
                data = _read_member(zf, info, path, budget)
            except UsageError:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
                raise UsageError(f"{path}: the archive is damaged at {info.filename!r} ({exc}); nothing was "
                                 "collected. Download or zip the uploads again")
            if data is None:
                report.ignored.append((info.filename, f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MB once unpacked"))
                continue
            out.append(_Upload(info.filename, pp.stem, lambda d=data: d, len(data)))
    return out


def _now() -> str:
    return datetime.now(timezone.utc).strftime(TIMESTAMP_FORMAT)


def _file(cohort: Cohort, module_id: str, learner: str, up: _Upload, report: CollectReport) -> None:
    data = up.read()
    dest = cohort.submitted_dir(learner, module_id)
    target = dest / f"{NOTEBOOK}.ipynb"
    stamp = dest / "timestamp.txt"
    same_time = up.timestamp is None or (stamp.exists() and stamp.read_text(encoding="utf-8").strip() == up.timestamp)
    if target.exists() and same_time and hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest():
        report.unchanged.append(learner)
        return
    dest.mkdir(parents=True, exist_ok=True)
    fileio.atomic_write_many({**{dest / name: extra for name, extra in (up.extras or {}).items()},
                              target: data, stamp: (up.timestamp or _now()).encode("utf-8")})
    report.collected.append(learner)


def _file_uploads(cohort: Cohort, module_id: str, uploads: list[_Upload], report: CollectReport) -> None:
    known = {lid.lower(): lid for lid in cohort.learner_ids()}
    by_learner: dict[str, list[_Upload]] = {}
    for up in uploads:
        if not up.stem:
            report.ignored.append((up.name, "not a notebook (.ipynb)"))
            continue
        lid = known.get(up.stem.strip().lower())
        if lid is None:
            report.unknown.append((up.name, up.stem))
            continue
        if up.size > MAX_NOTEBOOK_BYTES:
            report.ignored.append((up.name, f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MB"))
            continue
        by_learner.setdefault(lid, []).append(up)
    for lid, ups in sorted(by_learner.items()):
        if len(ups) > 1:
            report.duplicates.append((lid, [u.name for u in ups]))
            continue
        _file(cohort, module_id, lid, ups[0], report)


def collect(cohort: Cohort, module_id: str, source: str | Path | None = None) -> CollectReport:
    cohort.require_module(module_id)
    with cohort.lock("collect"):
        if source is None:
            return _collect_exchange(cohort, module_id)
        path = Path(source)
        if not path.exists():
            raise UsageError(f"--from {source}: no such file or folder; give the folder or .zip of uploaded notebooks")
        report = CollectReport(module_id, str(path))
        if path.is_symlink():
            raise UsageError(f"--from {source}: is a symbolic link; give the folder or file itself")
        uploads = _from_folder(path, report) if path.is_dir() else (
            _from_zip(path, report) if zipfile.is_zipfile(path) or path.suffix.lower() == ".zip" else None)
        if uploads is None:
            if path.suffix.lower() == ".ipynb":
                uploads = [_Upload(path.name, path.stem, lambda: _read_no_follow(path), path.stat().st_size)]
            else:
                raise UsageError(f"--from {source}: give a folder, a .zip, or one <learner_id>.ipynb")
        _file_uploads(cohort, module_id, uploads, report)
        return report


def _learners_with_links(inbound: Path, module_id: str, report: CollectReport) -> set[str]:
    """Learners with a symbolic link anywhere in a submission of ``module_id`` on the exchange."""
    found: set[str] = set()
    if not inbound.is_dir():
        return found
    for sub in inbound.iterdir():
        parts = sub.name.split("+")
        if len(parts) < 3 or parts[1] != module_id:
            continue
        links = [sub] if sub.is_symlink() else []
        if not links:
            for dirpath, dirnames, filenames in os.walk(sub, followlinks=False):
                links += [Path(dirpath) / n for n in dirnames + filenames if (Path(dirpath) / n).is_symlink()]
        if links:
            found.add(parts[0])
            report.ignored.append((f"{sub.name}/{links[0].name}", "a symbolic link in the submission: not followed, "
                                                                   "nothing of it collected"))
    return found


def _collect_exchange(cohort: Cohort, module_id: str) -> CollectReport:
    """Collect from nbgrader's exchange into a staging folder, then file by the same rules."""
    exchange = cohort.exchange_root
    if not exchange:
        raise UsageError(f"{cohort.root} has no nbgrader exchange configured; give --from FOLDER_OR_ZIP "
                         "with the uploaded notebooks (or set c.Exchange.root in nbgrader_config.py)")
    report = CollectReport(module_id, f"exchange {exchange}")
    # nbgrader's collect copies with shutil, which follows symbolic links: a learner who submits a
    # link to the cohort's source notebook would hand in the model answers. Find them first.
    linked = _learners_with_links(Path(exchange) / cohort.course_id / "inbound", module_id, report)
    cohort.kit_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=cohort.kit_dir))
    try:
        extra = Config()
        extra.CourseDirectory.submitted_directory = str(staging.relative_to(cohort.root))
        extra.ExchangeCollect.check_owner = False  # a hub's file owners are checked by its own setup
        result = cohort.api(extra=extra).collect(module_id, update=True)
        if result is None:
            raise UsageError("nbgrader's exchange does not work on Windows; use --from with uploaded notebooks")
        if not result.get("success"):
            raise UsageError(f"collecting from the exchange at {exchange} failed: {failure_line(result)}")
        uploads = []
        for sub in sorted(p for p in staging.iterdir() if p.is_dir()):
            folder = sub / module_id
            nbs = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
            ts_file = folder / "timestamp.txt"
            ts = ts_file.read_text(encoding="utf-8").strip() if ts_file.exists() else None
            wanted = folder / f"{NOTEBOOK}.ipynb"
            if sub.name in linked:
                continue
            if not wanted.exists():
                report.ignored.append((f"{sub.name}/{module_id}", f"no {NOTEBOOK}.ipynb in the submission "
                                       f"(found: {', '.join(p.name for p in nbs) or 'nothing'})"))
                continue
            # nbgrader's feedback release finds a submission by its secret: keep it with the notebook.
            extras = {p.name: p.read_bytes() for p in folder.iterdir()
                      if p.is_file() and p.name == "submission_secret.txt"}
            uploads.append(_Upload(f"{sub.name}/{module_id}/{NOTEBOOK}.ipynb", sub.name, wanted.read_bytes,
                                   wanted.stat().st_size, ts, extras))
        _file_uploads(cohort, module_id, uploads, report)
        # nbgrader keeps each learner's latest submission; earlier ones are not duplicates.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report
