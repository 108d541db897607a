"""Read ``course/syllabus.yml``: the one list of the course's modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from coursekit.errors import UsageError
from coursekit.platform import paths, yamlfile


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    minutes: int
    summary: str = ""
    profiles: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    competencies: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    seeds: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def solution_notebook(self) -> Path:
        return paths.solutions_dir() / self.id / "exercise.ipynb"

    @property
    def exercise_notebook(self) -> Path:
        return paths.exercises_dir() / self.id / "exercise.ipynb"

    @property
    def lesson_notebook(self) -> Path:
        return paths.modules_dir() / self.id / "lesson.ipynb"

    @property
    def facilitator_guide(self) -> Path:
        return paths.modules_dir() / self.id / "facilitator.md"


_LIST_FIELDS = ("profiles", "outcomes", "competencies", "datasets", "seeds")




@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[Module, ...]:
    data = yamlfile.read_mapping(path)
    entries = data.get("modules")
    if not isinstance(entries, list) or not entries:
        raise UsageError(f"{path}: needs a top-level 'modules:' list with at least one entry")
    modules = []
    seen = set()
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "id" not in entry:
            raise UsageError(f"{path}: module entry {i} has no 'id'")
        mid = str(entry["id"])
        if mid in seen:
            raise UsageError(f"{path}: module id {mid!r} is listed twice")
        seen.add(mid)
        known = {f for f in Module.__dataclass_fields__ if f != "extra"}
        kwargs = {k: v for k, v in entry.items() if k in known}
        for name in _LIST_FIELDS:
            kwargs[name] = tuple(str(x) for x in (entry.get(name) or ()))
        kwargs.setdefault("title", mid)
        kwargs["minutes"] = int(entry.get("minutes", 0))
        kwargs["extra"] = {k: v for k, v in entry.items() if k not in known}
        modules.append(Module(**kwargs))
    return tuple(modules)


def modules() -> tuple[Module, ...]:
    """All modules, in course order."""
    return _load(paths.syllabus_path())


def module_ids() -> list[str]:
    return [m.id for m in modules()]


def get(module_id: str) -> Module:
    for m in modules():
        if m.id == module_id:
            return m
    raise UsageError(
        f"no module {module_id!r} in course/syllabus.yml; known modules: {', '.join(module_ids())}"
    )
