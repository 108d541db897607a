"""coursekit cohort {init,release,collect,grade,feedback,export} --dir DIR ..."""

from __future__ import annotations

import argparse
import json
import sys

from coursekit.errors import UsageError


def _dir(p) -> None:
    p.add_argument("--dir", default=".", metavar="DIR", help="the cohort folder (default: the current folder)")


def register(sub) -> None:
    from coursekit.platform.grading import limits

    p = sub.add_parser("cohort", help="run a cohort: release, collect, grade in parallel, feedback, export (trainers)",
                       description="A trainer's workflow around nbgrader: set up a cohort folder with a "
                       "gradebook and roster, release an exercise, collect the notebooks, grade them in "
                       "parallel under time and memory limits, return feedback without hidden tests, and "
                       "export scores by question and competency. See course/workshops/.")
    cs = p.add_subparsers(dest="cohort_command", metavar="STEP")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    q = cs.add_parser("init", help="create a cohort folder, its gradebook and its learners",
                      description="Create an nbgrader course folder from the kit's solutions/ (the modules of "
                      "course/syllabus.yml), a gradebook, and the roster's learners as students. Running it "
                      "again on the folder adds new learners and new modules.")
    _dir(q)
    q.add_argument("--roster", required=True, metavar="CSV",
                   help="CSV with columns learner_id, department, profile (and optional first_name, last_name, email)")
    q.add_argument("--db-url", metavar="URL", help="gradebook database URL (default: SQLite gradebook.db in DIR), "
                   "e.g. postgresql://grader@db.example/cohort1")
    q.add_argument("--exchange", metavar="PATH", help="nbgrader exchange root for release and collect on "
                   "JupyterHub, e.g. /srv/nbgrader/exchange (default: none; hand out files instead)")
    q.add_argument("--course-id", metavar="ID", help="nbgrader course id (default coursekit); give each cohort "
                   "sharing one exchange its own")
    q.set_defaults(func=run_init)

    q = cs.add_parser("release", help="generate an exercise and hand it out",
                      description="Generate the learners' version of MODULE with nbgrader, write it as plain files "
                      "(DIR/handout/MODULE/ and DIR/handout/MODULE.zip) and, when an exchange is configured, "
                      "release it there too.")
    _dir(q)
    q.add_argument("module", metavar="MODULE")
    q.set_defaults(func=run_release)

    q = cs.add_parser("collect", help="bring in the learners' notebooks",
                      description="Copy each learner's notebook into DIR/submitted/<learner>/MODULE/. With --from, "
                      "read a folder or .zip of uploads named <learner_id>.ipynb; without it, collect from "
                      "nbgrader's exchange. Files of unknown learners, duplicates and non-notebooks are "
                      "reported and left out; exit status 1 when there are any.")
    _dir(q)
    q.add_argument("module", metavar="MODULE")
    q.add_argument("--from", dest="source", metavar="PATH", help="folder or .zip of uploaded notebooks")
    q.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")
    q.set_defaults(func=run_collect)

    q = cs.add_parser("grade", help="autograde every new or changed submission, in parallel",
                      description="Autograde the submissions of MODULE with nbgrader, several at a time, under a "
                      "per-cell and a per-notebook time limit and a memory limit, learner code isolated from the grader's "
                      "files, the network and other learners, and the hidden tests run apart from learner code. "
                      "Each submission ends graded, "
                      "failed (with the reason) or skipped (unchanged since it was graded). Exit status 1 "
                      "when any failed.")
    _dir(q)
    q.add_argument("module", metavar="MODULE")
    q.add_argument("--workers", type=int, default=None, metavar="N", help="notebooks graded at once (default: the number of cores)")
    q.add_argument("--force", action="store_true", help="grade again even the unchanged ones")
    q.add_argument("--learners", type=_id_list, metavar="ID,ID", help="only these learners' submissions "
                   "(comma-separated ids), e.g. when trainers sharing one gradebook split a cohort")
    q.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")
    limits.add_arguments(q)
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.add_argument("--db-writes", choices=["merge", "direct"], default="merge", help=argparse.SUPPRESS)
    q.add_argument("--allow-unisolated", action="store_true",
                   help="grade even where learner code cannot be isolated (no Landlock: macOS, Windows, old Linux); "
                        "only for submissions you trust")
    q.set_defaults(func=run_grade)

    q = cs.add_parser("feedback", help="HTML feedback for each learner, hidden tests stripped",
                      description="Write DIR/feedback/<learner>/MODULE/exercise.html for every graded learner with "
                      "nbgrader, without hidden tests or their tracebacks; each file is checked before it is kept.")
    _dir(q)
    q.add_argument("module", metavar="MODULE")
    q.set_defaults(func=run_feedback)

    q = cs.add_parser("export", help="scores by question and by competency, as evidence records",
                      description="Write the cohort's evidence records (learner id, module, item, competency, level, "
                      "points, out of, source, time) and per-competency totals, as CSV or JSON, into DIR/export/ "
                      "(or --out). Learner ids only: no names or emails.")
    _dir(q)
    q.add_argument("--format", choices=["csv", "json"], default="csv")
    q.add_argument("--out", metavar="FOLDER", help="where to write (default DIR/export)")
    q.add_argument("--module", action="append", metavar="MODULE", help="only this module (repeatable)")
    q.set_defaults(func=run_export)


