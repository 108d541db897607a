"""coursekit build [--check [--fast]] [MODULE ...]"""

from __future__ import annotations

import sys
import time


def register(sub) -> None:
    p = sub.add_parser("build", help="regenerate exercises/ from solutions/ with nbgrader; --check: the definition of done (authors)",
                       description="Regenerate exercises/<id>/ from solutions/<id>/ with nbgrader's "
                       "generate_assignment. With --check, change nothing and check every module against the "
                       "definition of done: the release is current and leaks nothing; the syllabus entry, lesson, "
                       "facilitator guide and exercise are complete and tagged; the solution scores full marks, the "
                       "release 0, a removed or plausible wrong answer loses its points (graded with nbgrader); no "
                       "answer can be read off the lesson. Prints one line '<module>: <what to fix>' per problem "
                       "and exits 1 when there is any. See course/AUTHORING.md.")
    p.add_argument("modules", nargs="*", metavar="MODULE", help="module ids (default: every module in the syllabus)")
    p.add_argument("--check", action="store_true", help="verify instead of writing; exit 1 on any problem")
    p.add_argument("--fast", action="store_true",
                   help="with --check: skip the rules that grade the exercise with nbgrader (about a minute per "
                        "module); the other rules still run (implies --check)")
    p.set_defaults(func=run)


def run(args) -> int:
    # imported here so that `coursekit --help` starts fast
    from coursekit.platform.authoring import build
    from coursekit.platform.authoring import lint

    check = args.check or args.fast
    started = time.monotonic()
    changed, problems = build.build(args.modules or None, check=check)
    for path in changed:
        print(f"wrote {path}")
    lines = [str(p) for p in problems]
    if check:
        report = lint.check(args.modules or None, grade=not args.fast)
        lines += [str(f) for f in report.findings]
        for finding, waiver in report.waived:
            print(f"waived: {finding} (reason: {waiver.reason})")
        if report.skipped:
            print(f"not run (--fast): {', '.join(report.skipped)}")
    for line in lines:
        print(line, file=sys.stderr)
    if lines:
        print(f"{len(lines)} problem(s) found", file=sys.stderr)
        return 1
    if check:
        print(f"every module meets the definition of done ({time.monotonic() - started:.0f} s)")
    elif not changed:
        print("exercises/ already up to date")
    return 0
