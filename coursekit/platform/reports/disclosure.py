"""Disclosure control for the pledge report: which published counts to hide so that no small group
can be seen or worked out.

The report publishes, for every target, counts of staff and of staff who reached it, for the whole
target, each department, each job profile, each department and profile, and each competency. These
tables share margins: the same staff are counted in every target whose profiles they hold, and a
department's total is the sum of its profiles. A count hidden in one place can be recovered by
subtraction from counts shown elsewhere, so hiding each small group on its own is not enough.

This module does what statistical offices do for linked frequency tables (the primary and
secondary cell suppression of tau-ARGUS and sdcTable):

1. **Primary suppression.** A group is sensitive when its staff, the staff in it who reached the
   target, or those who did not, number 1 to ``min_group - 1``. Its counts are hidden. (Zero is
   not sensitive: it says nothing about a person.)
2. **Complementary suppression, audited by linear programming.** Everything an outsider knows is
   written as linear equations (each shown count is the sum of the counts of the cells it covers)
   and inequalities (nobody reaches a target without its competencies; a target that asks more
   is reached by no more people than one that asks less; no count is negative). For each hidden
   sensitive count, two linear programs find the smallest and largest value it can take. If only
   one whole number fits, the count can be worked out, and another shown group is hidden: one of
   those the programs' dual values show the bound rests on, the one with the fewest staff. This
   repeats until no sensitive count can be pinned. Hiding more only removes equations, so a count
   once protected stays protected.

:func:`pinned` is the check an auditor runs, and the tests run it from the CSV alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Costs of hiding: a group's staff; the whole target and its competency rows are hidden last.
WHOLE_TARGET_COST = 1e9


@dataclass
class Group:
    """One published row: a target's group and the base cells (department, profile) it covers."""

    target: int
    kind: str                       # all, competency, department, profile, department_profile
    department: str
    profile: str
    competency: str
    cells: np.ndarray               # indices of base cells
    staff: int
    reached: int
    hidden: bool = False
    primary: bool = False

    @property
    def cost(self) -> float:
        return WHOLE_TARGET_COST + self.staff if self.kind in ("all", "competency") else float(self.staff)


@dataclass
class TargetFacts:
    """What protection needs of one target: who is in it and what it asks."""

    profiles: tuple[str, ...]
    needs: tuple[tuple[str, int], ...]     # (competency, level rank) for every competency it names
    members: pd.DataFrame                  # department, profile of each member of staff
    reached: np.ndarray                    # (members,) bool
    comp_reached: np.ndarray               # (members, competencies) bool, in the order of ``needs``


@dataclass
class Protection:
    """The groups of every target, with what is hidden; and the figures needed to audit them."""

    groups: list[Group]
    cells: pd.DataFrame                    # department, profile, staff of every base cell

    def of_target(self, t: int) -> list[Group]:
        return [g for g in self.groups if g.target == t]


def sensitive(value: int, min_group: int) -> bool:
    return 0 < value < min_group


# ---------------------------------------------------------------------------------------------
# The groups

def _groups(targets: list[TargetFacts], cell_index: pd.MultiIndex) -> list[Group]:
    out = []
    for t, tf in enumerate(targets):
        m = tf.members
        cell_of = cell_index.get_indexer(pd.MultiIndex.from_arrays([m["department"].astype(str),
                                                                    m["profile"].astype(str)]))
        cells = np.unique(cell_of)
        n, k = len(m), int(tf.reached.sum())
        out.append(Group(t, "all", "", "", "", cells, n, k))
        for j, (comp, _) in enumerate(tf.needs):
            out.append(Group(t, "competency", "", "", comp, cells, n, int(tf.comp_reached[:, j].sum()) if n else 0))
        dept = m["department"].astype(str).to_numpy()
        prof = m["profile"].astype(str).to_numpy()
        for d in sorted(set(dept)):
            sel = dept == d
            out.append(Group(t, "department", d, "", "", np.unique(cell_of[sel]), int(sel.sum()),
                             int(tf.reached[sel].sum())))
        if len(tf.profiles) > 1:
            for p in tf.profiles:
                sel = prof == p
                if sel.any():
                    out.append(Group(t, "profile", "", p, "", np.unique(cell_of[sel]), int(sel.sum()),
                                     int(tf.reached[sel].sum())))
        for c in cells:
            sel = cell_of == c
            d, p = dept[sel][0], prof[sel][0]
            out.append(Group(t, "department_profile", d, p, "", np.array([c]), int(sel.sum()),
                             int(tf.reached[sel].sum())))
    return out


