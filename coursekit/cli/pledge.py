"""coursekit pledge report --pledge FILE --roster CSV --gradebook URL_OR_PATH [...] --out DIR"""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("pledge", help="progress against a ministry's competency pledge (ministries)",
                       description="Reports on a competency pledge from nbgrader gradebooks and a staff roster.")
    psub = p.add_subparsers(dest="pledge_command", metavar="ACTION")
    r = psub.add_parser("report", help="write report.html and progress.csv for a pledge",
                        description="Measure progress against a pledge (competencies/pledges/ has an example) from "
                        "one or more nbgrader gradebooks and a roster CSV (learner_id, first_name, last_name, email, "
                        "department, profile). Writes a self-contained report.html and progress.csv into --out and "
                        "prints a one-line summary. No learner is named; groups smaller than --min-group are hidden.")
    r.add_argument("--pledge", required=True, metavar="FILE", help="the pledge (YAML)")
    r.add_argument("--roster", required=True, metavar="CSV", help="staff roster CSV")
    r.add_argument("--gradebook", required=True, action="append", metavar="URL_OR_PATH",
                   help="an nbgrader gradebook: a gradebook.db path or a database URL (repeat for several)")
    r.add_argument("--self-assessed", action="append", default=[], metavar="CSV",
                   help="a learner's export of their own checks (coursekit progress --export), shown apart from "
                   "the assessed figures (repeat for several)")
    r.add_argument("--out", required=True, metavar="DIR", help="folder for report.html and progress.csv")
    r.add_argument("--min-group", type=int, default=5, metavar="N",
                   help="hide groups of fewer than N people (default 5, at least 3)")
    r.set_defaults(func=run_report)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _load_compiled() -> None:
    from coursekit.platform.nbgrader_adapter import grade_pages
    from coursekit.platform.reports import attainment_loop

    grade_pages.ready() and attainment_loop.ready()


def run_report(args) -> int:
    import gc
    import os

    from coursekit.cli import skip_teardown

    skip_teardown()                # nothing is left to close when the report is written

    # The report does no linear algebra: OpenBLAS's idle threads would only spin beside it.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # The report makes few objects that refer to each other, but the collector would walk every
    # module's objects again and again as they load and while large arrays are made: collect
    # rarely, and never again through what is loaded.
    gc.set_threshold(100_000, 50, 100)

    from coursekit.platform import compiled
    from coursekit.platform.nbgrader_adapter import gradebook_read

    # The first gradebook's submissions are queried (by SQLite, beside the interpreter) while the
    # rest of the command loads, the compiled loops included.
    early = gradebook_read.prefetch(args.gradebook[0])
    compiled.warm_up(args.gradebook, _load_compiled)
    try:
        from coursekit.platform.reports import pledge, pledge_page

        gc.freeze()

        out = pledge_page.check_folder(args.out)          # before the work, not after it
        rep = pledge.compute(args.pledge, args.roster, args.gradebook, min_group=args.min_group,
                             self_assessed=args.self_assessed, prefetched=early)
    finally:
        if early is not None:
            early.cancel()                             # a read left unused stops (a finished one is unaffected)
    pledge_page.write(rep, out)
    print(rep)
    return 0
