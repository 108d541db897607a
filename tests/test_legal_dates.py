"""No lesson or exercise states a date the course cannot account for.

A date written in a notebook's text (markdown and stored outputs of the lessons and exercises, and the
start page's markdown) must be one of:

- a date of the AI Act data, ``coursekit.ai_act.key_dates()`` (its ``date`` or ``was`` column, or a
  date its notes mention) or the date that data was last checked (``ai_act.CHECKED_ON``); or
- a date in the notebook's own list of historical dates, the notebook metadata
  ``coursekit.historical_dates``: a mapping from ``YYYY-MM-DD`` (or ``YYYY-MM`` for a month) to what
  happened then, for case dates, publication dates of sources and the like (see course/AUTHORING.md).

So a legal date typed into a lesson as a new literal, or left behind when the law changed, fails here.
Dates are found as "2 December 2027", "December 2027", "2 Dec. 2027" and "2027-12-02"; a bare year
is not a date.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coursekit import ai_act

ROOT = Path(__file__).resolve().parents[1]

# Modules (by number) not yet checked against this rule: remove a number once its notebooks pass.
NOT_YET_CHECKED: set[str] = set()

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_MONTH_NUMBER = {m: i + 1 for i, m in enumerate(_MONTHS)}
_MONTH_NUMBER.update({m[:3]: i + 1 for i, m in enumerate(_MONTHS)})
_MONTH_NUMBER["sept"] = 9
_MONTH_WORD = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_WRITTEN = re.compile(
    rf"\b(?:(?P<day>[0-3]?\d)\s+)?(?P<month>{_MONTH_WORD})\.?,?\s+(?P<year>(?:19|20)\d\d)\b", re.IGNORECASE)
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b")


def dates_in(text: str) -> list[tuple[str, str]]:
    """Every date stated in ``text``, as (what was written, ``YYYY-MM-DD`` or ``YYYY-MM``)."""
    found = []
    for m in _WRITTEN.finditer(text):
        month = _MONTH_NUMBER[m.group("month").lower()]
        iso = f"{m.group('year')}-{month:02d}"
        if m.group("day"):
            iso += f"-{int(m.group('day')):02d}"
        found.append((m.group(0), iso))
    for m in _ISO.finditer(text):
        found.append((m.group(0), m.group(0)))
    return found


def notebook_texts(nb: dict, *, outputs: bool = True):
    """(cell index, text) for each markdown cell and, if ``outputs``, each stored text output."""
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            yield i, "".join(cell["source"])
        if not outputs:
            continue
        for out in cell.get("outputs", []):
            if "text" in out:
                yield i, "".join(out["text"])
            for kind in ("text/plain", "text/markdown", "text/html"):
                if kind in out.get("data", {}):
                    yield i, "".join(out["data"][kind])


def ai_act_dates() -> set[str]:
    """The dates of the AI Act data: its date and was columns, dates its notes mention, the date checked."""
    df = ai_act.key_dates()
    dates = {d for d in list(df["date"]) + list(df["was"]) if d} | {ai_act.CHECKED_ON}
    for text in list(df["what"]) + list(df["status"]):
        dates |= {iso for _, iso in dates_in(text)}
    return dates


def historical_dates(nb: dict) -> set[str]:
    declared = nb.get("metadata", {}).get("coursekit", {}).get("historical_dates", {})
    return set(declared)


def unaccounted(nb: dict, *, outputs: bool = True) -> list[str]:
    """The dates in ``nb``'s text that are neither AI Act data nor in its historical dates."""
    known = ai_act_dates() | historical_dates(nb)
    problems = []
    for i, text in notebook_texts(nb, outputs=outputs):
        for written, iso in dates_in(text):
            ok = iso in known if len(iso) == 10 else any(k.startswith(iso) for k in known)
            if not ok:
                problems.append(f"cell {i}: {written!r} ({iso})")
    return problems


def _notebooks():
    items = [("START.ipynb", ROOT / "START.ipynb", False)]
    for pattern in ("modules/*/lesson.ipynb", "solutions/*/exercise.ipynb"):
        for path in sorted(ROOT.glob(pattern)):
            if path.parent.name.split("_")[0] in NOT_YET_CHECKED:
                continue
            items.append((str(path.relative_to(ROOT)), path, True))
    return items


@pytest.mark.parametrize("name, path, outputs", _notebooks(), ids=[n for n, _, _ in _notebooks()])
def test_every_date_is_ai_act_data_or_declared_history(name, path, outputs):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = unaccounted(nb, outputs=outputs)
    assert not problems, (
        f"{name} states dates that are neither in coursekit.ai_act.key_dates() nor in its metadata "
        f"coursekit.historical_dates: {problems}. Read legal dates from coursekit.ai_act "
        "(date_of / date_text), or declare a case or source date in the notebook's historical_dates.")


def test_historical_dates_are_well_formed():
    for name, path, _ in _notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        declared = nb.get("metadata", {}).get("coursekit", {}).get("historical_dates", {})
        assert isinstance(declared, dict), name
        for iso, what in declared.items():
            assert re.fullmatch(r"(19|20)\d\d-[01]\d(-[0-3]\d)?", iso), (name, iso)
            assert isinstance(what, str) and len(what) > 5, (name, iso, "say what the date is")


# --- the checker itself -----------------------------------------------------------------------

def _nb(markdown: str, history: dict | None = None) -> dict:
    meta = {"coursekit": {"historical_dates": history}} if history else {}
    return {"cells": [{"cell_type": "markdown", "source": [markdown], "metadata": {}}], "metadata": meta}


def test_finds_written_abbreviated_and_iso_dates():
    text = "From 2 December 2027, not 2 Aug. 2026; in July 2026; fined in Nov 2021; key 2025-02-02; in 2024."
    assert [iso for _, iso in dates_in(text)] == ["2027-12-02", "2026-08-02", "2026-07", "2021-11", "2025-02-02"]


def test_an_outdated_legal_date_fails():
    assert unaccounted(_nb("Annex III applies from 2 December 2027.")) == []
    # A date the data holds for another rule passes (2 August 2026 is Art. 50's): the check is on dates,
    # not on what they are said to be for ...
    assert unaccounted(_nb("Annex III applies from 2 August 2026.")) == []
    # ... but a date that no row holds fails.
    assert unaccounted(_nb("Annex III applies from 2 August 2029."))
    assert unaccounted(_nb("The proposal of 19 November 2024."))


def test_declared_history_is_accepted_only_in_its_own_notebook():
    assert unaccounted(_nb("The cabinet resigned on 15 January 2021.", {"2021-01-15": "Dutch cabinet resigns"})) == []
    assert unaccounted(_nb("The cabinet resigned on 15 January 2021."))
    assert unaccounted(_nb("Fined in November 2021.", {"2021-11": "Dutch DPA fine"})) == []
