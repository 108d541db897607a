"""How long a pledge report takes over a large synthetic civil service, and how much memory.

    python benchmarks/pledge_scale.py --learners 100000 --workdir /tmp/pledge-bench [--modules 6]

Into DIR it writes a course root (the kit's course/ and competencies/, the syllabus's modules, and
for each module a tagged solution notebook: the real one when it exists, else a synthetic one
tagged with the module's syllabus competencies), ``roster.csv`` (N learners in departments and job
profiles), ``gradebook.db`` (an nbgrader gradebook: the schema made once by nbgrader's Gradebook,
then every row bulk-inserted with SQLAlchemy Core; every learner has submitted every module,
hand-graded answers mostly graded; beyond 100,000 learners SQLite copies the first 100,000
learners' submissions and grades to the others, with ids of their own) and ``pledge.yml`` (every job profile, every competency the
modules teach: the worst case, which reads every grade). It then runs
``coursekit pledge report`` in a child process into DIR/report and prints, last, one line:

    learners=N seconds=S peak_mb=M

S is the report's wall-clock time, M its peak resident memory in MB (getrusage(RUSAGE_CHILDREN)
once the report's process has ended; the report reads SQLite in threads of that one process, and a
sampled sum over its process tree is printed on the line above as a check). ``--modules K`` uses K
modules: the syllabus's first K, padded with synthetic ones, to measure a course larger than
today's. A gradebook already in DIR built with the same settings is reused (``--fresh`` rebuilds).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coursekit.platform import competencies
from coursekit.platform import evidence
from coursekit.platform import nbgrader_adapter
from coursekit.platform import paths
from coursekit.platform import syllabus  # noqa: E402
from coursekit.platform.nbgrader_adapter.gradebook import NOTEBOOK  # noqa: E402

DEPARTMENTS = [  # (name, relative size); the last is deliberately tiny (its groups are suppressed)
    ("Work and Pensions", 30), ("Revenue and Customs", 22), ("Health", 14), ("Justice", 10),
    ("Education", 8), ("Home Affairs", 7), ("Transport", 4), ("Environment", 3),
    ("Housing and Communities", 2), ("Digital Service", 0.00004),
]
PROFILE_SHARE = {"caseworker": 40, "public_contact": 14, "policy_officer": 15, "senior_leader": 8,
                 "data_practitioner": 9, "procurement_officer": 7, "oversight_audit": 7}
FIRST = ["Ana", "Ben", "Chloe", "Dariusz", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kofi", "Lea"]
LAST = ["Andersen", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Horvath", "Ivanova"]
EXTRA_MODULES = [("m02_data_quality", ["data_quality", "data_protection"]),
                 ("m05_impact_assessment", ["impact_assessment", "transparency"]),
                 ("m06_procurement_monitoring", ["procurement", "monitoring"]),
                 ("m07_extra", ["ai_law", "human_oversight"]), ("m08_extra", ["ai_fit", "transparency"])]
LEVEL_PLAN = ["awareness", "awareness", "working", "working", "working", "practitioner"]


# ---------------------------------------------------------------------------------------------
# The course root

def synthetic_notebook(module_id: str, comps: list[str]):
    """Six autograded questions and two written answers, tagged across ``comps``."""
    def meta(**kw):
        base = {"schema_version": 3, "grade": False, "solution": False, "locked": False}
        base.update(kw)
        return {"nbgrader": base}

    cells = [new_markdown_cell(f"# {module_id}", metadata=meta(locked=True, grade_id="intro"))]
    for i, level in enumerate(LEVEL_PLAN, start=1):
        tag = {"coursekit": {"competencies": [comps[i % len(comps)]], "level": level}}
        cells.append(new_code_cell(f"### BEGIN SOLUTION\nq{i} = {i}\n### END SOLUTION",
                                   metadata=meta(solution=True, grade_id=f"q{i}_answer")))
        cells.append(new_code_cell(f"assert q{i} == {i}", metadata={**meta(grade=True, locked=True, points=1 + i % 3,
                                                                          grade_id=f"q{i}"), **tag}))
    for j, level in enumerate(("working", "practitioner"), start=1):
        tag = {"coursekit": {"competencies": list(comps[:2]), "level": level}}
        cells.append(new_markdown_cell("### BEGIN SOLUTION\nModel answer.\n### END SOLUTION",
                                       metadata={**meta(solution=True, grade=True, points=4, grade_id=f"w{j}"), **tag}))
    nb = new_notebook(cells=cells)
    nb.metadata["coursekit"] = {"module": module_id}
    return nb


def make_root(workdir: Path, n_modules: int) -> tuple[Path, list[dict]]:
    root = workdir / "course_root"
    if root.exists():
        shutil.rmtree(root)
    (root / "course").mkdir(parents=True)
    for name in ("nbgrader_config.py", "seeds.yml"):
        if (REPO / "course" / name).exists():
            shutil.copy(REPO / "course" / name, root / "course")
    shutil.copytree(REPO / "competencies", root / "competencies")
    real = yaml.safe_load((REPO / "course" / "syllabus.yml").read_text(encoding="utf-8"))["modules"]
    entries = list(real if n_modules <= 0 else real[:n_modules])
    extra = iter(EXTRA_MODULES)
    while n_modules > len(entries):
        mid, comps = next(extra)
        entries.append({"id": mid, "title": mid, "minutes": 60, "profiles": list(PROFILE_SHARE),
                        "outcomes": ["Apply it."], "competencies": comps, "datasets": [], "seeds": []})
    (root / "course" / "syllabus.yml").write_text(yaml.safe_dump({"modules": entries}, sort_keys=False), encoding="utf-8")
    for e in entries:
        dest = root / "solutions" / e["id"]
        dest.mkdir(parents=True)
        src = REPO / "solutions" / e["id"] / "exercise.ipynb"
        items = []
        if src.exists():
            try:
                items, problems = evidence.read_tags(src, e["id"])
            except Exception:
                items, problems = [], ["unreadable"]
            if items and not problems:
                shutil.copy(src, dest / "exercise.ipynb")
        if not (dest / "exercise.ipynb").exists():
            nbformat.write(synthetic_notebook(e["id"], list(e.get("competencies") or ["ai_fit"])), dest / "exercise.ipynb")
    return root, entries


def use_root(root: Path) -> None:
    os.environ["COURSEKIT_ROOT"] = str(root)
    syllabus._load.cache_clear()
    competencies._load.cache_clear()


# ---------------------------------------------------------------------------------------------
# The roster and the gradebook

def make_roster(path: Path, n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    names, weights = zip(*DEPARTMENTS)
    profiles, pw = zip(*PROFILE_SHARE.items())
    people = []
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["learner_id", "first_name", "last_name", "email", "department", "profile"])
        for i in range(n):
            lid = f"u{i:07d}"
            dept = rng.choices(names, weights)[0] if i >= 3 else names[-1]  # three in the tiny department
            prof = rng.choices(profiles, pw)[0]
            first, last = rng.choice(FIRST), rng.choice(LAST)
            w.writerow([lid, first, last, f"{first}.{last}.{i}@example.gov".lower(), dept, prof])
            people.append((lid, dept, prof))
    return people


def make_gradebook(db: Path, people, tags: evidence.Tags, modules: list[str], rng: random.Random, now: datetime) -> int:
    """An nbgrader gradebook: schema by nbgrader, rows bulk-inserted. Returns the number of grades."""
    from nbgrader.api import Base, Gradebook
    from sqlalchemy import create_engine, insert

    if db.exists():
        db.unlink()
    url = f"sqlite:///{db}"
    nbgrader_adapter.config.ensure_env_bin_on_path()
    with Gradebook(url, course_id=paths.COURSE_ID):
        pass  # creates the schema and stamps nbgrader's alembic version
    T = Base.metadata.tables
    engine = create_engine(url)
    uid = lambda: uuid.uuid4().hex  # noqa: E731  nbgrader's own id format
    n_grades = 0
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode = OFF")
        conn.exec_driver_sql("PRAGMA synchronous = OFF")
        conn.exec_driver_sql("PRAGMA cache_size = -1000000")
        cells_by_module: dict[str, list[tuple[str, evidence.Item]]] = {}
        nb_id = {}
        for m in modules:
            aid, nid = uid(), uid()
            nb_id[m] = nid
            conn.execute(insert(T["assignment"]), [{"id": aid, "name": m, "course_id": paths.COURSE_ID}])
            conn.execute(insert(T["notebook"]), [{"id": nid, "name": NOTEBOOK, "assignment_id": aid}])
            rows_bc, rows_gc, rows_sc = [], [], []
            for it in (i for i in tags.items if i.module == m):
                cid = uid()
                rows_bc.append({"id": cid, "name": it.item, "notebook_id": nid, "type": "GradeCell"})
                rows_gc.append({"id": cid, "max_score": it.points, "cell_type": "markdown" if it.manual else "code"})
                cells_by_module.setdefault(m, []).append((cid, it))
                if it.manual:
                    sid = uid()
                    rows_bc.append({"id": sid, "name": it.item, "notebook_id": nid, "type": "SolutionCell"})
                    rows_sc.append({"id": sid})
            conn.execute(insert(T["base_cell"]), rows_bc)
            conn.execute(insert(T["grade_cells"]), rows_gc)
            if rows_sc:
                conn.execute(insert(T["solution_cells"]), rows_sc)
        conn.execute(insert(T["student"]), [{"id": lid} for lid, _, _ in people])
        assign_id = dict(conn.exec_driver_sql("SELECT name, id FROM assignment").fetchall())
        level_rank = {lv: i for i, lv in enumerate(competencies.framework().levels)}
        sql_grade = ("INSERT INTO grade (id, notebook_id, cell_id, auto_score, manual_score, extra_credit, "
                     "needs_manual_grade) VALUES (?, ?, ?, ?, ?, NULL, ?)")
        batch_sa, batch_sn, batch_g = [], [], []
        span = 720 * 86400

        def flush():
            conn.execute(insert(T["submitted_assignment"]), batch_sa)
            conn.execute(insert(T["submitted_notebook"]), batch_sn)
            conn.exec_driver_sql(sql_grade, batch_g)
            batch_sa.clear(), batch_sn.clear(), batch_g.clear()

        for lid, _dept, _prof in people[:BLOCK]:
            ability = rng.betavariate(5, 2)
            t = now - timedelta(seconds=rng.random() * span)
            for m in modules:
                t = min(t + timedelta(days=rng.uniform(3, 40)), now - timedelta(hours=rng.uniform(1, 48)))
                said, snid = uid(), uid()
                batch_sa.append({"id": said, "assignment_id": assign_id[m], "student_id": lid, "timestamp": t})
                batch_sn.append({"id": snid, "assignment_id": said, "notebook_id": nb_id[m]})
                for cid, it in cells_by_module.get(m, []):
                    p_right = max(0.05, min(0.98, ability - 0.12 * level_rank[it.level] + 0.1))
                    if it.manual:
                        graded = rng.random() < 0.8
                        score = round(it.points * min(1.0, max(0.0, rng.gauss(p_right, 0.2))) * 2) / 2 if graded else None
                        batch_g.append((uid(), snid, cid, None, score, 1))
                    else:
                        batch_g.append((uid(), snid, cid, it.points if rng.random() < p_right else 0.0, None, 0))
                    n_grades += 1
            if len(batch_g) > 200_000:
                flush()
        if batch_sa:
            flush()
        n_grades += replicate(conn, len(people))
    engine.dispose()
    return n_grades


# Beyond BLOCK learners, SQLite copies the first BLOCK learners' submissions and grades to the next
# ones (learner i + k * BLOCK gets learner i's scores and dates, with ids of its own), which is as
# many times faster than Python as it is big. The copies' ids are 32 hex digits like nbgrader's,
# "%08x%024x" % (copy, original rowid): increasing, so every index grows at its end instead of at
# random places (random inserts into indexes larger than memory are what makes a big build crawl).
BLOCK = 100_000
_COPY_ID = "printf('%08x%024x', :k, {})"
_LEARNER_NO = "CAST(substr({}, 2) AS INTEGER)"


def replicate(conn, n_learners: int) -> int:
    """Fill learners BLOCK..n_learners-1 with copies of the first BLOCK's work; the grades added."""
    if n_learners <= BLOCK:
        return 0
    n_sa, n_sn, n_g = (conn.exec_driver_sql(f"SELECT MAX(rowid) FROM {t}").fetchone()[0]
                       for t in ("submitted_assignment", "submitted_notebook", "grade"))
    added = 0
    for k in range(1, math.ceil(n_learners / BLOCK)):
        p = {"k": k, "off": k * BLOCK, "count": min(BLOCK, n_learners - k * BLOCK)}
        learner = _LEARNER_NO.format("sa.student_id")
        conn.exec_driver_sql(
            "INSERT INTO submitted_assignment (id, assignment_id, student_id, timestamp, extension) "
            f"SELECT {_COPY_ID.format('sa.rowid')}, sa.assignment_id, printf('u%07d', {learner} + :off), "
            f"sa.timestamp, sa.extension FROM submitted_assignment sa WHERE sa.rowid <= {n_sa} "
            f"AND {learner} < :count ORDER BY sa.rowid", p)
        conn.exec_driver_sql(
            "INSERT INTO submitted_notebook (id, assignment_id, notebook_id, flagged, late_submission_penalty) "
            f"SELECT {_COPY_ID.format('sn.rowid')}, {_COPY_ID.format('sa.rowid')}, sn.notebook_id, sn.flagged, "
            "sn.late_submission_penalty FROM submitted_notebook sn "
            "JOIN submitted_assignment sa ON sa.id = sn.assignment_id "
            f"WHERE sn.rowid <= {n_sn} AND {learner} < :count ORDER BY sn.rowid", p)
        before = conn.exec_driver_sql("SELECT MAX(rowid) FROM grade").fetchone()[0]
        conn.exec_driver_sql(
            "INSERT INTO grade (id, notebook_id, cell_id, auto_score, manual_score, extra_credit, needs_manual_grade) "
            f"SELECT {_COPY_ID.format('g.rowid')}, {_COPY_ID.format('sn.rowid')}, g.cell_id, g.auto_score, "
            "g.manual_score, g.extra_credit, g.needs_manual_grade FROM grade g "
            "JOIN submitted_notebook sn ON sn.id = g.notebook_id "
            "JOIN submitted_assignment sa ON sa.id = sn.assignment_id "
            f"WHERE g.rowid <= {n_g} AND {learner} < :count ORDER BY g.rowid", p)
        added += conn.exec_driver_sql("SELECT MAX(rowid) FROM grade").fetchone()[0] - before
        print(f"  copied learners {k * BLOCK}..{k * BLOCK + p['count'] - 1}", flush=True)
    return added


