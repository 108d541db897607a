"""nbgrader's ``grade`` table decoded from the gradebook file's pages by a compiled loop.

This is the fast way the gradebook reader (:mod:`.gradebook_read`) takes when it can: what its
SQL and ``_shares`` give for each grade (the submitted notebook, the item, the share of the
item's points, by the score rule of ``_SCORE_CODE``), at a few hundred nanoseconds a grade
instead of over a microsecond. The loop
is compiled by numba (cached on disk after the first run) and releases the GIL, so two threads
decode two batches of pages at once.

Each record is checked as it is read: its page's kind, every offset inside its page, one byte
per column in its header, the lengths adding up, no overflow page, numbers in the score columns,
rowids increasing. The first thing that is not as expected stops the read with
:class:`.sqlite_pages.Unsupported`, and the reader reads the gradebook with SQL instead.
``tests/test_grade_pages.py`` compares the two ways on gradebooks made to hold every case.
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit

from coursekit.platform.nbgrader_adapter.sqlite_pages import LEAF, Table, Unsupported

ID_BYTES = 32
PLACEHOLDER_WORD = 0x0101010101010101     # an id that is not 32 bytes: the SQL's placeholder, matching nothing
CODE_MASK = (1 << 19) - 1
MANUAL = 1 << 19

_ERRORS = {1: "a page of the table that is not a leaf page", 2: "a cell pointer outside its page",
           3: "a record on overflow pages", 4: "a record past the end of its page",
           5: "a record header that is not one byte per column", 6: "a record whose length does not add up",
           7: "a text or blob in a score column", 8: "rowids out of order", 9: "a reserved serial type"}


# The kernel's helpers are inlined by numba itself, before LLVM sees them: called, they made the
# kernel about 13% slower per grade (measured on a 100,000-learner gradebook).

@njit(cache=True, nogil=True, inline="always")
def varint(data, at):
    v = np.int64(0)
    for k in range(8):
        b = np.int64(data[at + k])
        v = (v << 7) | (b & 0x7F)
        if b < 0x80:
            return v, k + 1
    return (v << 8) | np.int64(data[at + 8]), 9


@njit(cache=True, nogil=True, inline="always")
def size_of(t):
    if t >= 12:
        return (t - 12) // 2
    if t <= 4:
        return t
    if t == 5:
        return 6
    if t == 6 or t == 7:
        return 8
    if t == 8 or t == 9:
        return 0
    return -1


@njit(cache=True, nogil=True, inline="always")
def number(data, at, t, fbits):
    """(value, present) of a number of serial type ``t`` at ``at``; present -1: not a number.
    ``fbits``: one uint64 of scratch and its float64 view, through which a float's bytes become the float."""
    if t == 0:
        return 0.0, 0
    if t == 8:
        return 0.0, 1
    if t == 9:
        return 1.0, 1
    if t == 7:
        v = np.uint64(0)
        for k in range(8):
            v = (v << np.uint64(8)) | np.uint64(data[at + k])
        fbits[0][0] = v
        return fbits[1][0], 1
    if t < 1 or t > 6:
        return 0.0, -1
    n = size_of(t)                                 # an integer of 1, 2, 3, 4, 6 or 8 bytes
    v = np.int64(data[at])
    if v >= 128:
        v -= 256                                   # the first byte carries the sign
    for k in range(1, n):
        v = (v << 8) | np.int64(data[at + k])
    return float(v), 1


@njit(cache=True, nogil=True, inline="always")
def score_code(value, manual):
    """``_SCORE_CODE`` of the reader's SQL, step by step as SQLite computes it."""
    x = value * 1000.0
    if -4503599627370496.0 <= x <= 4503599627370496.0:     # SQLite's round(x): x +- 0.5, truncated
        x = float(np.int64(x + (-0.5 if x < 0 else 0.5)))
    if x >= 9.223372036854775e18:                          # CAST(x AS INTEGER) saturates
        i = np.int64(9223372036854775807)
    elif x <= -9.223372036854775e18:
        i = np.int64(-9223372036854775807 - 1)
    else:
        i = np.int64(x)
    i = min(np.int64(CODE_MASK), max(np.int64(0), i) + 1)
    return i | MANUAL if manual else i