def _id_list(text: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("give one or more learner ids, separated by commas")
    return ids


def _cohort(args):
    from coursekit.platform.cohort import Cohort

    return Cohort.open(args.dir)


def run_init(args) -> int:
    from coursekit.platform.cohort import setup

    rep = setup.init(args.dir, args.roster, args.db_url, args.exchange, args.course_id)
    verb = "created" if rep.created else "updated"
    print(f"{verb} cohort {rep.root}")
    from coursekit.platform.nbgrader_adapter.gradebook import shown_url

    print(f"  gradebook: {shown_url(rep.db_url)}")
    print(f"  modules:   {', '.join(rep.modules)}")
    if rep.missing_modules:
        print(f"  not yet available (no source notebook): {', '.join(rep.missing_modules)}")
    print(f"  learners:  {len(rep.added)} added, {len(rep.updated)} updated"
          + (f", {len(rep.kept)} kept that are not in this roster" if rep.kept else ""))
    print(f"next: coursekit cohort release {rep.modules[0]} --dir {args.dir}")
    return 0


def run_release(args) -> int:
    from coursekit.platform.cohort import setup

    rep = setup.release(_cohort(args), args.module)
    print(f"released {rep.module}")
    print(f"  hand out: {rep.handout_dir} (folder) or {rep.zip_path} (zip)")
    if rep.exchange:
        print(f"  and on nbgrader's exchange at {rep.exchange}: learners fetch it from the Assignments tab")
    print(f"then collect the notebooks, named <learner_id>.ipynb: coursekit cohort collect {rep.module} --from UPLOADS --dir {args.dir}")
    return 0


def run_collect(args) -> int:
    from coursekit.platform.cohort import collect

    rep = collect.collect(_cohort(args), args.module, args.source)
    if args.json:
        print(json.dumps(rep.as_json(), indent=1))
    else:
        print(f"{rep.module} from {rep.source}: {len(rep.collected)} collected (new or changed), "
              f"{len(rep.unchanged)} unchanged")
        for name, lid in rep.unknown:
            print(f"  unknown learner: {name} (no learner {lid!r} in the roster; rename it to <learner_id>.ipynb, "
                  "or add the learner with `cohort init --roster`)")
        for lid, files in rep.duplicates:
            print(f"  duplicate: {len(files)} files for {lid}: {', '.join(files)}; none taken, keep one and collect again")
        for name, why in rep.ignored:
            print(f"  left out: {name}: {why}")
    return 1 if rep.problems else 0


def _limits(args, cohort):
    from coursekit.platform.grading import limits

    return limits.from_arguments(args, cohort.config())


def run_grade(args) -> int:
    from coursekit.platform.cohort import grade

    cohort = _cohort(args)
    rep = grade.grade(cohort, args.module, workers=args.workers, force=args.force,
                      limits=_limits(args, cohort), progress=not args.quiet, db_writes=args.db_writes,
                      allow_unisolated=args.allow_unisolated, learners=args.learners)
    print(json.dumps(rep.as_json(), indent=1) if args.json else rep)
    return 1 if rep.count(grade.FAILED) else 0


def run_feedback(args) -> int:
    from coursekit.platform.cohort import feedback

    rep = feedback.feedback(_cohort(args), args.module)
    print(f"{rep.module}: feedback for {len(rep.written)} learner(s) in {rep.root}")
    for lid, why in rep.withheld:
        print(f"  withheld for {lid}: {why}", file=sys.stderr)
    if rep.exchange:
        print(f"  released to the exchange at {rep.exchange}")
    return 1 if rep.withheld else 0


def run_export(args) -> int:
    from coursekit.platform.cohort import export

    rep = export.export(_cohort(args), fmt=args.format, out=args.out, modules=args.module)
    print(f"wrote {rep.evidence_path} ({rep.n_evidence} evidence records) and "
          f"{rep.competency_path} ({rep.n_competency} per-competency rows)")
    return 0
