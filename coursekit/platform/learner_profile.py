"""The learner's chosen job profile, and which items of each exercise are theirs.

A learner chooses the job profile closest to their work (``competencies/profiles.yml``) once:
``coursekit profile set caseworker`` in a terminal, or ``coursekit.choose_profile("caseworker")``
in a notebook. The choice is kept with the learner's own records, in ``profile.yml`` of their
personal folder (:func:`paths.learner_home`, ``.learner/`` by default), never in the course.

**Which items are yours** (:func:`is_yours`, the one rule): a graded item of an exercise is yours
when your profile requires one of the item's competencies at the item's level or above. Every
other item (its level is above what your job needs, or your job does not need its competency) is
optional, for going further. Written answers count like any other item. The items and their tags
are those the evidence reads (:func:`coursekit.platform.evidence.read_tags`), so what the start
page and the exercise tell a learner is what their progress is measured on.

Items are named as the exercise names them: by the heading they sit under ("Question A1",
"Question 3", "Written answer 2"); a question with several graded parts is one entry.

``python -m coursekit.platform.learner_profile ...`` answers the learner toolkit
(:mod:`coursekit.profile`) with one JSON line, so that a notebook's kernel never imports the platform.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from coursekit.errors import UsageError
from coursekit.platform import competencies, fileio, paths, syllabus

PROFILE_FILE = "profile.yml"
YOURS, OPTIONAL = "yours", "optional"

HOW_TO_CHOOSE = ("Choose your job profile to see which questions of each exercise are yours: "
                 "`coursekit profile set <profile>` in a terminal, or `coursekit.choose_profile(\"<profile>\")` "
                 "in a notebook. The profiles: {ids}.")


# --- the chosen profile -------------------------------------------------------------------------

def profile_path() -> Path:
    return paths.learner_home() / PROFILE_FILE


def chosen_id() -> str | None:
    """The id the learner chose, as written in their ``profile.yml`` (None when they have not chosen)."""
    try:
        data = yaml.safe_load(profile_path().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    value = data.get("profile") if isinstance(data, dict) else None
    return str(value) if value else None


def chosen() -> competencies.Profile | None:
    """The learner's chosen profile; None when none is chosen. A choice that ``profiles.yml`` no
    longer has is a UsageError that says to choose again."""
    pid = chosen_id()
    if pid is None:
        return None
    if pid not in competencies.profiles():
        raise UsageError(f"the job profile you chose, {pid!r}, is no longer in competencies/profiles.yml; "
                         f"choose again with `coursekit profile set <profile>`, one of: {profile_ids()}")
    return competencies.profiles()[pid]


def choose(profile_id: str) -> competencies.Profile:
    """Keep ``profile_id`` as the learner's profile; an unknown id is a UsageError listing the valid ones."""
    prof = competencies.profile(str(profile_id).strip())
    fileio.atomic_write_text(profile_path(), "# Your job profile (coursekit profile set <profile> changes it)\n"
                             + yaml.safe_dump({"profile": prof.id}, sort_keys=False))
    return prof


def profile_ids() -> str:
    return ", ".join(competencies.profiles())


def resolve(profile_id: str | None) -> competencies.Profile | None:
    """``profile_id``'s profile when given, else the chosen one (None when neither)."""
    return competencies.profile(profile_id) if profile_id else chosen()


# --- the rule ---------------------------------------------------------------------------------

def is_yours(item, profile: competencies.Profile) -> bool:
    """True when ``profile`` requires one of the item's competencies at the item's level or above.

    ``item`` is an :class:`coursekit.platform.evidence.Item` (anything with ``competencies`` and
    ``level``). An item that is not yours is optional: for going further.
    """
    fw = competencies.framework()
    need = fw.rank(item.level)
    return any(fw.rank(profile.required(c)) >= need for c in item.competencies)


# --- the items of one exercise, named as the exercise names them -------------------------------

QUESTION = re.compile(r"^#+\s*Question\s+([A-Za-z]?\d+[a-z]?)\b", re.IGNORECASE)
WRITTEN = re.compile(r"^#+\s*Written answers?\b(?:\s+(\d+))?", re.IGNORECASE)
PART = re.compile(r"^##\s*(Part\s+[A-Z0-9]+)\b")
SECTION = re.compile(r"^#{1,2}\s")       # a heading at the level of a part's, or above
WRITTEN_LABEL = "written answer"