@njit(cache=True, nogil=True, inline="always")
def id_words(data, at, t, out, row):
    if t == 13 + 2 * ID_BYTES or t == 12 + 2 * ID_BYTES:   # 32 bytes of text (or blob)
        for w in range(4):
            v = np.uint64(0)
            for k in range(7, -1, -1):
                v = (v << np.uint64(8)) | np.uint64(data[at + 8 * w + k])
            out[row, w] = v
    else:
        for w in range(4):
            out[row, w] = np.uint64(PLACEHOLDER_WORD)


@njit(cache=True, nogil=True)
def kernel(data, pages, page_size, usable, ncol, c_nb, c_cell, c_auto, c_manual, c_ec,
           cell_first, cell_words, cell_rowid, item_of, top_of, manual_of,
           grp, item, share, heads, span, types, offsets):
    """Decode the records of ``pages`` and keep the grades of tagged items, as the reader's
    ``_shares`` does: per grade kept, its group of consecutive equal notebook ids (``grp``; each
    group's id in ``heads``), its item and its share of the item's points (NaN: pending).
    Returns (records, grades kept, groups, error: 0 or a key of _ERRORS); ``span`` gets the
    first and last rowid."""
    n = 0
    kept = 0
    h = 0
    nb = np.zeros((1, 4), dtype=np.uint64)
    bits = np.zeros(1, dtype=np.uint64)
    fbits = (bits, bits.view(np.float64))
    prev = np.zeros(4, dtype=np.uint64)
    last = np.int64(-1)
    for p in pages:
        base = (np.int64(p) - 1) * page_size
        top = base + (100 if p == 1 else 0)
        if data[top] != LEAF:
            return n, kept, h, 1
        count = (np.int64(data[top + 3]) << 8) | np.int64(data[top + 4])
        for k in range(count):
            ptr = (np.int64(data[top + 8 + 2 * k]) << 8) | np.int64(data[top + 9 + 2 * k])
            if ptr < top - base + 8 + 2 * count or ptr >= usable:
                return n, kept, h, 2
            at = base + ptr
            payload, l1 = varint(data, at)
            rowid, l2 = varint(data, at + l1)
            if payload > usable - 35:
                return n, kept, h, 3
            rec = at + l1 + l2
            if rec + payload > base + usable:
                return n, kept, h, 4
            if rowid <= last:
                return n, kept, h, 8
            last = rowid
            if np.int64(data[rec]) != ncol + 1:
                return n, kept, h, 5
            pos = rec + ncol + 1
            for c in range(ncol):
                t = np.int64(data[rec + 1 + c])
                if t >= 0x80:
                    return n, kept, h, 5
                if t == 10 or t == 11:
                    return n, kept, h, 9
                types[c] = t
                offsets[c] = pos
                pos += size_of(t)
            if pos != rec + payload:
                return n, kept, h, 6
            # the submitted notebook: a new group where the id changes
            id_words(data, offsets[c_nb], types[c_nb], nb, 0)
            same = n > 0
            for w in range(4):
                if nb[0, w] != prev[w]:
                    same = False
            if not same:
                for w in range(4):
                    heads[h, w] = nb[0, w]
                    prev[w] = nb[0, w]
                h += 1
            # the cell: found by its first word among the gradebook's cells, then compared whole
            id_words(data, offsets[c_cell], types[c_cell], nb, 0)
            lo, hi = 0, len(cell_first)
            while lo < hi:
                mid = (lo + hi) // 2
                if cell_first[mid] < nb[0, 0]:
                    lo = mid + 1
                else:
                    hi = mid
            cell = np.int64(-1)
            if lo < len(cell_first):
                cell = cell_rowid[lo]
                for w in range(4):
                    if cell_words[lo, w] != nb[0, w]:
                        cell = -1
            # the score that counts
            manual, m_ok = number(data, offsets[c_manual], types[c_manual], fbits)
            auto, a_ok = number(data, offsets[c_auto], types[c_auto], fbits)
            extra, e_ok = number(data, offsets[c_ec], types[c_ec], fbits)
            if m_ok < 0 or a_ok < 0 or e_ok < 0:
                return n, kept, h, 7
            if e_ok == 0:
                extra = 0.0
            if m_ok == 1:
                code = score_code(manual + extra, True)
            elif a_ok == 1:
                code = score_code(auto + extra, False)
            else:
                code = np.int64(0)
            if n == 0:
                span[0] = rowid
            span[1] = rowid
            n += 1
            # kept or not, as _shares decides: a tagged item's counted score, or a pending answer
            if cell < 0 or cell >= len(item_of) or item_of[cell] < 0:
                continue
            hand = manual_of[cell]
            counted = code != 0 and ((code >> 19) == 1 or not hand)
            if not (counted or hand):
                continue
            value = np.nan
            if counted:
                value = ((code & CODE_MASK) - 1) / 1000.0 / top_of[cell]
                value = min(1.0, max(0.0, value))
            grp[kept] = h - 1
            item[kept] = item_of[cell]
            share[kept] = value
            kept += 1
    return n, kept, h, 0


