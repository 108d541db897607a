"""Build graded variants of an exercise: the solution with one answer removed or made wrong."""

from __future__ import annotations

import copy
import re

from coursekit.platform import notebooks

_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION.*?### END SOLUTION[^\n]*", re.S | re.M)
STUB = "raise NotImplementedError()"


def answer_cells(nb) -> list:
    """Code cells a learner answers in (nbgrader solution cells that are not graded by hand)."""
    return [c for c in nb.cells if c.cell_type == "code" and notebooks.nbgrader_meta(c).get("solution")
            and not notebooks.nbgrader_meta(c).get("grade")]


def replace_answer(nb, grade_id: str, code: str):
    """A copy of ``nb`` whose answer cell ``grade_id`` has ``code`` in place of its solution."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if notebooks.nbgrader_meta(cell).get("grade_id") == grade_id:
            src = notebooks.source_text(cell)
            if not _REGION.search(src):
                raise AssertionError(f"answer cell {grade_id} has no solution region")
            cell.source = _REGION.sub(lambda _: code.rstrip("\n"), src, count=1)
            return nb
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def tests_after(nb) -> dict:
    """answer grade_id -> grade_ids of the test cells that follow it (up to the next answer)."""
    out, current = {}, None
    for cell in nb.cells:
        meta = notebooks.nbgrader_meta(cell)
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            current = meta["grade_id"]
            out[current] = []
        elif current and cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            out[current].append(meta["grade_id"])
    return out
