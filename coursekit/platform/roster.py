"""A roster of staff, as HR or a learning system exports it: the one reader for cohorts and pledges.

Columns: ``learner_id, first_name, last_name, email, department, profile``. ``learner_id``,
``department`` and ``profile`` are required; names and email may be left out or empty.

One set of rules, wherever a roster is read:

- **File**: UTF-8 (with or without Excel's byte-order mark) or UTF-16 with its byte-order mark;
  comma, semicolon or tab between cells (found from the header line); blank lines are skipped;
  cells are trimmed.
- **learner_id**: letters, digits, ``.``, ``-`` and ``_``, starting with a letter or digit, at most
  64 characters. An id becomes a folder, an nbgrader student id and a hub user name, so ids that
  differ only in case (``L1`` and ``l1``) are the same person and may not both appear.
- **department, profile**: never empty; a profile is one of ``competencies/profiles.yml``. Neither
  may look like an email address or be a person's name from the name columns: reports publish
  departments and profiles, so a column mixed up in an export must not put a person in a report.
- **email**, when given, is an address.

Every problem is one line naming the file, the row (as a spreadsheet numbers it: the header is
row 1) and the field, never a person's id, name or address. The checks run on whole columns at
once, so a roster of a million staff is read in seconds.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from coursekit.errors import UsageError

COLUMNS = ("learner_id", "first_name", "last_name", "email", "department", "profile")
REQUIRED = ("learner_id", "department", "profile")
NAMES = ("first_name", "last_name", "email")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
EMAIL_LIKE = r"[^@\s]+@[^@\s]+\.[^@\s]+"
DELIMITERS = ",;\t"


def _encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4)
    return "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"


def _header(path: Path, encoding: str) -> tuple[list[str], str]:
    """The header's cells and the delimiter it uses."""
    try:
        with open(path, encoding=encoding, newline="") as fh:
            line = fh.readline()
    except UnicodeDecodeError:
        raise UsageError(f"{path}: is not UTF-8 text; save the roster as 'CSV UTF-8' and try again")
    if not line.strip():
        raise UsageError(f"{path}: the roster is empty; it needs a header row ({', '.join(COLUMNS)}) "
                         "and one row per member of staff")
    delimiter = max(DELIMITERS, key=line.count)
    header = next(csv.reader([line], delimiter=delimiter))
    return [h.strip() for h in header], delimiter


def _fail(path: Path, row, field: str, problem: str) -> UsageError:
    return UsageError(f"{path}: row {int(row)}, field {field}: {problem}")