def decode(table: Table, pages: np.ndarray, columns: dict, cells: tuple, tables: tuple) -> tuple:
    """One batch of leaf pages: (grp, heads, item, share, (first rowid, last rowid) or None).

    ``columns``: the positions of notebook_id, cell_id, auto_score, manual_score and extra_credit
    in the table; ``cells``: (sorted first words of the cells' ids, their whole ids as words,
    their rowids); ``tables``: the reader's lookup tables by cell rowid (item, points, hand-graded?).
    Raises Unsupported when a record is not as expected.
    """
    pages = np.ascontiguousarray(pages, dtype=np.int64)
    size = int(table.cell_counts(pages).sum())
    grp = np.empty(size, dtype=np.int64)
    item = np.empty(size, dtype=np.int32)
    share = np.empty(size, dtype=np.float64)
    heads = np.empty((size, 4), dtype=np.uint64)
    span = np.zeros(2, dtype=np.int64)
    ncol = len(table.columns)
    first, words, rowid = cells
    item_of, top_of, manual_of = tables
    n, kept, h, err = kernel(
        table.data, pages, np.int64(table.page_size), np.int64(table.usable), np.int64(ncol),
        columns["notebook_id"], columns["cell_id"], columns["auto_score"], columns["manual_score"],
        columns["extra_credit"], np.ascontiguousarray(first, dtype=np.uint64),
        np.ascontiguousarray(words, dtype=np.uint64), np.ascontiguousarray(rowid, dtype=np.int64),
        np.ascontiguousarray(item_of, dtype=np.int32), np.ascontiguousarray(top_of, dtype=np.float64),
        np.ascontiguousarray(manual_of, dtype=np.bool_), grp, item, share, heads, span,
        np.empty(ncol, dtype=np.int64), np.empty(ncol, dtype=np.int64))
    if err:
        raise Unsupported(_ERRORS.get(int(err), "an unexpected record"))
    if n != size:
        raise Unsupported("records that do not add up to the pages' counts")
    return grp[:kept], heads[:h].copy(), item[:kept], share[:kept], (int(span[0]), int(span[1])) if n else None


def columns_of(table: Table) -> dict:
    """Where the grade table's columns are; Unsupported when one is missing."""
    wanted = ("notebook_id", "cell_id", "auto_score", "manual_score", "extra_credit")
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise Unsupported(f"no column {missing[0]}")
    return {c: table.columns.index(c) for c in wanted}


@njit(cache=True, nogil=True)
def _share_code(v, keys, codes, fbits):
    """(slot, code) of share ``v`` in the open-addressing table ``keys``/``codes`` (code 0: an
    empty slot, where ``v`` would go). 0.0 and -0.0 are one share, as for a dict or pandas."""
    key = 0.0 if v == 0.0 else v
    fbits[1][0] = key
    h = fbits[0][0] * np.uint64(0x9E3779B97F4A7C15)
    mask = np.uint64(len(keys) - 1)
    slot = np.int64((h >> np.uint64(40)) & mask)
    while codes[slot] != 0:
        if keys[slot] == key:
            return slot, codes[slot]
        slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
    return slot, np.int64(0)


@njit(cache=True, nogil=True)
def fill_share_table(values, value_codes, keys, codes):
    """Put shares and their codes in an empty table for :func:`merge_slice`."""
    fbits_u = np.zeros(1, dtype=np.uint64)
    fbits = (fbits_u, fbits_u.view(np.float64))
    for k in range(len(values)):
        slot, c = _share_code(values[k], keys, codes, fbits)
        keys[slot] = 0.0 if values[k] == 0.0 else values[k]
        codes[slot] = value_codes[k]


