"""The competency framework (``competencies/framework.yml``) and the tags on graded cells.

A graded cell says what it evidences in its metadata::

    "coursekit": {"competencies": ["fairness_testing"], "level": "working"}
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from coursekit.platform import paths
from coursekit.errors import UsageError
from coursekit.platform import yamlfile

TAG_KEY = "coursekit"


@dataclass(frozen=True)
class Competency:
    id: str
    name: str
    domain: str
    descriptors: tuple[tuple[str, str], ...] = ()
    description: str = ""

    def descriptor(self, level: str) -> str:
        """What a person at ``level`` can do in this competency ("" when not described)."""
        return dict(self.descriptors).get(level, "")


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

    def level_at(self, rank: int) -> str | None:
        """The level id with this rank (the inverse of ``rank``); ``None`` for 0."""
        return self.levels[rank - 1] if rank else None

    def level_name(self, level: str | None) -> str:
        """The display name of a level ("None yet" for no level)."""
        return "None yet" if level is None else self.level_names.get(level, level)

    def get(self, competency_id: str) -> Competency:
        for c in self.competencies:
            if c.id == competency_id:
                return c
        raise UsageError(f"no competency {competency_id!r} in competencies/framework.yml; "
                         f"known: {', '.join(self.ids)}")


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
            comps.append(Competency(c["id"], c.get("name", c["id"]), d["id"], desc,
                                    " ".join(str(c.get("description") or "").split())))
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


# ---------------------------------------------------------------------------------------------
# Job profiles (competencies/profiles.yml)

@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    description: str
    requires: tuple[tuple[str, str], ...]   # (competency id, level id), in framework order
    plural: str = ""                        # how to name the people: "caseworkers who review AI outputs"

    def required(self, competency_id: str) -> str | None:
        """The level this job needs in a competency, or ``None`` when it is not required."""
        return dict(self.requires).get(competency_id)


def in_sentence(name: str) -> str:
    """A name for the middle of a sentence: "Testing AI systems" -> "testing AI systems"."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def profiles_path() -> Path:
    return paths.competencies_dir() / "profiles.yml"


@lru_cache(maxsize=4)
def _load_profiles(path: Path, competency_order: tuple[str, ...]) -> dict:
    data = yamlfile.read_mapping(path)
    order = {cid: i for i, cid in enumerate(competency_order)}
    out = {}
    for entry in data.get("profiles") or []:
        reqs = (entry.get("requires") or {}).items()
        reqs = tuple(sorted(((str(k), str(v)) for k, v in reqs), key=lambda kv: order.get(kv[0], len(order))))
        name = str(entry.get("name", entry["id"]))
        out[str(entry["id"])] = Profile(str(entry["id"]), name, " ".join(str(entry.get("description") or "").split()),
                                        reqs, str(entry.get("plural") or f"staff in the {in_sentence(name)} profile"))
    return out


def profiles() -> dict:
    """Job profiles by id, in file order."""
    return _load_profiles(profiles_path(), tuple(framework().ids))


def profile(profile_id: str) -> Profile:
    """One job profile; an unknown id is a UsageError that lists the known ones."""
    known = profiles()
    if profile_id not in known:
        raise UsageError(f"unknown job profile {profile_id!r}; use one of: {', '.join(known)} "
                         "(see competencies/profiles.yml)")
    return known[profile_id]




# ---------------------------------------------------------------------------------------------
# Schema check: the framework, the profiles and the syllabus's references to them

def problems() -> list[str]:
    """Everything wrong with framework.yml, profiles.yml and the ids course/syllabus.yml uses.

    Empty when all is well. Checks: unique ids; a name, a description and a descriptor for every
    level of the scale for each competency, and no descriptor for a level the scale lacks; a name,
    a description and known competency and level ids for each profile; and that every module of
    the syllabus names only known profiles and competencies.
    """
    out: list[str] = []
    fw_path = paths.competencies_dir() / "framework.yml"
    try:
        fw_data = yamlfile.read_mapping(fw_path)
    except UsageError as exc:
        return [str(exc)]
    scale = fw_data.get("scale") or []
    levels = [s.get("id") for s in scale if isinstance(s, dict)]
    if len(levels) != len(scale) or not all(levels):
        out.append(f"{fw_path}: every entry of 'scale' needs an id")
    if len(set(levels)) != len(levels):
        out.append(f"{fw_path}: scale: a level id is listed twice")
    for s in scale:
        if isinstance(s, dict) and not s.get("name"):
            out.append(f"{fw_path}: scale level {s.get('id')!r} has no name")
    seen: set[str] = set()
    domain_ids: set[str] = set()
    for d in fw_data.get("domains") or []:
        did = d.get("id")
        if not did or did in domain_ids:
            out.append(f"{fw_path}: domain {did!r}: missing or repeated id")
        domain_ids.add(did)
        for c in d.get("competencies") or []:
            cid = c.get("id")
            where = f"{fw_path}: competency {cid!r}"
            if not cid:
                out.append(f"{fw_path}: a competency in domain {did!r} has no id")
                continue
            if cid in seen:
                out.append(f"{where}: id listed twice")
            seen.add(cid)
            for key in ("name", "description"):
                if not str(c.get(key) or "").strip():
                    out.append(f"{where}: no {key}")
            descs = c.get("levels")
            if not isinstance(descs, dict):
                out.append(f"{where}: no 'levels' mapping (a descriptor for each of {levels})")
                continue
            for lv in levels:
                if not str(descs.get(lv) or "").strip():
                    out.append(f"{where}: level {lv!r} has no descriptor")
            for lv in descs:
                if lv not in levels:
                    out.append(f"{where}: unknown level {lv!r}; the scale has {levels}")
    if not seen:
        out.append(f"{fw_path}: no competencies")

    pr_path = profiles_path()
    try:
        pr_data = yamlfile.read_mapping(pr_path)
    except UsageError as exc:
        out.append(str(exc))
        pr_data = {}
    entries = pr_data.get("profiles")
    profile_ids: set[str] = set()
    if not isinstance(entries, list) or not entries:
        out.append(f"{pr_path}: needs a top-level 'profiles:' list")
        entries = []
    for i, p in enumerate(entries, start=1):
        if not isinstance(p, dict) or not p.get("id"):
            out.append(f"{pr_path}: profile {i} has no id")
            continue
        pid = str(p["id"])
        where = f"{pr_path}: profile {pid!r}"
        if pid in profile_ids:
            out.append(f"{where}: id listed twice")
        profile_ids.add(pid)
        for key in ("name", "description"):
            if not str(p.get(key) or "").strip():
                out.append(f"{where}: no {key}")
        reqs = p.get("requires")
        if not isinstance(reqs, dict) or not reqs:
            out.append(f"{where}: 'requires' must map competency ids to levels")
            continue
        for cid, lv in reqs.items():
            if cid not in seen:
                out.append(f"{where}: requires unknown competency {cid!r}")
            if lv not in levels:
                out.append(f"{where}: competency {cid!r}: unknown level {lv!r}; the scale has {levels}")

    from coursekit.platform import syllabus

    try:
        mods = syllabus.modules()
    except UsageError as exc:
        out.append(str(exc))
        mods = ()
    for m in mods:
        for pid in m.profiles:
            if pid not in profile_ids:
                out.append(f"{paths.syllabus_path()}: module {m.id}: unknown profile {pid!r}")
        for cid in m.competencies:
            if cid not in seen:
                out.append(f"{paths.syllabus_path()}: module {m.id}: unknown competency {cid!r}")
    return out
