"""coursekit build [--check] [MODULE ...]"""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("build", help="regenerate exercises/ from solutions/ with nbgrader (authors)",
                       description="Regenerate exercises/<id>/ from solutions/<id>/ with nbgrader's "
                       "generate_assignment. With --check, change nothing and fail when a release is "
                       "stale, leaks a solution or hidden test, or a graded cell has no competency tag.")
    p.add_argument("modules", nargs="*", metavar="MODULE", help="module ids (default: every module in the syllabus)")
    p.add_argument("--check", action="store_true", help="verify instead of writing; exit 1 on any problem")
    p.set_defaults(func=run)


def run(args) -> int:
    from coursekit.platform.authoring import build  # imported here so that `coursekit --help` starts fast

    changed, problems = build.build(args.modules or None, check=args.check)
    for path in changed:
        print(f"wrote {path}")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    if args.check:
        print("exercises/ is up to date and leaks nothing")
    elif not changed:
        print("exercises/ already up to date")
    return 0