# ---------------------------------------------------------------------------------------------
# The linear system an outsider can write down

class _System:
    """Variables: staff per base cell; per target, reached per cell; per (competency, level),
    staff at that level per cell. Published groups are equations; what is always true is
    inequalities."""

    def __init__(self, targets: list[TargetFacts], n_cells: int, target_cells: list[np.ndarray]):
        self.n_cells = n_cells
        nxt = n_cells
        self.r = []                                   # per target: cell -> variable
        for cells in target_cells:
            idx = np.full(n_cells, -1, dtype=np.int64)
            idx[cells] = np.arange(nxt, nxt + len(cells))
            nxt += len(cells)
            self.r.append(idx)
        self.c = {}                                   # (competency, level) -> cell -> variable
        for t, tf in enumerate(targets):
            for need in tf.needs:
                idx = self.c.setdefault(need, np.full(n_cells, -1, dtype=np.int64))
                fresh = target_cells[t][idx[target_cells[t]] < 0]
                idx[fresh] = np.arange(nxt, nxt + len(fresh))
                nxt += len(fresh)
        self.n = nxt
        self.A_ub, self.b_ub = self._always_true(targets)

    def _always_true(self, targets):
        rows, cols, vals = [], [], []
        k = 0

        def le(pairs):            # sum(coef * var) <= 0
            nonlocal k
            for var, coef in pairs:
                rows.append(k)
                cols.append(var)
                vals.append(coef)
            k += 1

        for t, tf in enumerate(targets):
            for cell in np.flatnonzero(self.r[t] >= 0):
                r = self.r[t][cell]
                le([(r, 1), (cell, -1)])                                  # reached <= staff
                cs = [self.c[need][cell] for need in tf.needs]
                for cv in cs:
                    le([(r, 1), (cv, -1)])                                # reached <= each competency
                if len(cs) > 1:                                           # reached >= sum(c) - (K-1) staff
                    le([(cv, 1) for cv in cs] + [(cell, -(len(cs) - 1)), (r, -1)])
        for (comp, level), idx in self.c.items():
            for cell in np.flatnonzero(idx >= 0):
                le([(idx[cell], 1), (cell, -1)])                          # at a level <= staff
                lower = [(lv, self.c[(comp, lv)][cell]) for (c2, lv) in self.c if c2 == comp and lv < level]
                for _, v in lower:
                    if v >= 0:
                        le([(idx[cell], 1), (v, -1)])                     # a higher level implies a lower one
        for a, ta in enumerate(targets):
            for b, tb in enumerate(targets):
                if a != b and _asks_more(tb, ta):
                    both = np.flatnonzero((self.r[a] >= 0) & (self.r[b] >= 0))
                    for cell in both:
                        le([(self.r[b][cell], 1), (self.r[a][cell], -1)])   # reaching b implies reaching a
        return _Rows.of(rows, cols, vals, k), np.zeros(k)

    def row(self, g: Group, what: str, targets: list[TargetFacts]) -> dict:
        """The linear form of a group's count: ``what`` is staff or reached."""
        if what == "staff":
            return {int(c): 1.0 for c in g.cells}
        if g.kind == "competency":
            need = targets[g.target].needs[[c for c, _ in targets[g.target].needs].index(g.competency)]
            return {int(self.c[need][c]): 1.0 for c in g.cells}
        return {int(self.r[g.target][c]): 1.0 for c in g.cells}


