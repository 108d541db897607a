"""Self-assessed evidence: a learner's own checks, exported under their roster id and shown apart.

`coursekit check` records a learner's work in their personal gradebook under no roster id, and a
learner may check as often as they like with the solutions beside them: it is practice, not
assessment. The pledge report counts assessed work (cohort gradebooks) only. Where a ministry
wants self-paced work seen too, each learner exports theirs (``coursekit progress --export FILE
--id ID``) and the report shows it apart, as self-assessed, never added to the assessed figures.

The export is a CSV of the learner's evidence records (``evidence.RECORD_COLUMNS``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coursekit.errors import UsageError
from coursekit.platform import competencies, evidence, fileio, paths
from coursekit.platform.roster import ID_PATTERN


def export(out: str | Path, learner_id: str) -> int:
    """Write the personal gradebook's evidence, under ``learner_id``, to ``out``; the rows written."""
    if not ID_PATTERN.fullmatch(learner_id or ""):
        raise UsageError(f"--id {learner_id!r}: give your id as the roster has it (letters, digits, '.', '-', '_')")
    db = paths.personal_course_dir() / "gradebook.db"
    if not db.exists():
        raise UsageError("nothing to export yet: check an exercise first (coursekit check ...)")
    recs = evidence.records(db, source=evidence.SELF_PACED, learners=[paths.SELF_LEARNER_ID])
    recs = evidence.best(recs[recs["learner"].astype(object) == paths.SELF_LEARNER_ID])
    recs = recs.assign(learner=learner_id)
    fileio.atomic_write_text(Path(out), recs[evidence.RECORD_COLUMNS].to_csv(index=False, lineterminator="\n"))
    return len(recs)


def read(files: list) -> pd.DataFrame:
    """The evidence records of learners' exports (one UsageError naming a file that is not one)."""
    parts = []
    for f in files:
        path = Path(f)
        if not path.is_file():
            raise UsageError(f"{path}: no such self-assessed evidence file; a learner makes one with "
                             "`coursekit progress --export FILE --id ID`")
        try:
            df = pd.read_csv(path, dtype={"learner": str, "module": str, "item": str, "competency": str,
                                          "level": str, "source": str})
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
            df = None
        if df is None or list(df.columns) != evidence.RECORD_COLUMNS:
            raise UsageError(f"{path}: is not an export of `coursekit progress --export` "
                             f"(columns {', '.join(evidence.RECORD_COLUMNS)})")
        parts.append(df)
    recs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=evidence.RECORD_COLUMNS)
    recs["time"] = pd.to_datetime(recs["time"], utc=True, errors="coerce").dt.tz_localize(None)
    recs["points"] = pd.to_numeric(recs["points"], errors="coerce").fillna(0.0)
    recs["out_of"] = pd.to_numeric(recs["out_of"], errors="coerce").fillna(0.0)
    fw = competencies.framework()
    return recs[recs["competency"].isin(fw.ids) & recs["level"].isin(fw.levels)]


def counts(recs: pd.DataFrame, roster: pd.DataFrame, target, min_group: int) -> tuple[int | None, int | None]:
    """(staff in the target's profiles with self-assessed evidence, of them those it shows at the
    target), each None where the pair would show a group smaller than ``min_group``."""
    fw = competencies.framework()
    mine = roster[roster["profile"].isin(target.profiles)]["learner_id"]
    recs = recs[recs["learner"].isin(set(mine))]
    if recs.empty:
        return 0, 0
    levels = evidence.attained_levels(recs)
    need = fw.rank(target.level)
    ranks = np.array([[fw.rank(levels.at[lid, c]) if c in levels.columns else 0 for c in target.competencies]
                      for lid in levels.index]).reshape(len(levels), len(target.competencies))
    staff, reached = len(levels), int((ranks >= need).all(axis=1).sum())
    if any(0 < v < min_group for v in (staff, reached, staff - reached)):
        return None, None
    return staff, reached