def headed_cells(path: Path) -> dict[str, tuple[str, str]]:
    """grade_id -> (question label, part) for each graded cell, from the headings above it.

    The label is the question's own ("A1", "3") or "written answer" with its number, if any
    ("written answer", "written answer 2");
    the part is the "## Part B" heading it is under ("" when the exercise has no parts).
    """
    from coursekit.platform.evidence import _notebook_cells

    out, label, part = {}, "", ""
    for cell in _notebook_cells(path):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source") or []).splitlines():
                if m := PART.match(line):
                    part, label = m.group(1), ""
                elif m := QUESTION.match(line):
                    label = m.group(1)[0].upper() + m.group(1)[1:]      # "a3b" -> "A3b"
                elif m := WRITTEN.match(line):
                    label = f"{WRITTEN_LABEL} {m.group(1)}" if m.group(1) else WRITTEN_LABEL
                    part = "" if SECTION.match(line) else part          # "## Written answer" ends a part
                elif SECTION.match(line):
                    part, label = "", ""                               # "## Check your work" and the like
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("grade"):
            gid = str(meta.get("grade_id") or "?")
            out[gid] = (label or gid, part)
    return out


@dataclass(frozen=True)
class Question:
    """One question (or written answer) of an exercise, for one profile."""

    label: str            # "A1", "3", "written answer", "written answer 2"
    part: str             # "Part B" or ""
    items: tuple          # its graded cells (evidence.Item)
    yours: tuple          # for each item, is it yours?

    @property
    def status(self) -> str:
        return YOURS if any(self.yours) else OPTIONAL

    @property
    def partly(self) -> bool:
        """Some of its graded parts are yours, others optional."""
        return any(self.yours) and not all(self.yours)

    @property
    def written(self) -> bool:
        return self.label.startswith(WRITTEN_LABEL)

    @property
    def points(self) -> float:
        return sum(it.points for it, mine in zip(self.items, self.yours) if mine)


def _notebook_of(module) -> Path:
    """The exercise's source when the course has it, else its release (a handout): both carry the tags."""
    return module.solution_notebook if module.solution_notebook.exists() else module.exercise_notebook


def questions(module_id: str, profile: competencies.Profile) -> list[Question]:
    """The module's questions in notebook order, each item judged by :func:`is_yours`."""
    from coursekit.platform.evidence import read_tags

    module = syllabus.get(module_id)
    path = _notebook_of(module)
    if not path.exists():
        return []
    items, _ = read_tags(path, module.id)
    heads = headed_cells(path)
    grouped: dict[tuple[str, str], list] = {}
    for it in items:
        grouped.setdefault(heads.get(it.item, (it.item, "")), []).append(it)
    return [Question(label, part, tuple(its), tuple(is_yours(it, profile) for it in its))
            for (label, part), its in grouped.items()]


# --- saying it in words ----------------------------------------------------------------------------

def _name(q: Question) -> str:
    return f"the {q.label}" if q.label == WRITTEN_LABEL else q.label


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _runs(all_qs: list[Question], wanted: str) -> list[str]:
    """The questions with status ``wanted``, as ranges of neighbours in notebook order ("A1-A4"),
    a whole part as "Part B", and a partly-yours question with "(in part)"."""
    parts = {}
    for q in all_qs:
        if q.part:
            parts.setdefault(q.part, []).append(q)
    whole = {p for p, members in parts.items() if all(m.status == wanted for m in members)
             and not any(m.partly for m in members)}
    out: list[str] = []
    run: list[Question] = []

    def flush():
        if len(run) >= 3:
            out.append(f"{_name(run[0])}-{_name(run[-1])}")
        else:
            out.extend(_name(q) for q in run)
        run.clear()

    seen_parts = set()
    for q in all_qs:
        if q.part in whole:
            flush()
            if q.part not in seen_parts:
                seen_parts.add(q.part)
                out.append(q.part)
            continue
        if q.status != wanted or q.written or q.partly:
            flush()
            if q.status == wanted and q.written:
                out.append(_name(q))
            elif q.status == wanted and q.partly:
                out.append(f"{_name(q)} (in part)")
            continue
        run.append(q)
    flush()
    return out


def _phrase(names: list[str]) -> str:
    """["A1-A4", "the written answer"] -> "questions A1-A4 and the written answer"."""
    numbered = [n for n in names if n.startswith("written answer ")]
    if len(numbered) > 1:            # "written answer 1", "written answer 2" -> "written answers 1 and 2"
        at = names.index(numbered[0])
        names = [n for n in names if n not in numbered]
        names.insert(at, "written answers " + _and([n.split()[-1] for n in numbered]))
    qs = [n for n in names if not n.startswith(("Part", "the written", "written"))]
    prefix = ("question " if len(qs) == 1 and "-" not in qs[0] else "questions ") if qs else ""
    first = next((i for i, n in enumerate(names) if n in qs), None)
    words = [(prefix + n if i == first else n) for i, n in enumerate(names)]
    return _and(words)


def summary(module_id: str, profile: competencies.Profile) -> str:
    """One line: "Your items: questions A1-A4 and the written answer; optional, for going further: Part B"."""
    qs = questions(module_id, profile)
    if not qs:
        return "No graded items yet."
    mine = _runs(qs, YOURS)
    extra = _runs(qs, OPTIONAL)
    if not mine:
        return "None of its items are required for your profile; all are optional, for going further."
    text = f"Your items: {_phrase(mine)}"
    return text + (f"; optional, for going further: {_phrase(extra)}." if extra else " (all of them).")


