"""coursekit check NOTEBOOK [--json]"""

from __future__ import annotations

import json


def register(sub) -> None:
    from coursekit.platform.grading import limits

    p = sub.add_parser("check", help="grade one exercise notebook and record your progress (learners)",
                       description="Grade an exercise notebook with nbgrader on this computer, print the "
                       "points and feedback for each question, and record the result for `coursekit progress`. "
                       "Save the notebook first. Exits 0 whatever the score.")
    p.add_argument("notebook", help="path to your exercise, e.g. exercises/m01_right_tool/exercise.ipynb")
    p.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")
    limits.add_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from coursekit.platform.grading import check, limits  # imported here so that `coursekit --help` starts fast

    result = check.check(args.notebook, limits.from_arguments(args))
    print(json.dumps(result.as_json(), indent=1) if args.json else result)
    return 0
