"""`coursekit pledge report`: progress against a pledge, privacy, bad input, and the benchmark."""

from __future__ import annotations

import csv
import random
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import evidence_course as ec
from coursekit import cli
from coursekit.platform import evidence
from coursekit.platform.nbgrader_adapter import gradebook_read
from coursekit.platform.reports import pledge, pledge_page

# One group for pytest-xdist (its gradebooks are made once per test process).
pytestmark = [pytest.mark.xdist_group("test_pledge"), pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2025, 6, 1, 12, 0, 0)
STRONG = ec.full_marks("m10_alpha", manual=False)                 # reaches working in both competencies
WEAK = dict(STRONG, q2=0)                                          # fairness testing: 4 of 6, not reached

# department: (number of caseworkers, how many of them reach the target)
DEPTS = {"Benefits": (12, 6), "Appeals": (6, 3), "Tiny Unit": (3, 2)}


def staff():
    """Roster rows, with names and email addresses that must never reach a report."""
    rows = []
    for dept, (n, k) in DEPTS.items():
        for i in range(n):
            lid = f"cw-{dept.split()[0].lower()}-{i:03d}"
            rows.append((lid, f"Zebedee{i}", f"Quillfeather-{dept.split()[0]}", f"{lid}@example.gov", dept,
                         "caseworker", i < k))
    for i in range(5):
        rows.append((f"po-benefits-{i:03d}", "Ottoline", f"Pemberton{i}", f"po{i}@example.gov", "Benefits",
                     "policy_officer", False))
    return rows


def write_roster(path: Path, rows, header=("learner_id", "first_name", "last_name", "email", "department", "profile")):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow(r[:len(header)])
    return path