@dataclass
class _Rows:
    """Linear rows in compressed sparse row form, as HiGHS takes them: each row's entries by
    column, entries of the same row and column summed (what scipy's csr_matrix gives)."""

    count: int
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    @classmethod
    def of(cls, rows, cols, vals, count: int) -> "_Rows":
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        width = int(cols.max()) + 1 if len(cols) else 1
        keys, where = np.unique(rows * width + cols, return_inverse=True)
        data = np.bincount(where.ravel(), weights=np.asarray(vals, dtype=np.float64), minlength=len(keys))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(keys // width, minlength=count))])
        return cls(count, indptr, keys % width, data)


def _asks_more(b: TargetFacts, a: TargetFacts) -> bool:
    """Whoever reaches b reaches a: b names every competency a names, at a level at least as high."""
    nb = dict(b.needs)
    return all(comp in nb and nb[comp] >= lv for comp, lv in a.needs)


# ---------------------------------------------------------------------------------------------
# Auditing

class Audit:
    """One linear program over everything known, kept between questions (HiGHS, warm-started).

    Every group's published counts are rows ``form = value``; hiding a group frees its rows. The
    objective is the count asked about, minimised and then maximised.
    """

    def __init__(self, system: _System, groups: list[Group], targets: list[TargetFacts]):
        import highspy

        self._highspy = highspy
        h = self.h = _highs(highspy)
        # Each question changes only the objective or frees a row: without presolve the simplex
        # method starts from the last basis, a few pivots away.
        h.setOptionValue("presolve", "off")
        h.setOptionValue("solver", "simplex")
        inf = highspy.kHighsInf
        h.addVars(system.n, np.zeros(system.n), np.full(system.n, inf))
        A = system.A_ub
        if A.count:
            h.addRows(A.count, np.full(A.count, -inf), system.b_ub, len(A.data), A.indptr[:-1].astype(np.int32),
                      A.indices.astype(np.int32), A.data.astype(np.float64))
        self.first_eq = A.count
        self.rows_of: list[list[int]] = []         # group -> its equation rows
        self.value_of: list[float] = []
        for g in groups:
            mine = []
            whats = ("reached",) if g.kind == "competency" else ("staff", "reached")  # a competency's staff is the total's
            for what in whats:
                form = system.row(g, what, targets)
                value = float(g.staff if what == "staff" else g.reached)
                idx = np.fromiter(form, dtype=np.int32)
                h.addRow(value, value, len(idx), idx, np.ones(len(idx)))
                mine.append(h.getNumRow() - 1)
                self.value_of.append(value)
            self.rows_of.append(mine)
        self.owner = np.concatenate([np.full(len(r), gi) for gi, r in enumerate(self.rows_of)]) \
            if self.rows_of else np.empty(0, np.int64)
        self._cost_vars: list[int] = []
        for gi, g in enumerate(groups):
            if g.hidden:
                self.hide(gi)

    def hide(self, gi: int) -> None:
        inf = self._highspy.kHighsInf
        for r in self.rows_of[gi]:
            self.h.changeRowBounds(r, -inf, inf)

    def bounds(self, form: dict) -> tuple[float, float, set]:
        """Smallest and largest value of ``form`` under everything published, and the groups (their
        indices) the bounds rest on (non-zero dual values of their rows)."""
        h, hs = self.h, self._highspy
        if self._cost_vars:
            h.changeColsCost(len(self._cost_vars), np.asarray(self._cost_vars, np.int32), np.zeros(len(self._cost_vars)))
        idx = np.fromiter(form, dtype=np.int32)
        h.changeColsCost(len(idx), idx, np.fromiter(form.values(), dtype=np.float64))
        self._cost_vars = idx.tolist()
        out, binding = [], set()
        for sense in (hs.ObjSense.kMinimize, hs.ObjSense.kMaximize):
            h.changeObjectiveSense(sense)
            h.run()
            status = h.getModelStatus()
            if status == hs.HighsModelStatus.kUnbounded:
                out.append(np.inf)
                continue
            if status != hs.HighsModelStatus.kOptimal:
                raise RuntimeError(f"the disclosure audit could not solve its linear program ({h.modelStatusToString(status)})")
            out.append(h.getInfo().objective_function_value)
            duals = np.asarray(h.getSolution().row_dual)[self.first_eq:]
            binding.update(int(self.owner[i]) for i in np.flatnonzero(np.abs(duals) > 1e-9))
        return out[0], out[1], binding


def _highs(highspy):
    """A silent HiGHS instance (the first one prints a banner on standard output unless told not to)."""
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def pinned(lo: float, hi: float) -> bool:
    """Only one whole number lies between ``lo`` and ``hi``: the count can be worked out."""
    return np.isfinite(hi) and np.floor(hi + 1e-6) <= np.ceil(lo - 1e-6)


def _sensitive_forms(g: Group, system: _System, targets, min_group: int):
    """The counts of a hidden group that must not be worked out: (linear form, true value)."""
    staff = system.row(g, "staff", targets)
    reached = system.row(g, "reached", targets)
    forms = []
    if sensitive(g.staff, min_group) and g.kind != "competency":
        forms.append(staff)
    if sensitive(g.reached, min_group):
        forms.append(reached)
    if sensitive(g.staff - g.reached, min_group):
        diff = dict(staff)
        for var, coef in reached.items():
            diff[var] = diff.get(var, 0.0) - coef
        forms.append(diff)
    return forms


# ---------------------------------------------------------------------------------------------
# Protection

def protect(targets: list[TargetFacts], min_group: int) -> Protection:
    """Decide which groups of every target to hide (``Group.hidden``), across all targets at once."""
    members = pd.concat([tf.members[["department", "profile"]] for tf in targets], ignore_index=True) \
        if targets else pd.DataFrame(columns=["department", "profile"])
    cells = members.drop_duplicates().sort_values(["department", "profile"]).reset_index(drop=True)
    cell_index = pd.MultiIndex.from_frame(cells.astype(str))
    groups = _groups(targets, cell_index)
    for g in groups:
        g.primary = g.hidden = (sensitive(g.staff, min_group) or sensitive(g.reached, min_group)
                                or sensitive(g.staff - g.reached, min_group))
    target_cells = [next(g for g in groups if g.target == t and g.kind == "all").cells for t in range(len(targets))]
    system = _System(targets, len(cells), target_cells)
    audit = Audit(system, groups, targets)
    for g in groups:
        if not g.primary:
            continue
        for form in _sensitive_forms(g, system, targets, min_group):
            while True:
                lo, hi, binding = audit.bounds(form)
                if not pinned(lo, hi):
                    break
                audit.hide(_hide_one(groups, g, binding))
    # a competency row repeats its target's staff: it is shown only with the target's total
    hidden_total = {g.target for g in groups if g.kind == "all" and g.hidden}
    for g in groups:
        if g.kind == "competency" and g.target in hidden_total:
            g.hidden = True
    staff = np.zeros(len(cells), dtype=np.int64)
    for g in groups:
        if g.kind == "department_profile":
            staff[g.cells[0]] = g.staff
    return Protection(groups, cells.assign(staff=staff))


def _hide_one(groups: list[Group], pinned_group: Group, binding: set) -> int:
    """Hide the cheapest shown group the bound rests on (or, failing that, that shares a cell)."""
    shown = [i for i in binding if not groups[i].hidden]
    if not shown:
        cells = set(pinned_group.cells.tolist())
        shown = [i for i, g in enumerate(groups) if not g.hidden and cells & set(g.cells.tolist())]
    if not shown:
        raise RuntimeError("the disclosure audit found a count it cannot protect")
    best = min(shown, key=lambda i: (groups[i].cost, groups[i].target != pinned_group.target, i))
    groups[best].hidden = True
    return best
