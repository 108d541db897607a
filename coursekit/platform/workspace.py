"""The learner's workspace: where ``coursekit lab`` opens JupyterLab for a learner.

A folder of the learner's own (``workspace/`` in :func:`paths.learner_home`, which git ignores)
laid out like the course, so that the start page's links work in both places:

    START.ipynb                        the course's start page, with a line for each new release
    modules/<id>/lesson.ipynb          the lessons (without the facilitator guides)
    exercises/<id>/exercise.ipynb      the learner's own copies of the exercises

Solutions, tests, facilitator guides and the kit's source are not in it. :func:`prepare` runs at
each start of the lab:

- a lesson or exercise file the workspace lacks is copied from the course;
- a copy the learner has not changed since it was made follows the course (a course update
  reaches them, and there is nothing of theirs to lose);
- a copy the learner has changed is never overwritten: when the course's release of it changes,
  the new release is put beside it (``exercise (new release).ipynb``) and the start page says so
  (until the learner deletes that file, which says they have dealt with it);
- work a learner did in the tracked ``exercises/`` folder before there was a workspace (a file that
  differs from what ``coursekit build`` releases) moves into the workspace, and the tracked file is
  given back its released bytes, so that updating the course (``git pull``) collides with nothing.

What each copy was made from is kept in ``workspace.json`` beside the workspace (not in it, so that
the file browser shows only the course).

The notebooks the kit puts there are the course's own, so :func:`trust` marks them trusted, as
``jupyter trust`` would: JupyterLab then shows a lesson's stored widgets (the review screen, the
threshold slider) instead of a line of text, and does not log that the notebook is not trusted.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.platform import fileio, paths, syllabus

FOLDER = "workspace"
STATE_FILE = "workspace.json"
START_PAGE = "START.ipynb"
#: Files of a module's folder that are for trainers only.
TRAINER_ONLY = {"facilitator.md"}
SKIP_PARTS = {".ipynb_checkpoints", "__pycache__"}
NEW_RELEASE = "new release"
MOVED = "from the exercises folder"


def workspace_dir() -> Path:
    return paths.learner_home() / FOLDER


def state_path() -> Path:
    return paths.learner_home() / STATE_FILE


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Prepared:
    """What :func:`prepare` found: the workspace and what the learner should be told."""

    folder: Path
    offered: list[tuple[str, str]] = field(default_factory=list)   # (learner's copy, new release beside it)
    moved: list[tuple[str, str]] = field(default_factory=list)     # (tracked file, where the work went)
    updated: list[str] = field(default_factory=list)               # unchanged copies that followed the course

    def messages(self) -> list[str]:
        out = [f"Your work in {src} is now in your workspace: {dest} (the course's file is back as released)."
               for src, dest in self.moved]
        out += [f"A new release of {mine} is beside your copy: {new} (your copy is unchanged)."
                for mine, new in self.offered]
        return out


# --- the course's files -------------------------------------------------------------------------

def _files(folder: Path) -> dict[str, bytes]:
    """{relative posix path: bytes} of a folder's files, without checkpoints and caches."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not SKIP_PARTS & set(p.relative_to(folder).parts)}


def lesson_files(module) -> dict[str, bytes]:
    folder = paths.modules_dir() / module.id
    return {rel: data for rel, data in _files(folder).items() if rel not in TRAINER_ONLY}


def _source_key(module) -> str | None:
    """What a module's release is made from (its source folder and the course's nbgrader config)."""
    src = module.solution_notebook.parent
    if not module.solution_notebook.exists():
        return None
    config = paths.course_config_file()
    return sha((fileio.folder_digest(src) + (sha(config.read_bytes()) if config.exists() else "")).encode())


