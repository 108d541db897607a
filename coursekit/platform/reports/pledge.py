"""Progress against a ministry's competency pledge, from gradebooks and a staff roster.

A pledge (YAML) says who must reach what by when::

    ministry: Ministry of Social Affairs
    title: Responsible AI skills for staff who decide on benefits     # optional
    target_date: 2027-12-31
    start_date: 2025-01-01          # optional: where the trajectory chart starts
    targets:
      - name: Caseworkers can oversee AI outputs                       # optional
        profiles: [caseworker]
        competencies: [human_oversight, fairness_testing]
        level: working
        share: 0.70                 # or "70%"

(One target may also be written at the top level, without ``targets:``.) A member of staff
*reaches* a target when their attained level (``coursekit.platform.evidence.attain``) is at least the
target's level in every competency the target names. The share is of everyone on the roster in
the target's profiles, whether or not they have started.

``build`` computes the report and writes nothing; ``coursekit.platform.reports.pledge_page`` turns a
report into its page and CSV and writes them.

The report never names a learner: it shows groups only. No count of fewer than ``min_group``
people (5 by default, never below 3), nor of those in a group who did or did not reach a target,
is shown or can be worked out from what is shown, across all targets, tables, figures and the
CSV together (``coursekit.platform.reports.disclosure``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from coursekit.platform import compiled, competencies
from coursekit.platform import evidence
from coursekit.platform import roster as staff_roster
from coursekit.platform.reports import disclosure
from coursekit.platform.reports import self_assessed as self_assessed_mod
from coursekit.platform.nbgrader_adapter import gradebook_read
from coursekit.errors import UsageError

MIN_GROUP = 5
MIN_GROUP_FLOOR = 3
MAX_POINTS = 60          # points on the trajectory


def phase(name: str, _clock=[None]) -> None:
    """With COURSEKIT_TIMING set, print how long each step of the report took (stderr)."""
    if not os.environ.get("COURSEKIT_TIMING"):
        return
    import sys
    import time

    now = time.perf_counter()
    if _clock[0] is not None:
        print(f"  {name}: {now - _clock[0]:.2f} s", file=sys.stderr)
    _clock[0] = now


# ---------------------------------------------------------------------------------------------
# The pledge

@dataclass(frozen=True)
class Target:
    name: str
    profiles: tuple[str, ...]
    competencies: tuple[str, ...]
    level: str
    share: float


@dataclass(frozen=True)
class Pledge:
    path: Path
    ministry: str
    title: str
    target_date: date
    start_date: date | None
    targets: tuple[Target, ...]

    @property
    def competencies(self) -> list[str]:
        return list(dict.fromkeys(c for t in self.targets for c in t.competencies))


def _as_date(value, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise UsageError(f"{where}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-12-31")


def _as_share(value, where: str) -> float:
    text = str(value).strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise UsageError(f"{where}: {value!r} is not a share; write 0.7 or \"70%\"")
    if not 0 < share <= 1:
        raise UsageError(f"{where}: {value!r} must be above 0 and at most 1 (or 100%)")
    return share


def _id_list(value, where: str, known: list[str], what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise UsageError(f"{where}: give a list of {what} ids, e.g. [{known[0]}]")
    out = []
    for v in value:
        if str(v) not in known:
            raise UsageError(f"{where}: unknown {what} {v!r}; use one of: {', '.join(known)}")
        out.append(str(v))
    return tuple(dict.fromkeys(out))


#: A pledge is due within this many years (a later date is a typing mistake, and breaks the charts).
MAX_YEARS_AHEAD = 50


class _DatesAsText(yaml.SafeLoader):
    """YAML's safe loader, but dates stay text: ``_as_date`` then explains a date such as
    2027-02-30, which the plain loader rejects from deep inside the parser."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_pledge(path: str | Path) -> Pledge:
    """Read and check a pledge file; one UsageError naming the file and field for any problem."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such pledge file" + (" (it is a folder)" if path.is_dir() else ""))
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText)
    except UnicodeDecodeError:
        raise UsageError(f"{path}: is not UTF-8 text; save the pledge as a UTF-8 YAML file")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UsageError(f"{path}: is not valid YAML{where}; check the indentation and quotes")
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected fields such as ministry, target_date and targets")
    fw = competencies.framework()
    known_profiles = list(competencies.profiles())
    for key in ("ministry", "target_date"):
        if not str(data.get(key) or "").strip():
            raise UsageError(f"{path}: field {key}: missing; the pledge must say "
                             + ("which ministry makes it" if key == "ministry" else "by when (YYYY-MM-DD)"))
    raw_targets = data.get("targets")
    if raw_targets is None:
        raw_targets = [{k: data[k] for k in ("name", "profiles", "competencies", "level", "share") if k in data}]
        prefix = ""
    elif not isinstance(raw_targets, list) or not raw_targets:
        raise UsageError(f"{path}: field targets: give a list with at least one target")
    else:
        prefix = "targets[{}]."
    targets = []
    for i, t in enumerate(raw_targets, start=1):
        p = prefix.format(i)
        if not isinstance(t, dict):
            raise UsageError(f"{path}: field {p.rstrip('.') or 'targets'}: expected profiles, competencies, level and share")
        for key in ("profiles", "competencies", "level", "share"):
            if key not in t:
                raise UsageError(f"{path}: field {p}{key}: missing")
        profs = _id_list(t["profiles"], f"{path}: field {p}profiles", known_profiles, "profile")
        comps = _id_list(t["competencies"], f"{path}: field {p}competencies", fw.ids, "competency")
        level = str(t["level"])
        if level not in fw.levels:
            raise UsageError(f"{path}: field {p}level: unknown level {level!r}; use one of: {', '.join(fw.levels)}")
        share = _as_share(t["share"], f"{path}: field {p}share")
        name = str(t.get("name") or "").strip() or _default_name(profs, comps, level)
        targets.append(Target(name, profs, comps, level, share))
    target_date = _as_date(data["target_date"], f"{path}: field target_date")
    if target_date > date.today() + timedelta(days=365 * MAX_YEARS_AHEAD):
        raise UsageError(f"{path}: field target_date: {target_date} is more than {MAX_YEARS_AHEAD} years away; "
                         "give the date the pledge is really due")
    start = _as_date(data["start_date"], f"{path}: field start_date") if data.get("start_date") else None
    if start is not None and start >= target_date:
        raise UsageError(f"{path}: field start_date: must be before the target date {target_date}")
    return Pledge(path, str(data["ministry"]).strip(), str(data.get("title") or "").strip(), target_date, start,
                  tuple(targets))


def _default_name(profs, comps, level) -> str:
    names = competencies.profiles()
    fw = competencies.framework()
    who = ", ".join(names[p].name for p in profs)
    return f"{who}: {fw.level_name(level)} level in {', '.join(competencies.in_sentence(fw.get(c).name) for c in comps)}"


# ---------------------------------------------------------------------------------------------
# The roster

def load_roster(path: str | Path) -> pd.DataFrame:
    """The staff roster's learner_id, department and profile (:mod:`coursekit.platform.roster`'s
    rules); names and email addresses are read only to check that no column holds them."""
    return staff_roster.read(path)


# ---------------------------------------------------------------------------------------------
# Attainment over time for one target

@dataclass
class TargetResult:
    target: Target
    staff: int
    reached: np.ndarray             # (staff in the target's profiles,) bool, today
    comp_reached: np.ndarray        # (staff, competencies) bool, today
    ranks: np.ndarray               # (staff, competencies) attained level rank today (0 = none)
    grid: np.ndarray                # datetime64[ns] points of the trajectory
    series: np.ndarray              # share reached at each point
    members: pd.DataFrame           # department and profile of each member (no ids)
    uncovered: list = field(default_factory=list)   # competencies no graded item evidences


def _grid(start: np.datetime64, end: np.datetime64) -> np.ndarray:
    start = min(start, end - np.timedelta64(1, "D"))
    span = (end - start).astype("timedelta64[ns]").astype(np.int64)
    k = int(min(MAX_POINTS, max(2, span // (86400 * 10**9))))
    steps = np.linspace(0, span, k + 1).astype(np.int64)
    return (start.astype("datetime64[ns]") + steps.astype("timedelta64[ns]")).astype("datetime64[ns]")


def _grid_position(grid: np.ndarray, when: np.ndarray) -> np.ndarray:
    """For each time (int64 ns), the first grid point at or after it (the last one at most)."""
    g = grid.astype(np.int64)
    if len(g) < 2:
        return np.zeros(len(when), dtype=np.int64)
    steps = np.diff(g)
    if (steps == steps[0]).all():                          # an even grid: arithmetic, no search
        pos = -((g[0] - when) // steps[0])                 # ceil((when - start) / step)
        return np.clip(pos, 0, len(g) - 1)
    return np.minimum(np.searchsorted(g, when, side="left"), len(g) - 1)


#: People whose evidence is summed at once: bounds the memory of the per-person arrays.
BLOCK_CELLS = 4_000_000
#: From this many people in a target, two threads run that loop, each for half of them.
PARALLEL_PEOPLE = 20_000
#: From this many (person, item) cells, a compiled loop sums each person's evidence
#: (``attainment_loop``, the same sums; see coursekit.platform.compiled).
COMPILED_CELLS = 2_000_000


def _attainment_loop_ready() -> bool:
    try:
        from coursekit.platform.reports import attainment_loop
    except ImportError:
        return False
    return attainment_loop.ready()


def target_progress(target: Target, roster: pd.DataFrame, merged: gradebook_read.Merged, grid: np.ndarray,
                    threshold: float = evidence.THRESHOLD, min_items: int = evidence.MIN_ITEMS) -> TargetResult:
    """Who in the target's profiles has reached it now, and the share that had at each grid point.

    Each person's evidence is summed at each grid point where some of it arrives (a person has a
    few such moments: one per module taken, in a single cohort), the rule (``evidence.attain``)
    is applied at each of those moments, and the series counts who is at the target after each
    point. People are taken a block at a time, so memory does not grow with the roster.
    """
    fw = competencies.framework()
    L = len(fw.levels)
    comps = list(target.competencies)
    C = len(comps)
    need = fw.rank(target.level)
    pop = np.flatnonzero(roster["profile"].isin(target.profiles).to_numpy())
    items = merged.tags.items
    sel = [j for j, it in enumerate(items) if set(it.competencies) & set(comps)]
    uncovered = [c for c in comps if not any(c in items[j].competencies for j in sel)]
    members = roster.iloc[pop][["department", "profile"]].reset_index(drop=True)
    n = len(pop)
    G = len(grid)
    # Each item feeds one (competency, level) of the target per target competency it evidences.
    item_cl = [[(comps.index(c), fw.levels.index(items[j].level)) for c in items[j].competencies if c in comps]
               for j in sel]
    width = max((len(x) for x in item_cl), default=0)
    slot_comp = np.array([[x[k][0] if len(x) > k else -1 for k in range(width)] for x in item_cl],
                         dtype=np.int64).reshape(len(sel), width)
    slot_level = np.array([[x[k][1] if len(x) > k else -1 for k in range(width)] for x in item_cl],
                          dtype=np.int64).reshape(len(sel), width)
    pts_of = np.array([items[j].points for j in sel], dtype=np.float64)
    col_of = np.full(len(items) + 1, -1, dtype=np.int64)
    col_of[sel] = np.arange(len(sel))

    # later steps (several gradebooks): this target's, by roster position
    pos_of = np.full(len(roster), -1, dtype=np.int64)
    pos_of[pop] = np.arange(n)
    m_l, m_j = pos_of[merged.more_learner], col_of[merged.more_item]
    mine = (m_l >= 0) & (m_j >= 0)
    m_l, m_j, m_gain, m_time = m_l[mine], m_j[mine], merged.more_gain[mine], merged.more_time[mine]
    m_order = np.argsort(m_l, kind="stable")
    m_l, m_j, m_gain, m_time = m_l[m_order], m_j[m_order], m_gain[m_order], m_time[m_order]

    ranks = np.zeros((n, C), dtype=np.int64)
    delta = np.zeros(G + 1, dtype=np.int64)            # change in the count at each grid point
    sel_arr = np.asarray(sel, dtype=np.int64)
    step = max(1, BLOCK_CELLS // max(1, 8 * max(C, 1) * L))
    a = 0
    if n and C and len(sel) and compiled.wanted(n * len(sel), COMPILED_CELLS) and _attainment_loop_ready():
        from coursekit.platform.reports import attainment_loop

        g = grid.astype(np.int64)
        steps = np.diff(g)
        even = int(steps[0]) if len(steps) and (steps == steps[0]).all() else 0
        starts = np.searchsorted(m_l, np.arange(n + 1)).astype(np.int64)
        m_j, m_gain, m_time = m_j.astype(np.int64), m_gain.astype(np.float64), m_time.astype(np.int64)
        pop64 = pop.astype(np.int64)

        def part(lo: int, hi: int) -> np.ndarray:      # people lo..hi-1; the loop releases the GIL
            own = np.zeros(G + 1, dtype=np.int64)
            attainment_loop.progress(pop64[lo:hi], sel_arr, merged.share_code, merged.share_values, merged.sub,
                                     merged.sub_time, starts[lo:hi + 1], m_j, m_gain, m_time, g, np.int64(even),
                                     slot_comp, slot_level, pts_of, C, L, need, float(threshold), int(min_items),
                                     ranks[lo:hi], own)
            return own

        halves = [(0, n // 2), (n // 2, n)] if n >= PARALLEL_PEOPLE else [(0, n)]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(halves)) as pool:
            for own in pool.map(lambda h: part(*h), halves):
                delta += own
        a = n                                          # every person done
    while a < n and C and len(sel):
        b = min(n, a + step)
        rows = pop[a:b]
        every = len(sel_arr) == merged.share_code.shape[1]
        contiguous = rows[-1] - rows[0] == len(rows) - 1
        code = merged.share_code[rows[0]:rows[-1] + 1] if contiguous else merged.share_code[rows]
        code = code if every else code[:, sel_arr]
        li, jj = np.nonzero(code)                      # this block's first results
        gain = merged.share_values[code[li, jj].astype(np.int64) - 1]
        del code
        subs = merged.sub[rows[0]:rows[-1] + 1] if contiguous else merged.sub[rows]
        when = merged.sub_time[subs[li, jj if every else sel_arr[jj]]]
        del subs
        first = np.ones(len(li), dtype=bool)
        lo, hi = np.searchsorted(m_l, [a, b])
        if hi > lo:
            li = np.concatenate([li, m_l[lo:hi] - a])
            jj = np.concatenate([jj, m_j[lo:hi]])
            gain = np.concatenate([gain, m_gain[lo:hi]])
            when = np.concatenate([when, m_time[lo:hi]])
            first = np.concatenate([first, np.zeros(hi - lo, dtype=bool)])
        gpos = _grid_position(grid, when)
        del when
        if not _block_progress(li, jj, gpos, gain, first, b - a, G, C, L, need, slot_comp, slot_level, pts_of,
                               threshold, min_items, ranks[a:b], delta):
            step = max(1, step // 4)                   # many moments per person: smaller blocks
            continue
        a = b
    series = np.cumsum(delta[:G]) / n if n else np.zeros(G)
    comp_reached = ranks >= need
    reached = comp_reached.all(axis=1) if C else np.zeros(n, dtype=bool)
    return TargetResult(target, n, reached, comp_reached, ranks, grid, series, members, uncovered)


def _block_progress(li, jj, gpos, gain, first, B, G, C, L, need, slot_comp, slot_level, pts_of,
                    threshold, min_items, ranks_out, delta) -> bool:
    """One block of people: their attained ranks now (into ``ranks_out``) and the change in the
    count of people at the target at each grid point (added to ``delta``). False when the block
    has too many moments per person to sum at once (the caller then takes fewer people)."""
    # the moments at which each person's evidence arrives: grid points, numbered per person
    has = np.zeros(B * G, dtype=bool)
    has[li * G + gpos] = True
    has = has.reshape(B, G)
    moment = np.cumsum(has, axis=1) - 1                # per (person, grid point): its moment number
    K = int(moment[:, -1].max(initial=-1)) + 1 if B else 0
    if K == 0:
        return True
    if B > 1 and B * K * C * L > BLOCK_CELLS:
        return False
    k = moment[li, gpos]
    # one entry per (evidence, target competency): most items evidence one competency, a few two
    pts = pts_of[jj]
    ep = gain * pts                                    # points gained
    eo = np.where(first, pts, 0.0)                     # points available, once per item
    en = first.astype(np.float64)                      # items, once per item
    cells = K * B * C * L
    tot = np.zeros((3, cells))
    base = k * B
    base += li
    base *= C * L                                      # where a person's moment begins
    cell_of = np.where(slot_comp >= 0, slot_comp * L + slot_level, -1)   # (item, slot): its (competency, level)
    for w in range(slot_comp.shape[1]):
        cl = cell_of[:, w][jj]
        if (cl >= 0).all():
            flat, wp, wo, wn = base + cl, ep, eo, en
        else:
            on = cl >= 0
            flat, wp, wo, wn = base[on] + cl[on], ep[on], eo[on], en[on]
        tot[0] += np.bincount(flat, weights=wp, minlength=cells)
        tot[1] += np.bincount(flat, weights=wo, minlength=cells)
        tot[2] += np.bincount(flat, weights=wn, minlength=cells)
    tot = tot.reshape(3, K, B, C, L)
    for m in range(1, K):                              # what was known at each moment
        tot[:, m] += tot[:, m - 1]
    r = evidence.attain(tot[0], tot[1], tot[2], threshold, min_items)   # (K, B, C)
    del tot
    at = (r >= need).all(axis=2).T                     # (B, K): at the target after each moment
    ranks_out[:] = r[-1]
    # the grid point of each person's moments; moments past a person's last repeat it (no change)
    point = np.full((B, K), G, dtype=np.int64)
    pl, pg = np.nonzero(has)
    point[pl, moment[pl, pg]] = pg
    change = at.astype(np.int64)
    change[:, 1:] -= at[:, :-1]
    delta += np.bincount(point.ravel(), weights=change.ravel(), minlength=G + 1).astype(np.int64)
    return True


# ---------------------------------------------------------------------------------------------
# The report

@dataclass
class GroupRow:
    group: str            # all, competency, department, profile, department_profile
    department: str       # "" where the row is not one department's
    profile: str          # "" where the row is not one profile's
    competency: str       # "" except on a competency's row
    staff: int | None
    reached: int | None
    share: float | None
    suppressed: bool


@dataclass
class TargetReport:
    result: TargetResult
    rows: list[GroupRow]
    current: float | None
    pace_per_month: float | None
    projected: date | None
    status: str
    grid: np.ndarray                # the trajectory's points that may be shown (disclosure control)
    series: np.ndarray              # the share reached at each of them
    self_assessed: tuple | None = None   # (staff with self-assessed evidence, of them at the target), apart


@dataclass
class Report:
    pledge: Pledge
    as_of: date
    targets: list[TargetReport]
    merged: gradebook_read.Merged
    roster_size: int
    gradebooks: int
    min_group: int
    page: Path | None = None          # report.html, once written (``pledge_page.write``)
    self_assessed_files: int = 0      # learners' exports of self-paced work, shown apart

    def __str__(self) -> str:
        """One line: each target's share against its pledge and status (and where the page is)."""
        parts = []
        for tr in self.targets:
            t = tr.result.target
            cur = "hidden (small group)" if tr.current is None else f"{tr.current:.1%}"
            parts.append(f"'{t.name}' {cur} of {t.share:.0%} ({tr.status})")
        text = f"{self.pledge.ministry}: {'; '.join(parts)}; target date {self.pledge.target_date}"
        return text + (f"; report in {self.page}" if self.page is not None else "")


