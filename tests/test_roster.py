"""The one roster reader: the same rules for a cohort and for a ministry's pledge report."""

from __future__ import annotations

import pytest

from coursekit.errors import UsageError
from coursekit.platform import roster
from coursekit.platform.cohort import roster as cohort_roster
from coursekit.platform.reports import pledge

HEADER = "learner_id,first_name,last_name,email,department,profile\n"
GOOD = HEADER + "L1,Ann,Lee,ann@example.gov,Tax,caseworker\nL2,Bo,Ng,,Tax,policy_officer\n"


def readers():
    return [("cohort", cohort_roster.read), ("pledge", pledge.load_roster), ("roster", roster.read)]


def problem(path, read):
    with pytest.raises(UsageError) as exc:
        read(path)
    return str(exc.value)


@pytest.mark.parametrize("content, needle", [
    (HEADER + "L1,Ann,Lee,,Tax,caseworker\nl1,Bo,Ng,,Tax,caseworker\n",
     "row 3, field learner_id: the same id as row 2"),                       # ids differ only in case
    (HEADER + "L 1,Ann,Lee,,Tax,caseworker\n", "row 2, field learner_id: is not a valid id"),
    (HEADER + "L1,Ann,Lee,,alice.smith@ministry.example,caseworker\n",
     "row 2, field department: looks like an email address"),
    (HEADER + "L1,Ann,Lee,,Tax,caseworker\nL2,Bo,Ng,,Ann Lee,caseworker\n",
     "row 3, field department: is a person's name from the name columns"),
    (HEADER + "L1,Ann,Lee,,\"Lee, Ann\",caseworker\n", "row 2, field department: is a person's name"),
    (HEADER + "L1,Ann,Lee,not-an-address,Tax,caseworker\n", "row 2, field email: is not an email address"),
    (HEADER + "L1,Ann,Lee,,Tax,astronaut\n", "row 2, field profile: unknown profile 'astronaut'"),
    (HEADER + "L1,Ann,Lee,,Tax,caseworker,extra\n", "row 2: has more cells than the header has columns"),
])
def test_both_readers_refuse_the_same_rows_with_the_same_line(tmp_path, content, needle):
    path = tmp_path / "staff.csv"
    path.write_text(content, encoding="utf-8")
    messages = {name: problem(path, read) for name, read in readers()}
    assert len(set(messages.values())) == 1, messages
    message = messages["roster"]
    assert needle in message and len(message.splitlines()) == 1, message
    for private in ("Ann", "Lee", "alice.smith", "not-an-address"):
        assert private not in message                                        # no person in the message


def test_semicolons_tabs_a_byte_order_mark_and_utf16_read_the_same(tmp_path):
    expected = roster.read(_write(tmp_path / "a.csv", GOOD))
    for name, text, enc in [("semi.csv", GOOD.replace(",", ";"), "utf-8-sig"),
                            ("tab.csv", GOOD.replace(",", "\t"), "utf-8"),
                            ("u16.csv", GOOD, "utf-16")]:
        got = roster.read(_write(tmp_path / name, text, enc))
        assert got.equals(expected), name
        assert [lr.learner_id for lr in cohort_roster.read(tmp_path / name)] == ["L1", "L2"]
    assert list(expected.columns) == ["learner_id", "department", "profile"]      # names never loaded


def test_not_utf8_is_one_clear_line(tmp_path, capsys):
    path = tmp_path / "latin.csv"
    path.write_bytes(GOOD.replace("Ann", "Ånn").encode("latin-1"))
    for _, read in readers():
        assert "is not UTF-8 text; save the roster as 'CSV UTF-8'" in problem(path, read)


def test_blank_lines_and_spaces_are_tolerated(tmp_path):
    text = HEADER + " L1 , Ann , Lee ,, Tax , caseworker \n\n,,,,,\nL2,Bo,Ng,,Tax,policy_officer\n\n"
    df = roster.read(_write(tmp_path / "r.csv", text))
    assert df["learner_id"].tolist() == ["L1", "L2"] and df["department"].tolist() == ["Tax", "Tax"]


def test_a_million_rows(tmp_path):
    """Fast enough for a whole civil service (the benchmark reports the time; this only checks it works)."""
    n = 1_000_000
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write(HEADER)
        fh.writelines(f"S{i:07d},,,,Department {i % 40},caseworker\n" for i in range(n))
    df = roster.read(path)
    assert len(df) == n and df["learner_id"].is_unique


def _write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return path
