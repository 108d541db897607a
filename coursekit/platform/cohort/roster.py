"""A cohort's roster: who takes part, from a CSV the trainer gets from HR or the LMS.

Read by the one roster reader, :mod:`coursekit.platform.roster` (the pledge report reads staff
lists with the same rules). Every problem is one line naming the file, the row and the field,
before anything is written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from pathlib import Path

from coursekit.platform import fileio
from coursekit.platform import roster as staff_roster
from coursekit.platform.roster import COLUMNS, ID_PATTERN  # noqa: F401  (part of this module's interface)


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


def read(path: str | Path) -> list[Learner]:
    """Read and check a roster CSV (the rules of :mod:`coursekit.platform.roster`)."""
    df = staff_roster.read(path, names=True)
    return [Learner(*row) for row in df[["learner_id", "department", "profile", "first_name", "last_name",
                                         "email"]].itertuples(index=False, name=None)]


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