def read(path: str | Path, *, profiles=None, names: bool = False) -> pd.DataFrame:
    """Read and check a roster; one UsageError for the first problem found.

    Returns learner_id, department and profile (and first_name, last_name, email when ``names``),
    as text, one row per member of staff, in file order. ``profiles``: the known job profile ids
    (default: the course's).
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such roster file" + (" (it is a folder)" if path.is_dir() else "")
                         + f"; give a CSV with the columns {', '.join(COLUMNS)}")
    encoding = _encoding(path)
    header, delimiter = _header(path, encoding)
    dupes = sorted({c for c in header if c and header.count(c) > 1})
    if dupes:
        raise UsageError(f"{path}: row 1 (header), field {dupes[0]}: the column appears twice; keep one")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UsageError(f"{path}: row 1 (header), field {missing[0]}: missing column; the header must include "
                         f"{', '.join(REQUIRED)} (optional: {', '.join(NAMES)})")
    try:
        with warnings.catch_warnings():
            # pandas warns, and drops the cells, when the first row is longer than the header
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, sep=delimiter,
                             skip_blank_lines=False, header=0, index_col=False, engine="c")
    except pd.errors.ParserWarning:
        raise UsageError(f"{path}: row 2: has more cells than the header has columns; "
                         "check for a stray delimiter or an unquoted comma inside a name")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: is not UTF-8 text; save the roster as 'CSV UTF-8' and try again")
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise UsageError(f"{path}: row {m.group(1) if m else '?'}: has more cells than the header has columns; "
                         "check for a stray delimiter or an unquoted comma inside a name")
    df.columns = [str(c).strip() for c in df.columns]
    df = df.fillna("")                                   # a row with fewer cells than the header
    keep = [c for c in COLUMNS if c in df.columns]      # names only to check against, unless asked for
    df = df[keep]
    df.index = pd.RangeIndex(2, len(df) + 2)            # the spreadsheet's row numbers
    for col in keep:
        if _has_edge_space(df[col]):
            df[col] = df[col].str.strip()
    df = df[(df != "").any(axis=1)]                      # blank lines, e.g. at the end of an export
    if df.empty:
        raise UsageError(f"{path}: the roster has a header but no staff; add one row per member of staff")
    _check(path, df, _known_profiles() if profiles is None else list(profiles))
    for col in COLUMNS if names else ():
        if col not in df.columns:
            df[col] = ""
    return df[[c for c in COLUMNS if names or c in REQUIRED]].reset_index(drop=True)


def _check(path: Path, df: pd.DataFrame, profiles: list | None) -> None:
    """Every rule of the module docstring, column by column; the first broken one is raised."""
    problems = []                       # (row, order, field, problem): the earliest row wins

    def first(mask, field, problem, order):
        if mask.any():
            problems.append((int(mask.idxmax()), order, field, problem))

    ids = df["learner_id"]
    first(ids == "", "learner_id", "is empty; give every member of staff an id", 0)
    valid = _all_match(ids, ID_PATTERN.pattern)
    if not valid:
        first((ids != "") & ~ids.str.fullmatch(ID_PATTERN.pattern), "learner_id",
              "is not a valid id; use letters, digits, '.', '-' and '_' only (no spaces), at most 64 characters", 1)
    if valid:    # ASCII ids without line breaks: lowered in one go
        lower = pd.Series("\n".join(ids.tolist()).lower().split("\n"), index=ids.index, dtype=ids.dtype)
    else:
        lower = ids.str.lower()
    dup = lower.duplicated(keep="first") & (ids != "")
    if dup.any():
        row = int(dup.idxmax())
        earlier = int(lower.index[(lower == lower[row]).to_numpy()][0])
        problems.append((row, 2, "learner_id", f"the same id as row {earlier} (ids that differ only in upper and "
                                               "lower case count as the same); every member of staff needs one row"))
    for order, col in enumerate(("department", "profile"), start=3):
        first(df[col] == "", col, f"is empty; every member of staff needs a {col}", order)
        first(_each_distinct(df[col], lambda v: re.fullmatch(EMAIL_LIKE, v) is not None), col,
              "looks like an email address; a report would publish it: check the columns of the export", order)
    unknown = (df["profile"] != "") & ~df["profile"].isin(profiles or ())
    if profiles is not None and unknown.any():
        bad = df["profile"][unknown].iloc[0]
        problems.append((int(unknown.idxmax()), 5, "profile", f"unknown profile {bad!r}; use one of: "
                         f"{', '.join(profiles)} (see competencies/profiles.yml)"))
    if "first_name" in df.columns and "last_name" in df.columns:
        for order, col in enumerate(("department", "profile"), start=6):
            people = _full_names(df, {v.lower() for v in df[col].unique()})
            first(_each_distinct(df[col], lambda v: v.lower() in people), col,
                  "is a person's name from the name columns; a report would publish it: check the columns", order)
    if "email" in df.columns:
        email = df["email"]
        if not _all_match(email[email != ""], EMAIL_LIKE):
            first((email != "") & ~email.str.fullmatch(EMAIL_LIKE), "email",
                  "is not an email address; fix it or leave it empty", 8)
    if problems:
        row, _, field, problem = min(problems)
        raise _fail(path, row, field, problem)


def _full_names(df: pd.DataFrame, wanted: set) -> set:
    """Those of ``wanted`` (lower case) that are someone's name as it might be typed into another
    column: "Ann Lee", "Lee Ann", "Lee, Ann".

    Each wanted text is split at its spaces into the (given, family) pairs it could be, and only
    those pairs are looked for among the staff: a few distinct values, not every person's name.
    """
    pairs = {}                                          # (given, family) -> the wanted texts it spells
    for text in wanted:
        for i, ch in enumerate(text):
            if ch == " ":
                pairs.setdefault((text[:i], text[i + 1:]), set()).add(text)        # "ann lee"
                pairs.setdefault((text[i + 1:], text[:i]), set()).add(text)        # "lee ann"
                if i and text[i - 1] == ",":
                    pairs.setdefault((text[i + 1:], text[:i - 1]), set()).add(text)   # "lee, ann"
    if not pairs:
        return set()
    given, family = _lowered(df["first_name"]), _lowered(df["last_name"])
    near = given.isin({g for g, _ in pairs}) & family.isin({f for _, f in pairs}) & (given != "") & (family != "")
    found = set()
    for g, f in zip(given[near].tolist(), family[near].tolist()):
        found |= pairs.get((g, f), set())
    return found


def _lowered(col: pd.Series) -> pd.Series:
    """``col.str.lower()``, lowering each distinct value once."""
    codes, uniques = pd.factorize(col)
    return pd.Series(pd.Index([u.lower() for u in uniques], dtype=object).take(codes), index=col.index, dtype=object)


def _each_distinct(col: pd.Series, test) -> pd.Series:
    """A row mask: ``test`` (text -> bool) of each row's value, run once per distinct value."""
    codes, uniques = pd.factorize(col)
    hit = np.array([bool(test(u)) for u in uniques] + [False], dtype=bool)
    return pd.Series(hit[codes], index=col.index)


def _joined(col: pd.Series, sep: str) -> str | None:
    """The column's values joined by ``sep``; None when a value contains ``sep`` itself."""
    values = col.tolist()
    text = sep.join(values)
    return text if text.count(sep) == max(len(values) - 1, 0) else None


def _all_match(col: pd.Series, pattern: str) -> bool:
    """Whether every value matches ``pattern`` whole, found by one regular expression over the
    joined column (False also when that cannot tell: a value with a line break)."""
    text = _joined(col, "\n")
    if text is None:
        return False
    if not text:
        return len(col) == 0 or re.fullmatch(pattern, "") is not None
    return re.fullmatch(f"(?:{pattern})(?:\n(?:{pattern}))*", text) is not None


_SPACE_AFTER_SEP = re.compile(r"\x00\s")


def _has_edge_space(col: pd.Series) -> bool:
    """Whether some value starts or ends with white space (True also when that cannot tell).

    Looks for white space after a separator in the joined values, and in them reversed (a
    pattern that starts with a plain character is found much faster than one with a choice)."""
    text = _joined(col, "\x00")
    if text is None:
        return True
    return (text[:1].isspace() or text[-1:].isspace() or _SPACE_AFTER_SEP.search(text) is not None
            or _SPACE_AFTER_SEP.search(text[::-1]) is not None)


def _known_profiles() -> list | None:
    """The course's job profile ids; None for a course without ``competencies/profiles.yml``."""
    from coursekit.platform import competencies, paths

    if not (paths.competencies_dir() / "profiles.yml").exists():
        return None
    return list(competencies.profiles())
