"""A target's attainment, one person after another, in a compiled loop (numba).

``pledge.target_progress`` sums evidence with numpy over blocks of people (``_block_progress``):
clear, but over a whole civil service most of a report's time. This loop computes the very same
numbers person by person: each person's evidence summed at each moment it arrives, in the same
order as numpy sums it (slot by slot, entry by entry, then moment after moment), the rule of
``evidence.attain`` applied at each moment, and the change in the count of people at the target
at each grid point. ``tests/test_pledge.py`` holds the two ways to the same results.
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _grid_position(g0, step, grid, when):
    """``pledge._grid_position`` for one time: the first grid point at or after it."""
    last = len(grid) - 1
    if last < 1:
        return 0
    if step > 0:                                      # an even grid: arithmetic
        pos = -((g0 - when) // step)
    else:
        lo, hi = 0, len(grid)
        while lo < hi:
            mid = (lo + hi) // 2
            if grid[mid] < when:
                lo = mid + 1
            else:
                hi = mid
        pos = lo
    return min(max(pos, 0), last)


@njit(cache=True, nogil=True)
def progress(pop, sel, share_code, share_values, sub, sub_time, m_start, m_col, m_gain, m_time,
             grid, step, slot_comp, slot_level, pts_of, C, L, need, threshold, min_items, ranks, delta):
    """For each person ``pop[b]`` (a roster row): their attained rank per target competency now
    (into ``ranks[b]``), and the change in the count at the target at each grid point (added to
    ``delta``). ``m_start``: where each person's later steps begin in ``m_col``/``m_gain``/``m_time``
    (``m_start[b]`` to ``m_start[b + 1]``)."""
    W = slot_comp.shape[1]
    J = len(sel)
    G = len(grid)
    g0 = grid[0] if G else 0
    cap = J + int(m_start[-1] - m_start[0]) + 1
    e_col = np.empty(cap, dtype=np.int64)
    e_gain = np.empty(cap, dtype=np.float64)
    e_first = np.empty(cap, dtype=np.bool_)
    e_pos = np.empty(cap, dtype=np.int64)
    e_moment = np.empty(cap, dtype=np.int64)
    points_at = np.empty(G + 1, dtype=np.int64)        # each grid point's moment number, per person
    moment_point = np.empty(G + 1, dtype=np.int64)     # each moment's grid point
    tot = np.zeros((3, G + 1, C * L))                  # per moment: points, points available, items
    part = np.zeros((3, G + 1, C * L))                 # one slot's sums, as one bincount makes them
    run = np.zeros((3, L))
    for b in range(len(pop)):
        r = pop[b]
        n = 0
        for j in range(J):                             # first results, in item order
            c = share_code[r, sel[j]]
            if c != 0:
                e_col[n] = j
                e_gain[n] = share_values[c - 1]
                e_first[n] = True
                e_pos[n] = _grid_position(g0, step, grid, sub_time[sub[r, sel[j]]])
                n += 1
        for k in range(m_start[b], m_start[b + 1]):    # then later improvements, in their order
            e_col[n] = m_col[k]
            e_gain[n] = m_gain[k]
            e_first[n] = False
            e_pos[n] = _grid_position(g0, step, grid, m_time[k])
            n += 1
        if n == 0:
            for c in range(C):
                ranks[b, c] = 0
            continue
        # moments: the distinct grid points of this person's evidence, in order
        for g in range(G + 1):
            points_at[g] = -1
        for e in range(n):
            points_at[e_pos[e]] = 0
        K = 0
        for g in range(G + 1):
            if points_at[g] == 0:
                points_at[g] = K
                moment_point[K] = g
                K += 1
        for e in range(n):
            e_moment[e] = points_at[e_pos[e]]
        tot[:, :K, :] = 0.0
        for w in range(W):                             # slot by slot, entries in order, as numpy sums them
            part[:, :K, :] = 0.0
            for e in range(n):
                comp = slot_comp[e_col[e], w]
                if comp < 0:
                    continue
                cell = comp * L + slot_level[e_col[e], w]
                pts = pts_of[e_col[e]]
                part[0, e_moment[e], cell] += e_gain[e] * pts
                part[1, e_moment[e], cell] += pts if e_first[e] else 0.0
                part[2, e_moment[e], cell] += 1.0 if e_first[e] else 0.0
            tot[:, :K, :] += part[:, :K, :]
        for m in range(1, K):                          # what was known at each moment
            tot[:, m, :] += tot[:, m - 1, :]
        before = False
        for m in range(K):
            at = True
            for c in range(C):
                best = 0
                for q in range(3):
                    acc = 0.0
                    for lv in range(L):                # evidence.attain: running totals over levels
                        acc = tot[q, m, c * L + lv] + acc if lv else tot[q, m, c * L + lv]
                        run[q, lv] = acc
                for lv in range(L):
                    items_here = tot[2, m, c * L + lv]
                    p, o, cnt = run[0, lv], run[1, lv], run[2, lv]
                    if items_here >= 1 and cnt >= min_items and o > 0 and p >= threshold * o - 1e-9:
                        best = lv + 1
                if m == K - 1:
                    ranks[b, c] = best
                if best < need:
                    at = False
            if at != before:                           # the count changes at this moment's grid point
                delta[moment_point[m]] += 1 if at else -1
                before = at


_ready: list = []
_ready_lock = threading.Lock()


def ready() -> bool:
    """Is the compiled loop usable here (see ``grade_pages.ready``)?"""
    with _ready_lock:
        if not _ready:
            try:
                i64 = np.zeros(1, np.int64)
                progress(np.empty(0, np.int64), np.empty(0, np.int64), np.zeros((1, 1), np.uint16), np.zeros(1),
                         np.zeros((1, 1), np.int32), i64, np.zeros(1, np.int64), np.empty(0, np.int64), np.empty(0),
                         np.empty(0, np.int64), np.zeros(2, np.int64), np.int64(1), np.zeros((0, 1), np.int64),
                         np.zeros((0, 1), np.int64), np.empty(0), 1, 1, 1, 0.8, 2, np.zeros((0, 1), np.int64),
                         np.zeros(3, np.int64))
                _ready.append(True)
            except Exception:        # numba's errors are many kinds; any of them means: not here
                _ready.append(False)
        return _ready[0]
