"""Disclosure control of the pledge report, attacked as an analyst would: from the CSV alone, bound
every hidden count with a linear program over everything published, and look for one pinned to a
small value."""

from __future__ import annotations

import io
import random
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from coursekit.platform import competencies
from coursekit.platform.reports import disclosure, pledge, pledge_page

AS_OF = date(2026, 11, 1)


# ---------------------------------------------------------------------------------------------
# The attack: an outsider's linear program, written from the CSV and the pledge's published text

def attack(csv_text: str, needs: dict, min_group: int) -> list[str]:
    """Every hidden count the CSV lets an outsider pin to a single value from 1 to min_group - 1.

    ``needs``: target name -> {competency: level rank}, which the report states in words.
    The outsider knows the cells (a hidden cell still has its row), every shown count, that no
    count is negative, that nobody reaches a target without its competencies, and that whoever
    reaches a target asking more also reaches one asking less.
    """
    df = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    df = df[df["as_of"] == df["as_of"].max()]                        # today's counts (not the trajectory)
    df = df[df["evidence"] == "assessed"]                            # self-assessed counts stand apart
    names = list(dict.fromkeys(df["target"]))
    var: dict = {}

    def v(key):
        return var.setdefault(key, len(var))

    cells = {t: [(d, p) for d, p in df[(df.target == t) & (df.department != "") & (df.profile != "")]
                 [["department", "profile"]].itertuples(index=False)] for t in names}
    for t in names:
        for cell in cells[t]:
            v(("s", cell))
            v(("r", t, cell))
    for t, k in df[df.competency != ""][["target", "competency"]].itertuples(index=False):
        v(("c", t, k))

    def covered(t, d, p):
        return [c for c in cells[t] if (not d or c[0] == d) and (not p or c[1] == p)]

    def form(row, what):
        if row.competency:
            return {v(("c", row.target, row.competency)): 1.0} if what == "reached" else \
                {v(("s", c)): 1.0 for c in cells[row.target]}
        cs = covered(row.target, row.department, row.profile)
        return {v(("s", c)) if what == "staff" else v(("r", row.target, c)): 1.0 for c in cs}

    eq_rows, eq_b, ub_rows = [], [], []
    for row in df.itertuples(index=False):
        for what in ("staff", "reached"):
            value = getattr(row, what)
            if value != "" and not (row.competency and what == "staff"):
                eq_rows.append(form(row, what))
                eq_b.append(float(value))
    for t in names:
        for cell in cells[t]:
            ub_rows.append({v(("r", t, cell)): 1.0, v(("s", cell)): -1.0})
        comps = [k for (kind, *rest) in var if kind == "c" and rest[0] == t for k in [rest[1]]]
        for k in comps:
            up = {v(("c", t, k)): 1.0}
            for cell in cells[t]:
                up[v(("s", cell))] = up.get(v(("s", cell)), 0.0) - 1.0
            ub_rows.append(up)
            down = {v(("c", t, k)): -1.0}
            for cell in cells[t]:
                down[v(("r", t, cell))] = 1.0
            ub_rows.append(down)
        if len(comps) > 1:                       # reached >= sum of competencies - (K - 1) staff
            f = {v(("c", t, k)): 1.0 for k in comps}
            for cell in cells[t]:
                f[v(("s", cell))] = -(len(comps) - 1.0)
                f[v(("r", t, cell))] = -1.0
            ub_rows.append(f)
    for a in names:
        for b in names:
            if a != b and all(k in needs[b] and needs[b][k] >= lv for k, lv in needs[a].items()):
                for cell in set(cells[a]) & set(cells[b]):
                    ub_rows.append({v(("r", b, cell)): 1.0, v(("r", a, cell)): -1.0})

    n = len(var)

    def matrix(rows):
        entries = [(i, j, c) for i, r in enumerate(rows) for j, c in r.items()]
        i, j, c = zip(*entries) if entries else ((), (), ())
        return sparse.csr_matrix((c, (i, j)), shape=(len(rows), n))

    A_eq, A_ub = matrix(eq_rows), matrix(ub_rows)
    found = []
    for row in df.itertuples(index=False):
        if row.staff != "" or row.reached != "":
            continue
        staff, reached = form(row, "staff"), form(row, "reached")
        diff = dict(staff)
        for j, c in reached.items():
            diff[j] = diff.get(j, 0.0) - c
        quantities = [("reached", reached), ("did not reach", diff)]
        if not row.competency:
            quantities.insert(0, ("staff", staff))
        for what, f in quantities:
            obj = np.zeros(n)
            for j, c in f.items():
                obj[j] += c
            lo = linprog(obj, A_ub=A_ub if len(ub_rows) else None, b_ub=np.zeros(len(ub_rows)) if len(ub_rows) else None,
                         A_eq=A_eq if len(eq_rows) else None, b_eq=eq_b if len(eq_rows) else None,
                         bounds=(0, None), method="highs")
            hi = linprog(-obj, A_ub=A_ub if len(ub_rows) else None, b_ub=np.zeros(len(ub_rows)) if len(ub_rows) else None,
                         A_eq=A_eq if len(eq_rows) else None, b_eq=eq_b if len(eq_rows) else None,
                         bounds=(0, None), method="highs")
            assert lo.status == 0, lo.message
            if hi.status == 3:
                continue
            low, high = lo.fun, -hi.fun
            if np.floor(high + 1e-6) <= np.ceil(low - 1e-6) and 0 < round(low) < min_group:
                found.append(f"{row.target} / {row.department or '-'} / {row.profile or '-'} / "
                             f"{row.competency or '-'}: {what} = {round(low)}")
    return found