def needs(module_id: str, profile: competencies.Profile) -> list[str]:
    """What the profile requires in each competency the module teaches, in words."""
    fw = competencies.framework()
    out = []
    for cid in syllabus.get(module_id).competencies:
        name = fw.get(cid).name if cid in fw.ids else cid
        level = profile.required(cid)
        out.append(f"{name}: {fw.level_name(level)} level" if level else f"{name}: not needed for your job")
    return out


def start_page_lines() -> list[str]:
    """The start page's lines on the learner's items: one per module with a profile, else how to choose."""
    from coursekit.platform.authoring.startpage import module_number

    try:
        prof = chosen()
    except UsageError as exc:
        return [f"- {exc}"]
    if prof is None:
        return [HOW_TO_CHOOSE.format(ids=", ".join(f"`{p}`" for p in competencies.profiles()))]
    lines = [f"Your job profile: **{prof.name}** (`coursekit profile set <profile>` changes it).", ""]
    for i, m in enumerate(syllabus.modules(), start=1):
        lines.append(f"- [**{module_number(m.id, i)}. {m.title}**](exercises/{m.id}/exercise.ipynb): "
                     f"{summary(m.id, prof)}")
    return lines


def module_for(where: str) -> str:
    """A module id from an id, a prefix ("m03") or a path inside a module's folder."""
    ids = syllabus.module_ids()
    text = str(where).strip()
    if text in ids:
        return text
    for part in reversed(Path(text).parts):
        if part in ids:
            return part
    found = [m for m in ids if m.startswith(text + "_")]
    if len(found) == 1:
        return found[0]
    raise UsageError(f"no module {where!r}: give one of {', '.join(ids)}")


def items_text(module_id: str, profile: competencies.Profile) -> str:
    """What ``coursekit.my_items()`` prints: the profile, the module's needs, yours and the optional ones."""
    module = syllabus.get(module_id)
    qs = questions(module.id, profile)
    mine = [q for q in qs if q.status == YOURS]
    lines = [f"Your job profile: {profile.name}. What your job needs in this exercise's topics:"]
    lines += [f"  - {n}" for n in needs(module.id, profile)]
    if mine:
        lines.append(f"Yours: {_phrase(_runs(qs, YOURS))} "
                     f"({sum(q.points for q in mine):g} points).")
    else:
        lines.append("None of these questions is needed for your job profile.")
    extra = _runs(qs, OPTIONAL)
    if extra:
        lines.append(f"Optional, for going further: {_phrase(extra)}.")
    lines.append("(A question marked \"in part\" has some parts your job does not need: those parts are optional.)"
                 if any(q.partly for q in qs) else "")
    lines.append("To change your profile: `coursekit profile set <profile>` in a terminal.")
    return "\n".join(line for line in lines if line)


# --- for the learner toolkit: python -m coursekit.platform.learner_profile ACTION [ARG] -------------

def answer(argv: list[str]) -> dict:
    """{"text": ...} for ``show``, ``set ID`` and ``items [WHERE]``; {"error": ...} when it cannot."""
    action, arg = (argv + [None, None])[:2]
    try:
        if action == "set":
            prof = choose(arg or "")
            from coursekit.platform import workspace

            workspace.refresh_start_page()      # its lines on your questions follow your choice
            return {"text": f"Your job profile is now: {prof.name} ({prof.id}).", "profile": prof.id}
        if action == "show":
            prof = chosen()
            if prof is None:
                return {"text": HOW_TO_CHOOSE.format(ids=profile_ids()).replace("`", ""), "profile": None}
            return {"text": f"Your job profile: {prof.name} ({prof.id}).", "profile": prof.id}
        if action == "items":
            prof = chosen()
            if prof is None:
                return {"text": HOW_TO_CHOOSE.format(ids=profile_ids()).replace("`", ""), "profile": None}
            if not arg:
                return {"error": "say which exercise: my_items(\"m03_fairness\")"}
            return {"text": items_text(module_for(arg), prof), "profile": prof.id}
    except UsageError as exc:
        return {"error": str(exc)}
    return {"error": f"unknown action {action!r}: use show, set or items"}


def main(argv: list[str]) -> int:
    if argv[:1] == ["progress"]:
        # coursekit.progress.show() without a profile: the report against the chosen one
        from coursekit.platform.reports import progress

        try:
            pid = argv[1] if len(argv) > 1 else chosen_id()
        except UsageError as exc:
            print(json.dumps({"error": str(exc)}))
            return 2
        return progress.main([pid] if pid else [])
    result = answer(argv)
    print(json.dumps(result))
    return 2 if "error" in result else 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