def released_files(module, state: dict) -> tuple[dict[str, bytes], list[tuple[str, str]]]:
    """The module's released exercise files, with the tracked folder given back its released bytes.

    Returns ({relative path: released bytes}, [(tracked path, moved-to path)]). Work found in the
    tracked folder is moved into the workspace first. Where the course has no source (a handout
    without solutions/), the tracked files are the release.
    """
    tracked_dir = paths.exercises_dir() / module.id
    tracked = _files(tracked_dir)
    key = _source_key(module)
    if key is None:
        return tracked, []
    cache = state.setdefault("releases", {}).get(module.id)
    if cache and cache.get("key") == key and set(cache["files"]) == set(tracked) and all(
            sha(tracked[rel]) == digest for rel, digest in cache["files"].items()):
        return tracked, []       # the tracked folder is the release: nothing to generate
    if tracked and module.id in unchanged_in_git():
        # As committed: the release (`coursekit build --check` keeps committed releases current)
        state["releases"][module.id] = {"key": key, "files": {rel: sha(data) for rel, data in tracked.items()}}
        return tracked, []
    from coursekit.platform.authoring import build

    released = build.generate_release(module)
    released.pop("wrong_answers.yml", None)     # never released (build --check says so if it would be)
    state["releases"][module.id] = {"key": key, "files": {rel: sha(data) for rel, data in released.items()}}
    moved = []
    for rel, data in tracked.items():
        if released.get(rel) == data:
            continue
        dest = workspace_dir() / "exercises" / module.id / rel
        if dest.parent.is_dir() and any(p.is_file() and p.read_bytes() == data for p in dest.parent.iterdir()):
            continue           # already in the workspace (moved before, from a course folder that stays read-only)
        dest = _free_name(dest, MOVED)
        fileio.atomic_write(dest, data)
        record = f"exercises/{module.id}/{rel}"
        dest_rel = dest.relative_to(workspace_dir()).as_posix()
        if dest_rel == record and rel in released:
            # the learner's own copy now: made from this release, and changed
            state.setdefault("files", {})[record] = {"release": sha(released[rel])}
        moved.append((record, dest_rel))
    try:
        for rel, data in released.items():
            if tracked.get(rel) != data:
                fileio.atomic_write(tracked_dir / rel, data)
        for rel in set(tracked) - set(released):
            (tracked_dir / rel).unlink()          # its bytes are in the workspace now
    except OSError:
        pass      # a read-only course (a hub's image): the work is in the workspace all the same
    return released, moved


_GIT_UNCHANGED: dict[Path, set[str]] = {}


def unchanged_in_git() -> set[str]:
    """Modules whose ``exercises/<id>/`` folder is exactly as committed, when the course is a git
    checkout (``git status``, read only; empty without git). Spares generating their releases."""
    root = paths.course_root()
    if root not in _GIT_UNCHANGED:
        _GIT_UNCHANGED[root] = _git_unchanged(root)
    return _GIT_UNCHANGED[root]


def _git_unchanged(root: Path) -> set[str]:
    import subprocess

    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return proc.stdout if proc.returncode == 0 else None

    prefix = git("rev-parse", "--show-prefix")        # the course's folder inside the repository
    status = git("status", "--porcelain", "--untracked-files=all", "--", "exercises")
    if prefix is None or status is None:
        return set()
    touched = set()
    for line in status.splitlines():
        for path in line[3:].split(" -> "):           # a rename names both paths
            parts = path.strip().strip('"')[len(prefix.strip()):].split("/")
            if len(parts) >= 2 and parts[0] == "exercises":
                touched.add(parts[1])
    return {m for m in syllabus.module_ids() if m not in touched and (paths.exercises_dir() / m).is_dir()}