@njit(cache=True, nogil=True)
def merge_slice(code2d, sub2d, sub_l, nat, g_sub, g_item, g_share, keys, codes, limit, start, offset,
                added, clashes, state):
    """The merge of a slice of grades into the people x items arrays, as ``_Store.add`` does it
    (``gradebook_read``), one grade after another: a grade of no submission is skipped, a pending
    one counted, one of someone not on the roster skipped; a first result is held, a result for a
    (person, item) already held is a clash, for the best-result rule to settle.

    Each share's code is its place in order of first appearance among the slices merged, from the
    table ``keys``/``codes``; a share not in it yet gets the next code and goes in ``added``. ``state``: pending, undated, clashes written (rows of learner, item, code,
    submission), codes given, shares added, where the loop stopped: it stops at the grade whose
    share would take a code past ``limit`` (the caller makes room and goes on from there), else
    at the slice's end."""
    fbits_u = np.zeros(1, dtype=np.uint64)
    fbits = (fbits_u, fbits_u.view(np.float64))
    for k in range(start, len(g_sub)):
        v = g_share[k]
        c = np.int64(0)
        if v == v:                                 # not NaN (pending)
            slot, c = _share_code(v, keys, codes, fbits)
            if c == 0:
                if state[3] >= limit:
                    state[5] = k
                    return
                state[3] += 1
                c = state[3]
                keys[slot] = 0.0 if v == 0.0 else v
                codes[slot] = c
                added[state[4]] = v
                state[4] += 1
        s = g_sub[k]
        if s < 0:
            continue
        if c == 0:
            state[0] += 1
            continue
        person = sub_l[s]
        if person < 0:
            continue
        if nat[s]:
            state[1] += 1
        it = g_item[k]
        if code2d[person, it] != 0:
            n = state[2]
            clashes[n, 0] = person
            clashes[n, 1] = it
            clashes[n, 2] = c
            clashes[n, 3] = s + offset
            state[2] += 1
        else:
            code2d[person, it] = c
            sub2d[person, it] = s + offset
    state[5] = len(g_sub)


@njit(cache=True, nogil=True)
def held_span(code2d, sub2d, sub_time):
    """(results held in the people x items arrays, the earliest and the latest of their
    submissions' times; both 0 when none is held)."""
    n = 0
    lo = np.int64(0)
    hi = np.int64(0)
    for p in range(code2d.shape[0]):
        for i in range(code2d.shape[1]):
            if code2d[p, i] != 0:
                t = sub_time[sub2d[p, i]]
                if n == 0 or t < lo:
                    lo = t
                if n == 0 or t > hi:
                    hi = t
                n += 1
    return n, lo, hi


_ready: list = []
_ready_lock = threading.Lock()


def ready() -> bool:
    """Are the compiled loops usable here? Loads (or, the first time, compiles and caches) them
    once per process; False where numba cannot (no folder to cache them in, say): the reader then
    uses SQL and numpy."""
    with _ready_lock:
        if not _ready:
            try:
                data = np.frombuffer(bytes(8), dtype=np.uint8)           # read-only, as the file's map is
                none64, none32 = np.empty(0, np.int64), np.empty(0, np.int32)
                kernel(data, none64, np.int64(4096), np.int64(4096), np.int64(1), 0, 0, 0, 0, 0,
                       np.empty(0, np.uint64), np.empty((0, 4), np.uint64), none64, none32, np.empty(0),
                       np.empty(0, np.bool_), none64, none32, np.empty(0), np.empty((0, 4), np.uint64),
                       np.zeros(2, np.int64), np.empty(1, np.int64), np.empty(1, np.int64))
                merge_slice(np.zeros((1, 1), np.uint16), np.zeros((1, 1), np.int32), none64, np.empty(0, np.bool_),
                            none64, none32, np.empty(0), np.zeros(2), np.zeros(2, np.int64), 1, 0, 0, np.empty(0),
                            np.empty((0, 4), np.int64), np.zeros(6, np.int64))
                fill_share_table(np.empty(0), none64, np.zeros(2), np.zeros(2, np.int64))
                held_span(np.zeros((1, 1), np.uint16), np.zeros((1, 1), np.int32), none64)
                _ready.append(True)
            except Exception:        # numba's errors are many kinds; any of them means: not here
                _ready.append(False)
        return _ready[0]