# ---------------------------------------------------------------------------------------------
# Synthetic reports: a roster, each person's attained level per competency, and some targets

def synthetic(rng: random.Random, *, departments: int, profiles: list[str], targets: list[tuple],
              sizes=(0, 12)) -> tuple[pledge.Pledge, list[pledge.TargetResult]]:
    """``targets``: (profiles, competencies, level) each. Each person has one attained level per
    competency (shared by every target), so what the targets report is consistent, as in life."""
    fw = competencies.framework()
    members = []
    for d in range(departments):
        for p in profiles:
            members += [(f"Department {d}", p)] * rng.randint(*sizes)
    roster = pd.DataFrame(members, columns=["department", "profile"])
    comps = sorted({c for _, cs, _ in targets for c in cs})
    level = {c: np.array([rng.choice([0, 0, 1, 2, 2, 3]) for _ in range(len(roster))]) for c in comps}
    results, pledged = [], []
    for i, (profs, cs, lv) in enumerate(targets):
        t = pledge.Target(f"Target {i + 1}", tuple(profs), tuple(cs), lv, 0.7)
        pledged.append(t)
        mine = roster["profile"].isin(profs).to_numpy()
        members_t = roster[mine].reset_index(drop=True)
        need = fw.rank(lv)
        ranks = np.stack([level[c][mine] for c in cs], axis=1) if len(members_t) else np.zeros((0, len(cs)), int)
        comp_reached = ranks >= need
        reached = comp_reached.all(axis=1)
        n = len(members_t)
        grid = np.array([np.datetime64("2026-06-01", "ns"), np.datetime64(AS_OF, "ns")])
        series = np.array([0.0, reached.mean() if n else 0.0])
        results.append(pledge.TargetResult(t, n, reached, comp_reached, ranks, grid, series, members_t))
    p = pledge.Pledge(None, "Ministry", "", date(2027, 12, 31), None, tuple(pledged))
    return p, results


def report_csv(p, results, min_group=5) -> str:
    reports = pledge.publish(p, results, AS_OF, min_group)
    rep = pledge.Report(p, AS_OF, reports, None, 0, 1, min_group)
    return pledge_page.csv_text(rep)


def needs_of(p) -> dict:
    fw = competencies.framework()
    return {t.name: {c: fw.rank(t.level) for c in t.competencies} for t in p.targets}


def random_pledge(rng):
    fw = competencies.framework()
    profiles = ["caseworker", "policy_officer", "data_practitioner"][:rng.randint(1, 3)]
    targets = []
    for _ in range(rng.randint(1, 3)):
        profs = rng.sample(profiles, rng.randint(1, len(profiles)))
        cs = rng.sample(["human_oversight", "fairness_testing", "data_quality"], rng.randint(1, 2))
        targets.append((profs, cs, rng.choice(list(fw.levels[:2]))))
    return profiles, targets


# ---------------------------------------------------------------------------------------------
# Tests

def test_the_subtraction_across_targets_in_the_issue_is_closed():
    """Target 1: Housing's 6 caseworkers and 1 policy officer, all reached; target 2: the
    caseworkers alone. Showing Housing 7 of 7 and Housing caseworkers 6 of 6 gives the policy
    officer away."""
    fw = competencies.framework()
    members = pd.DataFrame([("Housing", "caseworker")] * 6 + [("Housing", "policy_officer")]
                           + [("Benefits", "caseworker")] * 9 + [("Benefits", "policy_officer")] * 8,
                           columns=["department", "profile"])
    reached = np.array([True] * 7 + [True] * 5 + [False] * 4 + [True] * 3 + [False] * 5)
    lv = fw.levels[0]
    t1 = pledge.Target("Everyone", ("caseworker", "policy_officer"), ("human_oversight",), lv, 0.7)
    t2 = pledge.Target("Caseworkers", ("caseworker",), ("human_oversight",), lv, 0.7)
    cw = (members["profile"] == "caseworker").to_numpy()
    grid = np.array([np.datetime64(AS_OF, "ns")])
    results = [pledge.TargetResult(t1, len(members), reached, reached[:, None], reached[:, None].astype(int),
                                   grid, np.array([reached.mean()]), members),
               pledge.TargetResult(t2, int(cw.sum()), reached[cw], reached[cw][:, None], reached[cw][:, None].astype(int),
                                   grid, np.array([reached[cw].mean()]), members[cw].reset_index(drop=True))]
    p = pledge.Pledge(None, "Ministry", "", date(2027, 12, 31), None, (t1, t2))
    text = report_csv(p, results)
    assert attack(text, needs_of(p), 5) == []
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    housing_po = df[(df.target == "Everyone") & (df.department == "Housing") & (df.profile == "policy_officer")]
    assert housing_po["staff"].tolist() == [""]                       # the 1 is hidden
    shown = df[(df.department == "Housing") & (df.profile == "") & (df.staff != "")]
    shown_cw = df[(df.target == "Caseworkers") & (df.department == "Housing") & (df.staff != "")]
    assert shown.empty or shown_cw.empty                              # never both sides of the subtraction


