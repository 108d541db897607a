"""A cohort's roster: who takes part, from a CSV the trainer gets from HR or the LMS.

Columns: ``learner_id, first_name, last_name, email, department, profile``. ``learner_id``,
``department`` and ``profile`` are required; the name and email columns may be left out or empty.
Every problem is reported as one line naming the file, the row (as a spreadsheet numbers it, the
header being row 1) and the field, before anything is written.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from coursekit.platform import fileio, paths
from coursekit.errors import UsageError

COLUMNS = ("learner_id", "first_name", "last_name", "email", "department", "profile")
REQUIRED = ("learner_id", "department", "profile")
OPTIONAL = ("first_name", "last_name", "email")

# A learner id becomes a folder name, an nbgrader student id and an exchange user name: keep it
# to letters, digits, dot, dash and underscore (no '+', which the exchange uses as a separator).
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Learner:
    learner_id: str
    department: str
    profile: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""

    def as_row(self) -> dict:
        return asdict(self)


def _profile_ids() -> set[str] | None:
    """Job profile ids from competencies/profiles.yml, or None when the file is not there."""
    path = paths.competencies_dir() / "profiles.yml"
    if not path.exists():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return None
    profiles = data.get("profiles", data) if isinstance(data, dict) else data
    if isinstance(profiles, dict):
        return {str(k) for k in profiles}
    if isinstance(profiles, list):
        return {str(p["id"]) for p in profiles if isinstance(p, dict) and "id" in p}
    return None


def _dialect(sample: str):
    try:
        return csv.Sniffer().sniff(sample.splitlines()[0] if sample else sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read(path: str | Path) -> list[Learner]:
    """Read and validate a roster CSV; raise one clear UsageError for the first problem found."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such roster file; give the path of a CSV with the columns {', '.join(COLUMNS)}")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give the path of the roster CSV file")
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError:
        raise UsageError(f"{path}: is not UTF-8 text; save the roster as 'CSV UTF-8' and try again")
    if not text.strip():
        raise UsageError(f"{path}: the roster is empty; it needs a header row ({', '.join(COLUMNS)}) and one row per learner")

    reader = csv.DictReader(io.StringIO(text), dialect=_dialect(text))
    header = [(h or "").strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UsageError(f"{path}: row 1 (header): missing column(s) {', '.join(missing)}; "
                         f"the header must include {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)})")
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise UsageError(f"{path}: row 1 (header): column {dupes[0]!r} appears twice; keep one")

    known_profiles = _profile_ids()
    learners: list[Learner] = []
    seen: dict[str, int] = {}
    for row_no, row in enumerate(reader, start=2):
        if None in row:  # more cells than header columns
            raise UsageError(f"{path}: row {row_no}: has more cells than the header has columns; "
                             "check for a stray comma or an unquoted comma inside a name")
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue  # blank line, e.g. at the end of a spreadsheet export
        lid = values.get("learner_id", "")
        if not lid:
            raise UsageError(f"{path}: row {row_no}: field learner_id is empty; give every learner an id")
        if not ID_PATTERN.match(lid):
            raise UsageError(f"{path}: row {row_no}: field learner_id {lid!r} is not a valid id; use letters, "
                             "digits, '.', '-' and '_' only (no spaces), at most 64 characters")
        key = lid.lower()  # ids that differ only in case would share a folder on Windows and macOS
        if key in seen:
            raise UsageError(f"{path}: row {row_no}: field learner_id {lid!r} duplicates row {seen[key]}; "
                             "every learner needs a different id")
        seen[key] = row_no
        for name in ("department", "profile"):
            if not values.get(name):
                raise UsageError(f"{path}: row {row_no}: field {name} is empty for learner {lid!r}; "
                                 f"reports group learners by {name}, so fill it in")
        if known_profiles is not None and values["profile"] not in known_profiles:
            raise UsageError(f"{path}: row {row_no}: field profile {values['profile']!r} is not a job profile of "
                             f"competencies/profiles.yml; use one of: {', '.join(sorted(known_profiles))}")
        email = values.get("email", "")
        if email and ("@" not in email or " " in email):
            raise UsageError(f"{path}: row {row_no}: field email {email!r} is not an email address; fix it or leave it empty")
        learners.append(Learner(lid, values["department"], values["profile"],
                                values.get("first_name", ""), values.get("last_name", ""), email))
    if not learners:
        raise UsageError(f"{path}: the roster has a header but no learners; add one row per learner")
    return learners


def write(path: Path, learners: list[Learner]) -> None:
    """Write a normalised roster (the cohort folder keeps one for reports)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    for learner in learners:
        w.writerow(learner.as_row())
    fileio.atomic_write_text(path, buf.getvalue())


def read_saved(path: Path) -> list[Learner]:
    """A cohort folder's own roster copy (already validated); empty when there is none."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        return [Learner(**{k: (r.get(k) or "") for k in COLUMNS}) for r in csv.DictReader(fh)]
