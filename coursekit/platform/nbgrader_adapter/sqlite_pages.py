"""Where a table's records are in an SQLite file: its leaf pages, found without SQL.

Handing each of millions of rows from SQLite to Python, or even having SQLite's virtual machine
format them into one text, costs most of a microsecond a row: most of a large pledge report was
that. The file format is documented and stable (https://www.sqlite.org/fileformat2.html), so a
compiled loop (:mod:`.grade_pages`) can decode the records of a simply laid-out table itself,
page by page, in a few percent of that. This module finds the pages and checks the file.

Only what is certain is read this way; :class:`Unsupported` tells the caller to use SQL instead:
a database in rollback-journal mode (in WAL mode a separate file may hold newer pages), in
UTF-8, with a plain rowid table whose tree holds only interior and leaf table pages. The record
decoder refuses anything else it does not expect (see :mod:`.grade_pages`).

The file is read while a read transaction of SQLite's own (:func:`read_lock`) holds the
database's shared lock, so no writer can change it meanwhile (a writer waits, as it would for
any reader).
"""

from __future__ import annotations

import mmap
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

import numpy as np

INTERIOR, LEAF = 0x05, 0x0D


class Unsupported(Exception):
    """The file or the table is not laid out as this reader can read with certainty: use SQL."""


def _be(data: np.ndarray, offsets: np.ndarray, nbytes: int) -> np.ndarray:
    """Big-endian unsigned integers of ``nbytes`` bytes at each offset."""
    out = np.zeros(len(offsets), dtype=np.int64)
    for k in range(nbytes):
        out = (out << 8) | data[offsets + k]
    return out


class _File:
    """The database file's header facts, and its pages as numpy arrays."""

    def __init__(self, data: np.ndarray):
        self.data = data
        if len(data) < 100 or bytes(data[:16]) != b"SQLite format 3\x00":
            raise Unsupported("not an SQLite 3 file")
        size = int(data[16]) << 8 | int(data[17])
        self.page_size = 65536 if size == 1 else size
        if data[18] != 1 or data[19] != 1:
            raise Unsupported("not in rollback-journal mode (WAL)")
        if int(_be(data, np.array([56]), 4)[0]) not in (0, 1):
            raise Unsupported("text not in UTF-8")
        self.usable = self.page_size - int(data[20])
        self.pages = len(data) // self.page_size
        if self.page_size < 512 or self.usable < 480 or len(data) % self.page_size:
            raise Unsupported("an unexpected page size")

    def start(self, pages: np.ndarray) -> np.ndarray:
        """Where each page's B-tree header begins (page 1's follows the file header)."""
        pages = np.asarray(pages, dtype=np.int64)
        if len(pages) and (pages.min() < 1 or pages.max() > self.pages):
            raise Unsupported("a page number outside the file")
        return (pages - 1) * self.page_size + np.where(pages == 1, 100, 0)

    def cells(self, pages: np.ndarray, header: int) -> tuple[np.ndarray, np.ndarray]:
        """(each cell's offset in the file, its page's position in ``pages``), in tree order."""
        top = self.start(pages)
        base = (pages.astype(np.int64) - 1) * self.page_size
        count = _be(self.data, top + 3, 2)
        which = np.repeat(np.arange(len(pages)), count)
        first = np.repeat(np.cumsum(count) - count, count)
        k = np.arange(len(which)) - first
        pointer = _be(self.data, top[which] + header + 2 * k, 2)
        end_of_pointers = top + header + 2 * count
        if (pointer < (end_of_pointers - base)[which]).any() or (pointer >= self.usable).any():
            raise Unsupported("a cell pointer outside its page")
        return base[which] + pointer, which


def _leaves(f: _File, root: int) -> np.ndarray:
    """The table's leaf pages in rowid order, walking its interior pages level by level (without
    touching the leaves, so that they are mapped into memory only as they are decoded)."""
    level = np.array([root], dtype=np.int64)
    for _ in range(40):
        if f.data[f.start(level[:1])][0] == LEAF:
            return level          # a B-tree's leaves are all at one depth; the decoder checks each one's kind
        if not (f.data[f.start(level)] == INTERIOR).all():
            raise Unsupported("a page of the table's tree is neither an interior nor a leaf page")
        cell, which = f.cells(level, 12)
        child = _be(f.data, cell, 4)
        right = _be(f.data, f.start(level) + 8, 4)
        # children in order: each page's cells' children, then its right-most child
        order = np.argsort(np.concatenate([which * 2, np.arange(len(level)) * 2 + 1]), kind="stable")
        level = np.concatenate([child, right])[order]
    raise Unsupported("a table tree deeper than any real one")


def read_lock(path: Path) -> sqlite3.Connection:
    """A read-only connection in a read transaction: it holds the database's shared lock, so no
    writer changes the file, until it is closed."""
    con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, isolation_level=None,
                          check_same_thread=False)
    try:
        con.execute("BEGIN")
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()     # takes the shared lock
    except BaseException:
        con.close()
        raise
    return con


class Table:
    """One table of a database file opened under :func:`read_lock`: the file as a uint8 array
    (``data``, a read-only map of it), its page size and usable size, and its leaf pages in
    rowid order (``leaves``)."""

    def __init__(self, path: Path, con: sqlite3.Connection, table: str):
        row = con.execute("SELECT rootpage, sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                          (table,)).fetchone()
        if row is None or not row[0]:
            raise Unsupported(f"no table {table}")
        if "WITHOUT ROWID" in (row[1] or "").upper():
            raise Unsupported("a WITHOUT ROWID table")
        if con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            raise Unsupported("in WAL mode")
        self.columns = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                raise Unsupported("an empty file")
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        self.file = _File(np.frombuffer(self._map, dtype=np.uint8))
        self.data = self.file.data
        self.page_size, self.usable = self.file.page_size, self.file.usable
        self.leaves = _leaves(self.file, int(row[0]))

    def cell_counts(self, pages: np.ndarray) -> np.ndarray:
        """How many records each of these leaf pages holds."""
        return _be(self.data, self.file.start(pages) + 3, 2)

    def will_need(self, pages: np.ndarray) -> None:
        """Ask the system to start reading the span of these pages from disk now: a gradebook
        larger than memory is then read ahead, in large sequential reads, while earlier pages
        are decoded. (The span holds other pages too; asking page by page costs more.)"""
        if not len(pages) or not hasattr(mmap, "MADV_WILLNEED") or self.file is None:
            return
        first = (int(pages.min()) - 1) * self.page_size
        begin = first - first % mmap.PAGESIZE
        try:
            self._map.madvise(mmap.MADV_WILLNEED, begin, int(pages.max()) * self.page_size - begin)
        except (ValueError, OSError):
            pass

    def let_go(self, pages: np.ndarray) -> None:
        """Unmap the span of these pages from this process (they stay in the system's file cache):
        a mapped page counts toward the process's memory until then."""
        if not len(pages) or not hasattr(mmap, "MADV_DONTNEED") or self.file is None:
            return
        first = (int(pages.min()) - 1) * self.page_size
        end = int(pages.max()) * self.page_size
        start = first - first % mmap.PAGESIZE
        try:
            self._map.madvise(mmap.MADV_DONTNEED, start, end - start)
        except (ValueError, OSError):   # closed meanwhile (the read was abandoned): nothing to let go
            pass

    def close(self) -> None:
        self.file = self.data = None
        try:
            self._map.close()
        except BufferError:          # an array of it is still held somewhere: the map goes with it
            pass