def _status(current, target_share, projected, target_date, as_of, staff: int = 1) -> str:
    if staff == 0:
        return "no staff"
    if current is None:
        return "hidden"
    if current >= target_share:
        return "met"
    if as_of > target_date:
        return "missed"
    if projected is not None and projected <= target_date:
        return "on track"
    return "not on track"


def _pace(grid: np.ndarray, series: np.ndarray, days: int = 91) -> float | None:
    """Change in the share per 30 days over the last ``days`` days (or the whole span if shorter)."""
    if len(grid) < 2:
        return None
    end = grid[-1]
    start = max(grid[0], end - np.timedelta64(days, "D"))
    before = np.interp(start.astype(np.int64), grid.astype(np.int64), series)
    span_days = (end - start) / np.timedelta64(1, "D")
    if span_days <= 0:
        return None
    return float((series[-1] - before) / span_days * 30)


def _facts(res: TargetResult) -> disclosure.TargetFacts:
    need = competencies.framework().rank(res.target.level)
    return disclosure.TargetFacts(res.target.profiles, tuple((c, need) for c in res.target.competencies),
                                  res.members, res.reached, res.comp_reached)


def _rows(groups: list[disclosure.Group]) -> list[GroupRow]:
    """The published rows of one target, from the groups disclosure control decided on."""
    out = []
    for g in groups:
        if g.staff == 0 and g.kind != "all":
            continue
        out.append(GroupRow(g.kind, g.department, g.profile, g.competency, None if g.hidden else g.staff,
                            None if g.hidden else g.reached,
                            None if g.hidden or g.staff == 0 else g.reached / g.staff, g.hidden))
    return out


