#!/usr/bin/env python3
"""Time `coursekit cohort grade --workers N` against nbgrader's own sequential `nbgrader autograde`.

    python benchmarks/grading.py [--submissions 40] [--workers 2] [--repeat 1] [--module ID] [--mini]

Sets up a cohort of SUBMISSIONS learners for a real exercise (by default m01_right_tool from
solutions/ and its release; the two-question test course with --mini or when the module has no
source yet), releases it, and collects one notebook per learner: most answer everything as the
solution does, some give one of the plausible wrong answers of solutions/<id>/wrong_answers.yml,
some leave a question unanswered. Then, on the same machine in the same run, it grades identical
copies of that cohort folder twice, each command in a fresh process as a trainer would run it:

- `coursekit cohort grade MODULE --workers N`
- `nbgrader autograde MODULE`, run inside the copy (nbgrader reads the copy's nbgrader_config.py)

and prints both wall times and their ratio. Each repeat checks that every submission was graded
by coursekit (none lost, none failed) and that its score equals nbgrader's. The order of the two
commands alternates between repeats. coursekit grades as it always does: learner code isolated
(the level is printed) and the hidden tests run by value, apart from learner code. The goal is a
ratio of at least 1.5 on 2 cores with no submission lost (aim: 2); the machine may be shared, so
the load average is printed with each repeat, and CPU seconds per notebook beside the wall times.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODULE = "m01_right_tool"


def env_for(course_root: Path) -> dict:
    env = dict(os.environ)
    env["COURSEKIT_ROOT"] = str(course_root)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    return env


LAST_CPU = [0.0]  # CPU seconds (user + system) of the last command run, with all its children


def run(cmd: list[str], env: dict, cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, proc


def coursekit(args: list[str], env: dict) -> subprocess.CompletedProcess:
    _, proc = run([sys.executable, "-m", "coursekit", *args], env)
    if proc.returncode not in (0, 1):
        sys.exit(f"coursekit {' '.join(args)} failed:\n{proc.stderr}")
    return proc


# ---------------------------------------------------------------------------------------------
# A course to grade

def mini_course(tmp: Path) -> tuple[Path, str]:
    sys.path.insert(0, str(ROOT / "tests"))
    import minicourse

    root = minicourse.make(tmp / "course_root")
    subprocess.run([sys.executable, "-m", "coursekit", "build"], env=env_for(root), check=True,
                   capture_output=True)
    return root, minicourse.MODULE


def _strip_markers(src: str) -> str:
    return "\n".join(ln for ln in src.splitlines() if "BEGIN SOLUTION" not in ln and "END SOLUTION" not in ln)


def _replace_region(src: str, code: str) -> str:
    out, inside = [], False
    for ln in src.splitlines():
        if "BEGIN SOLUTION" in ln:
            inside = True
            out.append(code.rstrip("\n"))
            continue
        if "END SOLUTION" in ln:
            inside = False
            continue
        if not inside:
            out.append(ln)
    return "\n".join(out)


def submissions(course_root: Path, module_id: str, n: int) -> dict[str, str]:
    """learner id -> notebook text: right answers, one plausible wrong answer, or one left blank."""
    import nbformat
    import yaml

    release = nbformat.read(course_root / "exercises" / module_id / "exercise.ipynb", as_version=4)
    solution = nbformat.read(course_root / "solutions" / module_id / "exercise.ipynb", as_version=4)
    sol_src = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in solution.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    wrong_file = course_root / "solutions" / module_id / "wrong_answers.yml"
    wrong = yaml.safe_load(wrong_file.read_text()) if wrong_file.exists() else {"q1_answer": "higher = 'b'"}
    answer_ids = [gid for gid in sol_src if gid in wrong] or list(wrong)
    out = {}
    for i in range(n):
        nb = nbformat.from_dict(json.loads(nbformat.writes(release)))
        kind, target = ("right", None)
        if i % 4 == 1:
            kind, target = "wrong", answer_ids[(i // 4) % len(answer_ids)]
        elif i % 4 == 3:
            kind, target = "blank", answer_ids[(i // 4) % len(answer_ids)]
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            gid = meta.get("grade_id")
            if not meta.get("solution") or gid not in sol_src:
                continue
            if cell.cell_type == "markdown":
                cell.source = "The proposal should be redesigned before it goes ahead, for the reasons above."
            elif gid == target and kind == "blank":
                continue  # keep the release's stub
            elif gid == target and kind == "wrong":
                cell.source = _replace_region(sol_src[gid], wrong[gid])
            else:
                cell.source = _strip_markers(sol_src[gid])
        out[f"L{i + 1:03d}"] = nbformat.writes(nb)
    return out


def prepare(tmp: Path, course_root: Path, module_id: str, n: int) -> Path:
    env = env_for(course_root)
    roster = tmp / "roster.csv"
    with open(roster, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["learner_id", "department", "profile"])
        for i in range(n):
            w.writerow([f"L{i + 1:03d}", f"Department {i % 3 + 1}", "caseworker"])
    pristine = tmp / "pristine"
    coursekit(["cohort", "init", "--dir", str(pristine), "--roster", str(roster)], env)
    coursekit(["cohort", "release", module_id, "--dir", str(pristine)], env)
    uploads = tmp / "uploads"
    uploads.mkdir()
    for lid, text in submissions(course_root, module_id, n).items():
        (uploads / f"{lid}.ipynb").write_text(text, encoding="utf-8")
    proc = coursekit(["cohort", "collect", module_id, "--dir", str(pristine), "--from", str(uploads)], env)
    if proc.returncode != 0:
        sys.exit(f"collect reported problems:\n{proc.stdout}")
    return pristine


# ---------------------------------------------------------------------------------------------
# One repeat

def nbgrader_scores(folder: Path, module_id: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{folder / 'gradebook.db'}", course_id="coursekit") as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(module_id)}


def time_coursekit(folder: Path, module_id: str, workers: int, env: dict) -> tuple[float, dict]:
    secs, proc = run([sys.executable, "-m", "coursekit", "cohort", "grade", module_id, "--dir", str(folder),
                      "--workers", str(workers), "--json", "--quiet"], env)
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.exit(f"coursekit cohort grade printed no JSON (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return secs, out


def time_nbgrader(folder: Path, module_id: str, env: dict) -> tuple[float, int]:
    secs, proc = run([str(Path(sys.executable).parent / "nbgrader"), "autograde", module_id], env, cwd=folder)
    if proc.returncode != 0:
        print(f"  (nbgrader autograde exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]})")
    return secs, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40, help="learners in the cohort (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="coursekit's parallel workers (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of both graders (default 1)")
    parser.add_argument("--module", default=DEFAULT_MODULE, help=f"module to grade (default {DEFAULT_MODULE})")
    parser.add_argument("--mini", action="store_true", help="use the two-question test course instead")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="coursekit-bench-grading-"))
    try:
        if args.mini or not (ROOT / "solutions" / args.module / "exercise.ipynb").exists():
            course_root, module_id = mini_course(tmp)
            what = "the two-question test course (m00_demo)"
        else:
            course_root, module_id = ROOT, args.module
            what = f"{module_id} (solutions/{module_id}/exercise.ipynb and its release)"
        env = env_for(course_root)
        print(f"cores: {os.cpu_count()}; module: {what}; submissions: {args.submissions}; "
              f"coursekit workers: {args.workers}; repeats: {args.repeat}")
        t0 = time.perf_counter()
        pristine = prepare(tmp, course_root, module_id, args.submissions)
        print(f"set up the cohort (init, release, collect) in {time.perf_counter() - t0:.1f} s\n")
        print(f"{'run':>3}  {'coursekit':>10}  {'nbgrader':>9}  {'ratio':>6}  {'graded':>7}  {'failed':>6}  "
              f"{'lost':>4}  {'score diffs':>11}  {'CPU: ours':>9} {'nbgr.':>6}  load before/after")
        ratios, lost_total, failed_total, diff_total = [], 0, 0, 0
        cpu_ours, cpu_theirs, levels = [], [], set()
        for r in range(1, args.repeat + 1):
            ours_dir, theirs_dir = tmp / f"ours{r}", tmp / f"nbgrader{r}"
            shutil.copytree(pristine, ours_dir, symlinks=True)
            shutil.copytree(pristine, theirs_dir, symlinks=True)
            shutil.rmtree(theirs_dir / ".coursekit", ignore_errors=True)  # nothing of the kit's helps nbgrader
            load = os.getloadavg()[0]
            if r % 2:
                ours_s, ours = time_coursekit(ours_dir, module_id, args.workers, env)
                ours_cpu = LAST_CPU[0]
                theirs_s, _ = time_nbgrader(theirs_dir, module_id, env)
                theirs_cpu = LAST_CPU[0]
            else:
                theirs_s, _ = time_nbgrader(theirs_dir, module_id, env)
                theirs_cpu = LAST_CPU[0]
                ours_s, ours = time_coursekit(ours_dir, module_id, args.workers, env)
                ours_cpu = LAST_CPU[0]
            load_after = os.getloadavg()[0]
            subs = {s["learner"]: s for s in ours["submissions"]}
            levels.add(ours.get("isolation", "?"))
            cpu_ours.append(ours_cpu / args.submissions)
            cpu_theirs.append(theirs_cpu / args.submissions)
            graded = sum(s["status"] == "graded" for s in subs.values())
            failed = sum(s["status"] == "failed" for s in subs.values())
            lost = args.submissions - len(subs)
            reference = nbgrader_scores(theirs_dir, module_id)
            diffs = sum(1 for lid, s in subs.items() if s["status"] == "graded" and reference.get(lid) != s["score"])
            diffs += sum(1 for lid in reference if lid not in subs)
            ratio = theirs_s / ours_s
            ratios.append(ratio)
            lost_total += lost + (args.submissions - graded - failed)
            failed_total += failed
            diff_total += diffs
            print(f"{r:>3}  {ours_s:>9.1f}s  {theirs_s:>8.1f}s  {ratio:>5.2f}x  {graded:>3}/{args.submissions:<3}  "
                  f"{failed:>6}  {lost:>4}  {diffs:>11}  {ours_cpu:>6.0f}s {theirs_cpu:>6.0f}s  "
                  f"{load:.1f}/{load_after:.1f}", flush=True)
            for bad in [s for s in subs.values() if s["status"] != "graded"][:3]:
                print(f"       {bad['learner']}: {bad['status']}: {bad['reason']}")
            shutil.rmtree(ours_dir, ignore_errors=True)
            shutil.rmtree(theirs_dir, ignore_errors=True)
        print()
        print(f"ratio nbgrader / coursekit: median {statistics.median(ratios):.2f}x, "
              f"min {min(ratios):.2f}x, max {max(ratios):.2f}x over {len(ratios)} run(s)")
        print(f"submissions lost: {lost_total}; failed: {failed_total}; scores differing from nbgrader's: {diff_total}")
        print(f"CPU per notebook: coursekit {statistics.median(cpu_ours):.2f} s, nbgrader "
              f"{statistics.median(cpu_theirs):.2f} s (medians); coursekit's isolation: {', '.join(sorted(levels))}")
        print("(CPU: user + system seconds of each command and everything it started, kernels included. "
              "On a machine shared with other work the ratio is bounded by the CPU share each command gets; "
              "the load average shows how busy the machine was.)")
        goal = statistics.median(ratios) >= 1.5 and lost_total == 0 and failed_total == 0 and diff_total == 0
        print("goal (>= 1.5x on 2 cores with isolation and grading by value, nothing lost): "
              + ("met" if goal else "NOT met"))
        return 0 if lost_total == 0 and failed_total == 0 and diff_total == 0 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