def _free_name(path: Path, note: str) -> Path:
    """``path`` if nothing is there, else ``name (note).ext``, ``name (note 2).ext``, ..."""
    if not path.exists():
        return path
    n = 1
    while True:
        label = note if n == 1 else f"{note} {n}"
        candidate = path.with_name(f"{path.stem} ({label}){path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


# --- one file of the workspace --------------------------------------------------------------------

def place(rel: str, data: bytes, state: dict, result: Prepared) -> None:
    """Bring the workspace's ``rel`` up to the course's ``data`` without losing the learner's work."""
    files = state.setdefault("files", {})
    dest = workspace_dir() / rel
    new = sha(data)
    record = files.get(rel)
    if not dest.exists():
        fileio.atomic_write(dest, data)
        files[rel] = {"release": new}
        return
    mine = sha(dest.read_bytes())
    if record is None:              # made before the record was kept: it is the learner's now
        files[rel] = {"release": new if mine == new else mine}
        return
    if record["release"] == new:
        return
    if mine == record["release"] or mine == new:     # not changed by the learner: follow the course
        if mine != new:
            fileio.atomic_write(dest, data)
            result.updated.append(rel)
        files[rel] = {"release": new}
        return
    offered = record.get("offered")
    if offered == new and record.get("offered_as") and not (workspace_dir() / record["offered_as"]).exists():
        # The learner deleted the new release offered beside their copy: dealt with, not offered again
        files[rel] = {"release": new}
        return
    beside = dest.with_name(f"{dest.stem} ({NEW_RELEASE}){dest.suffix}")
    if offered == new and beside.exists() and sha(beside.read_bytes()) == new:
        pass
    elif beside.exists() and sha(beside.read_bytes()) not in (offered, new):
        beside = _free_name(beside, NEW_RELEASE)     # the learner worked in an earlier offer: keep it
        fileio.atomic_write(beside, data)
    else:
        fileio.atomic_write(beside, data)
    record["offered"] = new
    record["offered_as"] = beside.relative_to(workspace_dir()).as_posix()


def _offers(state: dict) -> list[tuple[str, str]]:
    out = []
    for rel, record in sorted(state.get("files", {}).items()):
        beside = record.get("offered_as")
        if beside and (workspace_dir() / beside).exists() and (workspace_dir() / rel).exists():
            out.append((rel, beside))
    return out


# --- the whole workspace ----------------------------------------------------------------------------

def load_state() -> dict:
    try:
        state = json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def prepare() -> Prepared:
    """Make or bring up to date the learner's workspace; see the module's docstring."""
    _GIT_UNCHANGED.clear()      # read git's view once per opening: a `git pull` may have changed it
    state = load_state()
    result = Prepared(workspace_dir())
    result.folder.mkdir(parents=True, exist_ok=True)
    for module in syllabus.modules():
        for rel, data in lesson_files(module).items():
            place(f"modules/{module.id}/{rel}", data, state, result)
        released, moved = released_files(module, state)
        result.moved += moved
        for rel, data in released.items():
            place(f"exercises/{module.id}/{rel}", data, state, result)
    result.offered = _offers(state)
    fileio.atomic_write_text(state_path(), json.dumps(state, indent=1, sort_keys=True) + "\n")
    write_start_page(result)
    trust([result.folder / START_PAGE, *_as_released(state)])
    return result


def _as_released(state: dict) -> list[Path]:
    """The workspace's notebooks that hold exactly what the course released (not the learner's edits)."""
    out = []
    for rel, record in state.get("files", {}).items():
        for name in (rel, record.get("offered_as")):
            path = workspace_dir() / name if name else None
            if path and path.suffix == ".ipynb" and path.exists() and sha(path.read_bytes()) in (
                    record.get("release"), record.get("offered")):
                out.append(path)
    return out


def trust(notebooks: list[Path]) -> None:
    """Sign ``notebooks`` in Jupyter's notebook-signature store, as ``jupyter trust`` does, so that
    JupyterLab (started with the same environment) trusts their stored outputs. Only for notebooks
    the course wrote: a learner's own edits are signed by JupyterLab when they save them."""
    import nbformat
    from nbformat.sign import NotebookNotary

    try:
        notary = NotebookNotary()
        for path in notebooks:
            if not path.exists():
                continue
            nb = nbformat.read(path, as_version=4)
            if not notary.check_signature(nb):
                notary.sign(nb)
    except Exception as exc:  # noqa: BLE001 (an unwritable store: the lab still opens, widgets show as text)
        print(f"coursekit lab: note: could not mark the course's notebooks trusted ({exc})")


def link(text: str, rel: str) -> str:
    return f"[{text}]({urllib.parse.quote(rel)})"


def write_start_page(result: Prepared) -> None:
    """The course's start page, with a cell on new releases and moved work when there are any."""
    from coursekit.platform.authoring import startpage

    source = paths.course_root() / START_PAGE
    if not source.exists():
        return
    lines = []
    for mine, new in result.offered:
        lines.append(f"- A new release of {link(mine, mine)} is ready: {link(Path(new).name, new)}. Your own copy "
                     "is unchanged; open both and copy your answers across if you want the new version.")
    for src, dest in result.moved:
        lines.append(f"- Your work in the course's `{src}` is now here: {link(dest, dest)}.")
    data = startpage.workspace_page(source.read_bytes(), lines, _profile_lines())
    dest = result.folder / START_PAGE
    if not dest.exists() or dest.read_bytes() != data:
        fileio.atomic_write(dest, data)


def _profile_lines() -> list[str]:
    """Which questions of each exercise are the learner's, by their chosen job profile (or how to
    choose one); none when the course cannot say (a course without profiles)."""
    from coursekit.errors import UsageError
    from coursekit.platform import learner_profile

    try:
        return learner_profile.start_page_lines()
    except UsageError:
        return []


def refresh_start_page() -> bool:
    """Rewrite the workspace's start page (after the learner chose a profile), when there is one."""
    if not (workspace_dir() / START_PAGE).exists():
        return False
    write_start_page(Prepared(workspace_dir(), offered=_offers(load_state())))
    return True
