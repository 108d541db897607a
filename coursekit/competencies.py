"""The competency framework (``competencies/framework.yml``) and the tags on graded cells.

A graded cell says what it evidences in its metadata::

    "coursekit": {"competencies": ["fairness_testing"], "level": "working"}
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from coursekit import paths
from coursekit.errors import UsageError

TAG_KEY = "coursekit"


@dataclass(frozen=True)
class Competency:
    id: str
    name: str
    domain: str
    descriptors: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Framework:
    levels: tuple[str, ...]
    level_names: dict
    domains: tuple[tuple[str, str], ...]
    competencies: tuple[Competency, ...]

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.competencies]

    def rank(self, level: str) -> int:
        """1 for the lowest level, 0 for no level (``None``)."""
        if level is None:
            return 0
        return self.levels.index(level) + 1


@lru_cache(maxsize=4)
def _load(path: Path) -> Framework:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: file not found")
    scale = data.get("scale") or []
    levels = tuple(s["id"] for s in scale)
    names = {s["id"]: s.get("name", s["id"]) for s in scale}
    comps = []
    domains = []
    for d in data.get("domains") or []:
        domains.append((d["id"], d.get("name", d["id"])))
        for c in d.get("competencies") or []:
            desc = tuple((k, v) for k, v in (c.get("levels") or {}).items())
            comps.append(Competency(c["id"], c.get("name", c["id"]), d["id"], desc))
    return Framework(levels, names, tuple(domains), tuple(comps))


def framework() -> Framework:
    return _load(paths.competencies_dir() / "framework.yml")


def tag_problems(tag) -> list[str]:
    """What is wrong with one cell's competency tag (empty when it is valid)."""
    fw = framework()
    if not isinstance(tag, dict):
        return ["no 'coursekit' metadata with 'competencies' and 'level'"]
    problems = []
    comps = tag.get("competencies")
    if not isinstance(comps, list) or not comps:
        problems.append("'competencies' must be a non-empty list of competency ids")
    else:
        unknown = [c for c in comps if c not in fw.ids]
        if unknown:
            problems.append(f"unknown competency id(s) {unknown}; known: {fw.ids}")
    level = tag.get("level")
    if level not in fw.levels:
        problems.append(f"level {level!r} is not one of {list(fw.levels)}")
    return problems