def _trajectory(res: TargetResult, total: GroupRow, min_group: int) -> tuple[np.ndarray, np.ndarray]:
    """The points of the trajectory that can be shown: none when the target's total is hidden.

    The count at each point, and the change between two shown points, is a group of staff too
    (those who had reached the target by then, those who reached it in between). Walking back
    from today, a point is kept only when its count, the count still to reach it, and the change
    to the next kept point are each zero or at least ``min_group``.
    """
    if total.suppressed or res.staff == 0:
        return res.grid[:0], res.series[:0]
    counts = np.rint(res.series * res.staff).astype(np.int64)
    keep = [len(counts) - 1]
    for i in range(len(counts) - 2, -1, -1):
        c, nxt = counts[i], counts[keep[-1]]
        if not any(disclosure.sensitive(v, min_group) for v in (c, res.staff - c, nxt - c)):
            keep.append(i)
    keep = keep[::-1]
    return res.grid[keep], res.series[keep]


def publish(pledge: Pledge, results: list[TargetResult], as_of: date, min_group: int) -> list[TargetReport]:
    """What the report shows of each target: its rows after disclosure control across all targets,
    the trajectory's points that may be shown, the pace and the status."""
    protection = disclosure.protect([_facts(r) for r in results], min_group)
    phase("disclosure control")
    reports = []
    for k, res in enumerate(results):
        t = res.target
        rows = _rows(protection.of_target(k))
        overall = rows[0]
        shown_grid, shown_series = _trajectory(res, overall, min_group)
        current = overall.share if not overall.suppressed else None
        pace = _pace(shown_grid, shown_series) if current is not None else None
        projected = None
        if current is not None and current < t.share and pace and pace > 0:
            days = (t.share - current) / pace * 30
            if days < 365 * 100:
                projected = as_of + timedelta(days=math.ceil(days))
        elif current is not None and current >= t.share:
            projected = as_of
        status = _status(current, t.share, projected, pledge.target_date, as_of, res.staff)
        reports.append(TargetReport(res, rows, current, pace, projected, status, shown_grid, shown_series))
    return reports