PLEDGE = {
    "ministry": "Ministry of Social Affairs",
    "title": "Caseworkers can question AI",
    "target_date": "2027-12-31",
    "targets": [{"name": "Caseworkers oversee AI outputs", "profiles": ["caseworker"],
                 "competencies": ["human_oversight", "fairness_testing"], "level": "working", "share": 0.7}],
}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The course root and the two cohort gradebooks, made once (nbgrader takes seconds per gradebook)."""
    base = tmp_path_factory.mktemp("pledge")
    root = ec.make_root(base / "root")
    mp = pytest.MonkeyPatch()
    ec.use_root(mp, root)
    rows = staff()
    # cohort A: everyone, in January; the first Appeals caseworker did badly
    a_subs = []
    for lid, *_, dept, prof, reaches in rows:
        if prof != "caseworker":
            continue
        first_in_appeals = lid == "cw-appeals-000"
        a_subs.append((lid, "m10_alpha", WEAK if (first_in_appeals or not reaches) else STRONG, ec.at(10 + len(a_subs) % 15)))
    a_subs.append(("visitor-007", "m10_alpha", STRONG, ec.at(12)))              # not on the roster
    ec.make_gradebook(base / "cohort_a.db", a_subs)
    # cohort B, in March: the same Appeals caseworker again, now strong (counts once, with the best)
    ec.make_gradebook(base / "cohort_b.db", [("cw-appeals-000", "m10_alpha", STRONG, ec.at(15, 3))])
    ec.use_root(mp, root)
    mp.undo()
    return base, root, rows


@pytest.fixture
def setup(made, tmp_path, monkeypatch):
    base, root, rows = made
    ec.use_root(monkeypatch, root)
    monkeypatch.setenv("COURSEKIT_HOME", str(tmp_path / "home"))
    roster = write_roster(tmp_path / "roster.csv", rows)
    for name in ("cohort_a.db", "cohort_b.db"):
        shutil.copy(base / name, tmp_path / name)
    pledge_file = tmp_path / "pledge.yml"
    pledge_file.write_text(yaml.safe_dump(PLEDGE))
    yield {"root": root, "roster": roster, "a": tmp_path / "cohort_a.db", "b": tmp_path / "cohort_b.db",
           "pledge": pledge_file, "rows": rows, "out": tmp_path / "report", "tmp": tmp_path}
    ec.use_root(monkeypatch, root)


def run(s, *extra, gradebooks=None, out=None):
    gbs = gradebooks if gradebooks is not None else [s["a"], s["b"]]
    args = ["pledge", "report", "--pledge", str(s["pledge"]), "--roster", str(s["roster"]), "--out", str(out or s["out"])]
    for g in gbs:
        args += ["--gradebook", str(g)]
    return cli.main(args + list(extra))


def read_csv(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def today(df):
    """The report date's rows (not the trajectory's earlier points)."""
    return df[df["as_of"] == df["as_of"].max()]


def departments(df):
    df = today(df)
    return df[(df["department"] != "") & (df["profile"] == "")].set_index("department")


def test_report_numbers_and_files(setup, capsys):
    assert run(setup) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("Ministry of Social Affairs: 'Caseworkers oversee AI outputs' 52.4% of 70%")
    html = (setup["out"] / "report.html").read_text()
    df = read_csv(setup["out"] / "progress.csv")
    assert list(df.columns[:5]) == ["target", "department", "profile", "staff", "reached"]
    now = today(df)
    overall = now[(now["department"] == "") & (now["profile"] == "") & (now["competency"] == "")].iloc[0]
    # 6 + 3 + 2 reach it: in Appeals the weak first attempt was replaced by the strong one
    assert (overall["staff"], overall["reached"]) == ("21", "11")
    assert abs(float(overall["share"]) - 11 / 21) < 1e-4 and float(overall["target_share"]) == 0.7
    comp = now[now["competency"] != ""].set_index("competency")
    assert comp.loc["human_oversight", "reached"] == "21"          # everyone got the oversight items right
    assert comp.loc["fairness_testing", "reached"] == "11"
    assert "52.4% of the 21 caseworkers who review ai outputs" in html.lower()
    assert "Fewer than 5 people in the gradebooks are not on the roster" in html
    assert html.count("src='data:image/png;base64,") >= 2 and "<script" not in html
    assert not re.search(r"src=['\"]https?:", html)               # self-contained
    for heading in ("Key numbers", "By department", "How to read this report"):
        assert heading in html
    assert re.search(r"<img src='data:image/png;base64,[^']+' alt='Line chart of the share", html)


def test_small_groups_are_hidden_and_cannot_be_worked_out(setup):
    assert run(setup) == 0
    df = read_csv(setup["out"] / "progress.csv")
    dept = departments(df)
    assert dept.loc["Tiny Unit", "staff"] == "" and dept.loc["Tiny Unit", "reached"] == ""   # 3 staff
    assert dept.loc["Appeals", "reached"] == ""                    # 3 of 6 reached, 3 did not
    assert (dept.loc["Benefits", "staff"], dept.loc["Benefits", "reached"]) == ("12", "6")
    cells = today(df)[(today(df)["department"] != "") & (today(df)["profile"] != "")].set_index("department")
    assert set(cells[cells["staff"] == ""].index) == {"Tiny Unit", "Appeals"}
    html = (setup["out"] / "report.html").read_text()
    assert "hidden" in html and "checked, as a statistical office checks its tables" in html


def test_min_group_is_configurable_but_never_below_three(setup, capsys):
    assert run(setup, "--min-group", "3") == 0
    text = (setup["out"] / "progress.csv").read_text()
    dept = departments(read_csv(setup["out"] / "progress.csv"))
    assert dept.loc["Tiny Unit", "staff"] == ""                    # 1 of its 3 did not reach it
    assert dept.loc["Appeals", "staff"] == ""                      # else 21 - 12 - 6 gives Tiny Unit away
    assert dept.loc["Benefits", "staff"] == "12"
    from test_disclosure import attack
    assert attack(text, {PLEDGE["targets"][0]["name"]: {"human_oversight": 2, "fairness_testing": 2}}, 3) == []
    out2 = setup["tmp"] / "report2"
    assert run(setup, "--min-group", "2", out=out2) == 2
    assert "at least 3" in capsys.readouterr().err
    assert not out2.exists()
    assert run(setup, "--min-group", "9", out=out2) == 0           # Benefits (6 of 12) hidden too now
    dept = departments(read_csv(out2 / "progress.csv"))
    assert set(dept["reached"]) == {""}


def test_no_learner_is_identified_anywhere(setup, capsys):
    assert run(setup, "--min-group", "3") == 0
    stdout = capsys.readouterr().out
    text = (setup["out"] / "report.html").read_text() + (setup["out"] / "progress.csv").read_text() + stdout
    for lid, first, last, email, *_ in setup["rows"]:
        for secret in (lid, first, last, email):
            assert secret not in text, secret
    assert "visitor-007" not in text


def test_trajectory_from_the_evidence_timestamps(setup):
    rep = pledge.compute(setup["pledge"], setup["roster"], [setup["a"], setup["b"]], now=NOW)
    tr = rep.targets[0]
    grid = pd.to_datetime(tr.result.grid)
    assert grid[0] <= pd.Timestamp("2025-01-10") and grid[-1] == pd.Timestamp(NOW)
    assert tr.result.series[0] <= 1 / 21 and tr.result.series[-1] == pytest.approx(11 / 21)
    assert np.all(np.diff(tr.result.series) >= 0)
    # cohort A (January) gave 10 of 21; the Appeals caseworker's March attempt gave the 11th
    march = np.searchsorted(tr.result.grid, np.datetime64("2025-03-15T12:00:00"))
    assert tr.result.series[march - 1] == pytest.approx(10 / 21)
    # what is shown: no point at 10 (one person between it and today) nor at 1 to 4
    shown = np.rint(tr.series * 21).astype(int)
    assert shown[-1] == 11 and 10 not in shown and not set(shown) & {1, 2, 3, 4}
    assert tr.status in ("on track", "not on track") and tr.current == pytest.approx(11 / 21)
    assert rep.as_of == NOW.date()


def test_build_computes_and_writes_nothing_until_asked(setup, monkeypatch):
    monkeypatch.chdir(setup["tmp"])
    before = sorted(p.name for p in setup["tmp"].iterdir())
    gbs = [evidence.locate(setup["a"]), evidence.locate(setup["b"])]
    rep = pledge.build(pledge.load_pledge(setup["pledge"]), pledge.load_roster(setup["roster"]), gbs, now=NOW)
    assert rep.targets[0].current == pytest.approx(11 / 21)
    assert sorted(p.name for p in setup["tmp"].iterdir()) == before
    assert rep.page is None and "report in" not in str(rep)
    page = pledge_page.write(rep, setup["out"])
    assert page == setup["out"] / "report.html" and page.exists() and (setup["out"] / "progress.csv").exists()
    assert str(rep).startswith("Ministry of Social Affairs: 'Caseworkers oversee AI outputs' 52.4% of 70%")
    assert str(rep).endswith(f"; report in {page}")


def test_names_from_files_are_escaped_in_the_page(setup):
    rows = [r[:4] + ("<script>alert('x')</script> & Co",) + r[5:] if r[4] == "Benefits" else r for r in setup["rows"]]
    write_roster(setup["roster"], rows)
    p = dict(PLEDGE, ministry="Ministry <b>of</b> Affairs",
             targets=[dict(PLEDGE["targets"][0], name="<img src=x onerror=alert(1)>")])
    setup["pledge"].write_text(yaml.safe_dump(p))
    assert run(setup) == 0
    html = (setup["out"] / "report.html").read_text()
    assert "<script" not in html and "<b>of" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html       # shown as text
    assert "Ministry &lt;b&gt;of&lt;/b&gt; Affairs" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_outputs_replace_an_old_report_and_leave_no_temp_files(setup):
    setup["out"].mkdir()
    (setup["out"] / "report.html").write_text("old")
    (setup["out"] / "notes.txt").write_text("keep me")
    assert run(setup) == 0
    assert (setup["out"] / "report.html").read_text() != "old"
    assert (setup["out"] / "notes.txt").read_text() == "keep me"
    assert not [p for p in setup["tmp"].iterdir() if p.name.startswith(".report")]


def test_one_target_at_the_top_level_and_percent_share(setup):
    p = dict(PLEDGE)
    t = p.pop("targets")[0]
    p.update(profiles=t["profiles"], competencies=t["competencies"], level="working", share="70%")
    setup["pledge"].write_text(yaml.safe_dump(p))
    loaded = pledge.load_pledge(setup["pledge"])
    assert len(loaded.targets) == 1 and loaded.targets[0].share == pytest.approx(0.7)
    assert "Caseworker" in loaded.targets[0].name


def test_a_competency_no_exercise_covers_yet_is_said_plainly(setup):
    p = dict(PLEDGE, targets=[dict(PLEDGE["targets"][0], competencies=["human_oversight", "procurement"])])
    setup["pledge"].write_text(yaml.safe_dump(p))
    assert run(setup) == 0
    html = (setup["out"] / "report.html").read_text()
    assert "no graded exercise in the course evidences procuring ai and testing vendor claims yet" in html.lower()


# ---------------------------------------------------------------------------------------------
# Bad input: one clear error naming the file, row and field; exit 2; no report

ROSTER_CASES = {
    "missing column": (lambda rows: rows, ("learner_id", "first_name", "department"),
                       r"roster\.csv: row 1 \(header\), field profile: missing column"),
    "duplicate id": (lambda rows: rows[:3] + [rows[1]] + rows[3:], None,
                     r"roster\.csv: row 5, field learner_id: the same id as row 3"),
    "unknown profile": (lambda rows: rows[:2] + [rows[2][:5] + ("astronaut", False)] + rows[3:], None,
                        r"roster\.csv: row 4, field profile: unknown profile 'astronaut'; use one of: senior_leader"),
    "empty department": (lambda rows: [rows[0][:4] + ("", "caseworker", False)] + rows[1:], None,
                         r"roster\.csv: row 2, field department: is empty"),
}


@pytest.mark.parametrize("case", list(ROSTER_CASES))
def test_bad_roster(setup, capsys, case):
    change, header, message = ROSTER_CASES[case]
    kwargs = {"header": header} if header else {}
    write_roster(setup["roster"], change(setup["rows"]), **kwargs)
    assert run(setup) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and re.search(message, err), err
    assert "cw-" not in err                                          # no learner id in the message
    assert not setup["out"].exists()


def test_a_row_with_a_stray_comma(setup, capsys):
    with open(setup["roster"], "a", newline="") as fh:
        fh.write("cw-extra-001,John,Smith, Jr,john@example.gov,Benefits,caseworker\n")
    assert run(setup) == 2
    err = capsys.readouterr().err.strip()
    assert f"roster.csv: row {len(setup['rows']) + 2}: has more cells than the header has columns" in err
    assert not setup["out"].exists()


PLEDGE_CASES = {
    "unknown competency": ({"competencies": ["human_oversight", "telepathy"]},
                           r"pledge\.yml: field targets\[1\]\.competencies: unknown competency 'telepathy'"),
    "unknown profile": ({"profiles": ["caseworker", "astronaut"]},
                        r"pledge\.yml: field targets\[1\]\.profiles: unknown profile 'astronaut'"),
    "unknown level": ({"level": "guru"}, r"pledge\.yml: field targets\[1\]\.level: unknown level 'guru'"),
    "bad share": ({"share": 7}, r"pledge\.yml: field targets\[1\]\.share: 7 must be above 0"),
}


@pytest.mark.parametrize("case", list(PLEDGE_CASES))
def test_bad_pledge(setup, capsys, case):
    change, message = PLEDGE_CASES[case]
    setup["pledge"].write_text(yaml.safe_dump(dict(PLEDGE, targets=[dict(PLEDGE["targets"][0], **change)])))
    assert run(setup) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and re.search(message, err), err
    assert not setup["out"].exists()


def test_bad_pledge_date_and_missing_ministry(setup, capsys):
    setup["pledge"].write_text(yaml.safe_dump(dict(PLEDGE, target_date="end of 2027")))
    assert run(setup) == 2
    assert "field target_date: 'end of 2027' is not a date" in capsys.readouterr().err
    setup["pledge"].write_text(yaml.safe_dump({k: v for k, v in PLEDGE.items() if k != "ministry"}))
    assert run(setup) == 2
    assert "field ministry: missing" in capsys.readouterr().err
    setup["pledge"].write_text("ministry: [unclosed\n")
    assert run(setup) == 2
    assert "is not valid YAML" in capsys.readouterr().err


@pytest.mark.parametrize("when, message", [
    ("2027-02-30", "target_date: '2027-02-30' is not a date"),           # no such day
    ("9999-12-31", "target_date: 9999-12-31 is more than 50 years away"),
    ("1999-12-31", "field start_date: must be before the target date 1999-12-31"),
])
def test_impossible_or_far_dates_are_one_clear_line(setup, capsys, when, message):
    # written by hand: YAML reads 2027-02-30 as a date and fails inside the parser
    text = yaml.safe_dump({k: v for k, v in PLEDGE.items() if k != "target_date"})
    setup["pledge"].write_text(f"target_date: {when}\nstart_date: 2025-09-01\n" + text)
    assert run(setup) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not setup["out"].exists()


def test_a_target_with_nobody_in_its_profiles_reports_0_of_0(setup, capsys):
    nobody = dict(PLEDGE["targets"][0], name="Auditors test for bias", profiles=["oversight_audit"])
    setup["pledge"].write_text(yaml.safe_dump(dict(PLEDGE, targets=[PLEDGE["targets"][0], nobody])))
    assert run(setup) == 0
    page = (setup["out"] / "report.html").read_text()
    assert "Auditors test for bias" in page and "nobody on the roster" in page
    rows = read_csv(setup["out"] / "progress.csv")
    assert rows[rows["target"] == "Auditors test for bias"]["staff"].tolist() == ["0"]


def test_bad_gradebooks(setup, capsys):
    missing = setup["tmp"] / "nope.db"
    assert run(setup, gradebooks=[setup["a"], missing]) == 2
    assert f"{missing}: no such gradebook file" in capsys.readouterr().err
    assert not setup["out"].exists()
    assert run(setup, gradebooks=["postgresql://reporter:s3cret@127.0.0.1:1/gb"]) == 2
    err = capsys.readouterr().err
    assert "postgresql://reporter:***@127.0.0.1:1/gb: cannot" in err and "s3cret" not in err
    assert not setup["out"].exists()


def test_not_a_database_names_the_file(setup, capsys):
    assert run(setup, gradebooks=[setup["roster"]]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "roster.csv: cannot" in err and "not a database" in err


# ---------------------------------------------------------------------------------------------
# The fast whole-population path and the records path apply the same rule

@pytest.mark.parametrize("n_gradebooks", [1, 2])
def test_report_path_agrees_with_attained_levels(tmp_path, monkeypatch, n_gradebooks):
    """The pledge's fast path and the evidence records give each person the same level; with two
    gradebooks (a person weak in one cohort and strong in another) each item counts once, with
    the best result, as ``coursekit progress`` counts it."""
    root = ec.make_root(tmp_path / "root")
    ec.use_root(monkeypatch, root)
    rng = random.Random(7)
    subs, rows = [[] for _ in range(n_gradebooks)], []
    for i in range(30):
        lid = f"l{i:02d}"
        rows.append((lid, "", "", "", "D" + str(i % 3), rng.choice(["caseworker", "policy_officer"]), False))
        for mid, spec in ec.MODULES.items():
            for g in range(n_gradebooks):
                if rng.random() < 0.85:
                    scores = {q.gid: (None if q.manual and rng.random() < 0.3 else rng.choice([0, q.points / 2, q.points]))
                              for q in spec["items"]}
                    subs[g].append((lid, mid, scores, ec.at(1 + rng.randrange(25), 1 + rng.randrange(5))))
    gbs = [tmp_path / f"gb{g}.db" for g in range(n_gradebooks)]
    for gb, part in zip(gbs, subs):
        ec.make_gradebook(gb, part)
    roster = pledge.load_roster(write_roster(tmp_path / "r.csv", rows))
    comps = ("fairness_testing", "human_oversight", "ai_fit")
    target = pledge.Target("all", ("caseworker", "policy_officer"), comps, "working", 0.5)
    tags = evidence.course_tags().for_competencies(comps)
    merged = gradebook_read.merge_reads(pd.Index(roster["learner_id"]), [evidence.locate(gb) for gb in gbs], tags,
                                        np.datetime64(NOW, "ns"))
    res = pledge.target_progress(target, roster, merged, pledge._grid(np.datetime64("2025-01-01", "ns"),
                                                                       np.datetime64(NOW, "ns")))
    levels = evidence.attained_levels(pd.concat([evidence.records(gb) for gb in gbs], ignore_index=True))
    from coursekit.platform import competencies
    fw = competencies.framework()
    for k, lid in enumerate(roster["learner_id"]):
        for j, c in enumerate(comps):
            expected = fw.rank(levels.loc[lid, c]) if lid in levels.index else 0
            assert res.ranks[k, j] == expected, (lid, c)
    assert res.ranks.max() >= 2 and (res.ranks == 0).any()            # the data exercise the rule


@pytest.fixture(scope="module")
def two_cohorts(tmp_path_factory):
    """Two cohorts' gradebooks of 120 staff, many taking a module in both, and their roster."""
    tmp = tmp_path_factory.mktemp("two_cohorts")
    root = ec.make_root(tmp / "root")
    rng = random.Random(3)
    subs, rows = [[], []], []
    for i in range(120):
        lid = f"s{i:03d}"
        rows.append((lid, "", "", "", "D" + str(i % 4), rng.choice(["caseworker", "policy_officer"]), False))
        for mid, spec in ec.MODULES.items():
            for g in range(2):
                if rng.random() < 0.7:
                    scores = {q.gid: (None if q.manual and rng.random() < 0.3 else rng.choice([0, q.points / 2, q.points]))
                              for q in spec["items"]}
                    subs[g].append((lid, mid, scores, ec.at(1 + rng.randrange(25), 1 + rng.randrange(5))))
    gbs = [tmp / f"c{g}.db" for g in range(2)]
    for gb, part in zip(gbs, subs):
        ec.make_gradebook(gb, part)
    pledge_file = tmp / "pledge.yml"
    pledge_file.write_text(yaml.safe_dump({
        "ministry": "Ministry of Tests", "target_date": "2026-06-30",
        "targets": [{"name": "all", "profiles": ["caseworker", "policy_officer"],
                     "competencies": ["fairness_testing", "human_oversight", "ai_fit"], "level": "working", "share": 0.5},
                    {"name": "officers", "profiles": ["policy_officer"], "competencies": ["ai_fit"],
                     "level": "awareness", "share": 0.8}]}), encoding="utf-8")
    return root, gbs, write_roster(tmp / "roster.csv", rows), pledge_file


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_the_compiled_loops_give_the_same_report(two_cohorts, tmp_path, monkeypatch, order):
    """Pages, compiled merge and compiled attainment (COURSEKIT_COMPILED=1) against SQL and numpy
    (=0): the same CSV and the same page, figures included, byte for byte."""
    root, gbs, roster, pledge_file = two_cohorts
    ec.use_root(monkeypatch, root)
    monkeypatch.setattr(pledge, "PARALLEL_PEOPLE", 10)             # the people split over two threads
    out = {}
    for setting in ("0", "1"):
        monkeypatch.setenv("COURSEKIT_COMPILED", setting)
        rep = pledge.compute(pledge_file, roster, [gbs[k] for k in order], now=NOW)
        assert len(rep.merged.more_gain) > 20                      # later improvements: the merge is exercised
        pledge_page.write(rep, tmp_path / setting)
        out[setting] = [(tmp_path / setting / f).read_bytes() for f in ("progress.csv", "report.html")]
        res = rep.targets[0].result
        out[setting].append((res.ranks.tobytes(), res.series.tobytes(), res.reached.tobytes()))
    assert out["0"] == out["1"]


