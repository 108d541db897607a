"""Attempts: how a learner reached an answer (each instant check and each hint asked for).

Graded results stay in the learner's gradebook (``coursekit check``); attempts are kept apart, one
JSON object a line, in ``attempts.jsonl`` of the learner's own folder (:func:`paths.learner_home`).
They are formative evidence of the way to an answer (how many tries, after how many hints), never
scores: nothing here is read by ``coursekit progress`` or a pledge report. An attempt holds no
answer, only a digest of it, so that tries with the same answer can be told apart.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from coursekit.platform import paths

FILE = "attempts.jsonl"
COLUMNS = ["time", "module", "question", "kind", "mode", "passed", "parts", "answer", "hint"]


def store() -> Path:
    return paths.learner_home() / FILE


def record(**fields) -> None:
    """Append one attempt (``kind`` "check" or "hint"); a line written whole, with O_APPEND."""
    entry = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), **fields}
    line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
    path = store()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read(module: str | None = None):
    """The attempts as a DataFrame (one row each, :data:`COLUMNS`), oldest first."""
    import pandas as pd

    rows = []
    try:
        text = store().read_text(encoding="utf-8")
    except OSError:
        text = ""
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue          # a line cut short by a crash: the others still count
        if isinstance(row, dict) and (module is None or row.get("module") == module):
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