def build(pledge: Pledge, roster: pd.DataFrame, gradebooks: list, min_group: int = MIN_GROUP,
          now: datetime | None = None, tags: evidence.Tags | None = None, started: dict | None = None) -> Report:
    """Compute the report (nothing is written). ``gradebooks``: ``evidence.Gradebook`` objects."""
    if min_group < MIN_GROUP_FLOOR:
        raise UsageError(f"--min-group {min_group} is too small; groups under {MIN_GROUP_FLOOR} people "
                         "could identify someone")
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    as_of = np.datetime64(now.replace(tzinfo=None), "ns")
    tags = tags or evidence.course_tags().for_competencies(pledge.competencies)
    merged = gradebook_read.merge_reads(pd.Index(roster["learner_id"]), gradebooks, tags, as_of, started,
                                        merging=lambda: _import_meanwhile("matplotlib.figure"))   # for the figures
    phase("read and merge gradebooks")
    latest = merged.latest if merged.has_evidence else None
    if latest is not None and np.datetime64(int(latest), "ns") > as_of:
        as_of = np.datetime64(int(latest), "ns")
    if pledge.start_date is not None:
        start = np.datetime64(pledge.start_date, "ns")
    elif merged.has_evidence:
        start = np.datetime64(int(merged.earliest), "ns").astype("datetime64[D]").astype("datetime64[ns]")
    else:
        start = as_of - np.timedelta64(30, "D")
    grid = _grid(start, as_of)
    as_of_date = pd.Timestamp(as_of).date()
    results = [target_progress(t, roster, merged, grid) for t in pledge.targets]
    phase("attainment and trajectory")
    reports = publish(pledge, results, as_of_date, min_group)
    rep = Report(pledge, as_of_date, reports, merged, len(roster), len(gradebooks), min_group)
    return rep