def test_a_prefetched_read_gives_the_same_report(two_cohorts, tmp_path, monkeypatch):
    root, gbs, roster, pledge_file = two_cohorts
    ec.use_root(monkeypatch, root)
    monkeypatch.setenv("COURSEKIT_COMPILED", "1")
    plain = pledge.compute(pledge_file, roster, gbs, now=NOW)
    early = gradebook_read.prefetch(str(gbs[0]))
    assert early is not None and early.tags is None                  # started before the items were known
    fetched = pledge.compute(pledge_file, roster, gbs, now=NOW, prefetched=early)
    assert pledge_page.csv_text(plain) == pledge_page.csv_text(fetched)
    early.cancel()
    # no prefetch of what is not a cohort's gradebook file: the command reports those itself
    assert gradebook_read.prefetch(str(tmp_path / "missing.db")) is None
    assert gradebook_read.prefetch(f"sqlite:///{gbs[0]}") is None
    unused = gradebook_read.prefetch(str(gbs[1]))
    unused.cancel()                                                  # left unused: its threads stop
    assert unused._pool is None or unused._pool._shutdown


# ---------------------------------------------------------------------------------------------
# The benchmark script runs end to end at a small size

def test_benchmark_script_small(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "pledge_scale.py"), "--learners", "40",
                           "--workdir", str(tmp_path / "bench"), "--modules", "2"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"learners=40 seconds=\d+\.\d+ peak_mb=\d+", last), last
    assert (tmp_path / "bench" / "report" / "report.html").exists()
    assert (tmp_path / "bench" / "roster.csv").exists()