def make_pledge(path: Path, tags: evidence.Tags, now: datetime) -> None:
    taught = [c for c in competencies.framework().ids if any(c in it.competencies for it in tags.items)]
    pledge = {
        "ministry": "Ministry of Benchmarks",
        "title": "Responsible AI skills for every member of staff",
        "target_date": (now.date() + timedelta(days=365)).isoformat(),
        "targets": [
            {"name": "Everyone at working level", "profiles": list(PROFILE_SHARE), "competencies": taught,
             "level": "working", "share": 0.6},
            {"name": "Leaders and auditors at practitioner level", "profiles": ["senior_leader", "oversight_audit"],
             "competencies": taught[:2], "level": "practitioner", "share": 0.5},
        ],
    }
    path.write_text(yaml.safe_dump(pledge, sort_keys=False), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Timing

def tree_rss(pid: int) -> int:
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for q in procs:
        try:
            total += q.memory_info().rss
        except psutil.Error:
            pass
    return total


# Runs the report and measures it from a small process of its own: a child forked from this
# (large, after generating the gradebook) process would report this process's memory as its own.
MEASURE = """
import json, resource, subprocess, sys, time
cmd = json.loads(sys.argv[1])
start = time.perf_counter()
proc = subprocess.run(cmd, capture_output=True, text=True)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "seconds": seconds, "maxrss_kb": usage.ru_maxrss, "user": usage.ru_utime,
                  "sys": usage.ru_stime, "stdout": proc.stdout, "stderr": proc.stderr}))
"""


def time_report(workdir: Path, root: Path) -> dict:
    out = workdir / "report"
    cmd = [sys.executable, "-m", "coursekit", "pledge", "report", "--pledge", str(workdir / "pledge.yml"),
           "--roster", str(workdir / "roster.csv"), "--gradebook", str(workdir / "gradebook.db"), "--out", str(out)]
    env = dict(os.environ, COURSEKIT_ROOT=str(root), MPLBACKEND="Agg")
    peak_tree = 0
    proc = subprocess.Popen([sys.executable, "-c", MEASURE, json.dumps(cmd)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample():
        nonlocal peak_tree
        while not done.is_set():
            peak_tree = max(peak_tree, tree_rss(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    done.set()
    sampler.join()
    result = json.loads(stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        sys.exit(f"pledge report failed (exit {result['rc']}):\n{result['stderr']}")
    result["peak_mb"] = result["maxrss_kb"] / 1024       # ru_maxrss is in kilobytes on Linux
    result["tree_mb"] = peak_tree / 2**20
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learners", type=int, required=True)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--modules", type=int, default=0, help="number of modules (default: the syllabus's)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--fresh", action="store_true", help="rebuild the gradebook even if one with these settings exists")
    args = ap.parse_args(argv)
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)

    root, entries = make_root(workdir, args.modules)
    use_root(root)
    modules = [e["id"] for e in entries]
    tags = evidence.course_tags()
    settings = {"learners": args.learners, "modules": modules, "seed": args.seed,
                "items": [[it.module, it.item, list(it.competencies), it.level, it.points, it.manual] for it in tags.items]}
    stamp = workdir / "gradebook.settings.json"
    t0 = time.perf_counter()
    if args.fresh or not stamp.exists() or json.loads(stamp.read_text()) != settings or not (workdir / "gradebook.db").exists():
        people = make_roster(workdir / "roster.csv", args.learners, rng)
        n_grades = make_gradebook(workdir / "gradebook.db", people, tags, modules, rng, now)
        stamp.write_text(json.dumps(settings))
        print(f"generated roster and gradebook: {args.learners} learners, {len(modules)} modules, "
              f"{len(tags.items)} graded items, {n_grades} grades in {time.perf_counter() - t0:.0f} s", flush=True)
    else:
        print(f"reusing the gradebook in {workdir} (same settings)", flush=True)
    make_pledge(workdir / "pledge.yml", tags, now)
    size_mb = (workdir / "gradebook.db").stat().st_size / 2**20
    print(f"modules={','.join(modules)} gradebook_mb={size_mb:.0f} cpus={os.cpu_count()}", flush=True)

    r = time_report(workdir, root)
    print(f"report: {r['stdout'].strip()}")
    print(f"cpu_user={r['user']:.1f} cpu_sys={r['sys']:.1f} peak_tree_mb={r['tree_mb']:.0f} "
          "(CPU seconds of the report; sampled memory of its process tree)")
    print(f"learners={args.learners} seconds={r['seconds']:.2f} peak_mb={r['peak_mb']:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
