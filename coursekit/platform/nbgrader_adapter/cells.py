"""What nbgrader's cell metadata means, and the region markers a course uses.

A cell's role comes from its ``metadata.nbgrader``:

============================  =====================================================
answer                        a code cell with ``solution`` and no ``grade``
autograded test               a code cell with ``grade`` and no ``solution``
written (graded by hand)      a graded markdown cell, or a graded solution cell
graded                        any cell with ``grade`` or ``task``
============================  =====================================================

The markers (``### BEGIN SOLUTION`` ...) are nbgrader settings; :func:`markers` reads them from
the course's configuration, so a course that changes them keeps every leak check working.
"""

from __future__ import annotations

from dataclasses import dataclass

from traitlets.config import Config


def meta(cell) -> dict:
    """A cell's nbgrader metadata (empty when it has none)."""
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def grade_id(cell) -> str | None:
    return meta(cell).get("grade_id")


def is_graded(cell) -> bool:
    m = meta(cell)
    return bool(m.get("grade") or m.get("task"))


def is_answer(cell) -> bool:
    m = meta(cell)
    return cell.get("cell_type") == "code" and bool(m.get("solution")) and not m.get("grade")


def is_autograded_test(cell) -> bool:
    m = meta(cell)
    return cell.get("cell_type") == "code" and bool(m.get("grade")) and not m.get("solution")


def is_written(cell) -> bool:
    """Graded by hand: a graded markdown cell, or a graded cell that is also a solution cell."""
    m = meta(cell)
    return bool(m.get("grade") or m.get("task")) and (cell.get("cell_type") == "markdown" or bool(m.get("solution")))


def graded_cells(nb) -> list:
    return [c for c in nb["cells"] if is_graded(c)]


def source_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


@dataclass(frozen=True)
class Markers:
    """The region markers of a course: each a (begin, end) pair of strings nbgrader looks for."""

    solution: tuple[str, str] = ("BEGIN SOLUTION", "END SOLUTION")
    hidden_tests: tuple[str, str] = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    mark_scheme: tuple[str, str] = ("BEGIN MARK SCHEME", "END MARK SCHEME")

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.solution, *self.hidden_tests, *self.mark_scheme)

    @property
    def secret(self) -> tuple[tuple[str, str], ...]:
        """Regions a release must not show."""
        return (self.solution, self.hidden_tests, self.mark_scheme)


def markers(cfg: Config | None = None) -> Markers:
    """The markers configured for nbgrader's preprocessors (its defaults where not set)."""
    if cfg is None:
        from coursekit.platform.nbgrader_adapter.config import load_config

        cfg = load_config()
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
    from nbgrader.preprocessors.clearmarkingscheme import ClearMarkScheme

    cs, ch, cm = ClearSolutions(config=cfg), ClearHiddenTests(config=cfg), ClearMarkScheme(config=cfg)
    return Markers(
        solution=(cs.begin_solution_delimeter, cs.end_solution_delimeter),
        hidden_tests=(ch.begin_test_delimeter, ch.end_test_delimeter),
        mark_scheme=(cm.begin_mark_scheme_delimeter, cm.end_mark_scheme_delimeter),
    )


def region_lines(nb, regions: tuple[tuple[str, str], ...], *, keep=lambda line: True) -> tuple[set[str], set[str]]:
    """(lines inside any of ``regions``, lines outside them), stripped, over every cell.

    A line holding a marker belongs to neither. ``keep`` filters the lines worth comparing.
    """
    inside, outside = set(), set()
    for cell in nb["cells"]:
        current = None
        for line in source_text(cell).splitlines():
            begin = next((r for r in regions if r[0] in line), None)
            if begin is not None:
                current = begin
                continue
            if current is not None and current[1] in line:
                current = None
                continue
            s = " ".join(line.split())
            if s and keep(s):
                (inside if current is not None else outside).add(s)
    return inside, outside


def secret_lines(nb, regions: tuple[tuple[str, str], ...], *, keep=lambda line: True) -> set[str]:
    """Lines inside ``regions`` that appear nowhere outside them (so their presence is a leak)."""
    inside, outside = region_lines(nb, regions, keep=keep)
    return inside - outside


def autograde_score(cell) -> tuple[float | None, float]:
    """(score, max) nbgrader's autograder gives a test cell with these outputs (an error or a
    stderr stream scores 0, a number as the result is partial credit, anything else full marks)."""
    import nbformat
    from nbgrader.utils import determine_grade

    return determine_grade(nbformat.from_dict(cell))


def autograde_score_loaded() -> None:
    """Import what :func:`autograde_score` needs (nbgrader loads its server extensions: seconds)."""
    import nbgrader.utils  # noqa: F401