def _import_meanwhile(module: str) -> None:
    """Import ``module`` in a background thread; its first use waits for it (the import lock)."""
    import importlib
    import threading

    threading.Thread(target=importlib.import_module, args=(module,), name=f"import {module}", daemon=True).start()


def compute(pledge_path, roster_path, gradebooks: list, min_group: int = MIN_GROUP,
            now: datetime | None = None, self_assessed: list = (), prefetched=None) -> Report:
    """Check every input, then compute the report (nothing is written). Returns the report.

    ``gradebooks``: gradebook paths or database URLs of assessed work (cohorts); ``self_assessed``:
    learners' exports of their own checks, shown apart. ``prefetched``: the first gradebook's read,
    already started (``gradebook_read.prefetch``). ``pledge_page.write`` writes the result.
    """
    if min_group < MIN_GROUP_FLOOR:
        raise UsageError(f"--min-group {min_group} is too small; it must be at least {MIN_GROUP_FLOOR}")
    if not gradebooks:
        raise UsageError("give at least one --gradebook (an nbgrader gradebook file or database URL)")
    phase("start")
    pledge = load_pledge(pledge_path)
    seen, gbs = set(), []
    for g in gradebooks:
        gb = evidence.locate(g)
        if gb.source == evidence.SELF_PACED:
            raise UsageError(f"{gb.label}: is your own gradebook of self-paced checks, which the report does not "
                             "count as assessed work; give a cohort's gradebook, and self-paced work apart with "
                             "--self-assessed (learners export it with `coursekit progress --export`)")
        if gb.url not in seen:
            seen.add(gb.url)
            gbs.append(gb)
    tags = evidence.course_tags().for_competencies(pledge.competencies)
    # The first gradebook is read in background threads while the roster is checked.
    if prefetched is not None and prefetched.gb.url == gbs[0].url:
        first = prefetched
        first.set_tags(tags)
    else:
        first = evidence.start_read(gbs[0], tags)
    try:
        roster = load_roster(roster_path)
        phase("pledge, tags, roster")

        own = self_assessed_mod.read(self_assessed) if self_assessed else None
        rep = build(pledge, roster, gbs, min_group, now, tags=tags, started={gbs[0].url: first})
        if own is not None:
            rep.self_assessed_files = len(self_assessed)
            for tr in rep.targets:
                tr.self_assessed = self_assessed_mod.counts(own, roster, tr.result.target, min_group)
        return rep
    except BaseException:
        first.cancel()
        raise