def test_the_command_skips_the_teardown_but_not_its_output_or_status(tmp_path):
    """The report's process ends without the interpreter's teardown (``cli.skip_teardown``): what
    it printed still arrives, through a pipe, and its exit status is the command's."""
    proc = subprocess.run([sys.executable, "-m", "coursekit", "pledge", "report", "--pledge", str(tmp_path / "none.yml"),
                           "--roster", str(tmp_path / "r.csv"), "--gradebook", str(tmp_path / "g.db"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"coursekit pledge: error: {tmp_path / 'none.yml'}: no such pledge file"]
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# Self-paced checks are not assessed work: refused as a gradebook, shown apart when exported

def test_self_paced_work_is_shown_apart_never_counted(setup, capsys):
    from coursekit.platform import paths

    personal = paths.personal_course_dir() / "gradebook.db"
    personal.parent.mkdir(parents=True, exist_ok=True)
    ec.make_gradebook(personal, [(paths.SELF_LEARNER_ID, "m10_alpha", STRONG, ec.at(2, 5))])
    assert run(setup, gradebooks=[setup["a"], personal]) == 2                 # never mixed in
    assert "own gradebook of self-paced checks" in capsys.readouterr().err
    copy = setup["tmp"] / "someones-copy.db"
    shutil.copy(personal, copy)
    assert run(setup, gradebooks=[setup["a"], copy]) == 2                     # not even as a copy
    assert "self-paced checks" in capsys.readouterr().err
    assert not setup["out"].exists()

    # Six weak Benefits caseworkers export their own (strong) checks under their roster ids.
    exports = []
    for i in range(6, 12):
        out = setup["tmp"] / f"own-{i}.csv"
        assert cli.main(["progress", "--export", str(out), "--id", f"cw-benefits-{i:03d}"]) == 0
        exports.append(out)
    capsys.readouterr()
    assert run(setup, *[x for e in exports for x in ("--self-assessed", str(e))]) == 0
    df = read_csv(setup["out"] / "progress.csv")
    now = today(df)
    assessed = now[(now["evidence"] == "assessed") & (now["department"] == "") & (now["competency"] == "")]
    assert assessed[["staff", "reached"]].values.tolist() == [["21", "11"]]   # unchanged by the exports
    own = df[df["evidence"] == "self-assessed"]
    assert own[["staff", "reached"]].values.tolist() == [["6", "6"]]
    html = (setup["out"] / "report.html").read_text()
    assert "Self-assessed, not counted above: 6 staff" in html and "52.4%" in html

    # One export alone is a group of one: hidden
    assert run(setup, "--self-assessed", str(exports[0]), out=setup["tmp"] / "r1") == 0
    own = read_csv(setup["tmp"] / "r1" / "progress.csv").query("evidence == 'self-assessed'")
    assert own[["staff", "reached"]].values.tolist() == [["", ""]]
    assert "too few" in (setup["tmp"] / "r1" / "report.html").read_text()