def primary_only(p, results, min_group=5):
    """The CSV with only the small groups hidden (what the report did before complementary suppression)."""
    import coursekit.platform.reports.disclosure as d
    d_pinned = d.pinned
    d.pinned = lambda lo, hi: False
    try:
        return report_csv(p, results, min_group)
    finally:
        d.pinned = d_pinned


def test_the_attack_finds_what_primary_suppression_alone_leaves():
    rng = random.Random(11)
    hits = 0
    for _ in range(12):
        profiles, targets = random_pledge(rng)
        p, results = synthetic(rng, departments=rng.randint(2, 4), profiles=profiles, targets=targets)
        hits += bool(attack(primary_only(p, results), needs_of(p), 5))
    assert hits >= 3


@pytest.mark.parametrize("seed", range(4))
def test_no_small_count_can_be_pinned_from_the_csv(seed):
    rng = random.Random(100 + seed)
    for _ in range(6):
        profiles, targets = random_pledge(rng)
        p, results = synthetic(rng, departments=rng.randint(2, 5), profiles=profiles, targets=targets)
        min_group = rng.choice([3, 5, 5, 10])
        text = report_csv(p, results, min_group)
        assert attack(text, needs_of(p), min_group) == [], text


def test_primary_suppression_hides_small_groups_and_small_counts_within_them():
    fw = competencies.framework()
    members = pd.DataFrame([("A", "caseworker")] * 20 + [("B", "caseworker")] * 20 + [("C", "caseworker")] * 20,
                           columns=["department", "profile"])
    reached = np.array([True] * 2 + [False] * 18 + [True] * 10 + [False] * 10 + [True] * 18 + [False] * 2)
    t = pledge.Target("T", ("caseworker",), ("human_oversight",), fw.levels[0], 0.5)
    res = pledge.TargetResult(t, 60, reached, reached[:, None], reached[:, None].astype(int),
                              np.array([np.datetime64(AS_OF, "ns")]), np.array([0.5]), members)
    p = pledge.Pledge(None, "M", "", date(2027, 12, 31), None, (t,))
    df = pd.read_csv(io.StringIO(report_csv(p, [res])), dtype=str, keep_default_na=False)
    dept = df[(df.department != "") & (df.profile == "")].set_index("department")
    assert dept.loc["A", "reached"] == "" and dept.loc["C", "reached"] == ""   # 2 reached; 2 did not
    assert dept.loc["B", "staff"] == "20" and dept.loc["B", "reached"] == "10"
    total = df[(df.department == "") & (df.profile == "") & (df.competency == "")]
    assert total[["staff", "reached"]].values.tolist() == [["60", "30"]]


def test_the_trajectory_shows_no_small_step():
    fw = competencies.framework()
    members = pd.DataFrame([("A", "caseworker")] * 40, columns=["department", "profile"])
    reached = np.array([True] * 20 + [False] * 20)
    t = pledge.Target("T", ("caseworker",), ("human_oversight",), fw.levels[0], 0.5)
    counts = np.array([0, 1, 3, 8, 9, 14, 20])
    grid = np.datetime64("2026-01-01", "ns") + np.arange(len(counts)) * np.timedelta64(30, "D")
    res = pledge.TargetResult(t, 40, reached, reached[:, None], reached[:, None].astype(int), grid,
                              counts / 40, members)
    p = pledge.Pledge(None, "M", "", date(2027, 12, 31), None, (t,))
    tr = pledge.publish(p, [res], AS_OF, 5)[0]
    shown = np.rint(tr.series * 40).astype(int)
    assert shown[-1] == 20
    for a, b in zip(shown[:-1], shown[1:]):
        assert not disclosure.sensitive(b - a, 5)
    assert all(not disclosure.sensitive(c, 5) and not disclosure.sensitive(40 - c, 5) for c in shown)
    assert list(shown) == [0, 9, 14, 20]                # 1, 3 and 8 would each show a small step
