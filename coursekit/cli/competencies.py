"""coursekit competencies coverage [--json] | coursekit competencies check"""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("competencies", help="the competency framework: coverage by graded items (authors)",
                       description="Inspect the competency framework (competencies/framework.yml) against the course.")
    psub = p.add_subparsers(dest="competencies_command", metavar="ACTION")
    c = psub.add_parser("coverage", help="which graded items evidence each competency and level",
                        description="For each competency and level, list the graded items (module, grade_id, "
                        "points) whose tags say they evidence it, from solutions/<id>/exercise.ipynb of every "
                        "module in course/syllabus.yml. A competency no item evidences is listed as not covered.")
    c.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")
    c.set_defaults(func=run_coverage)
    k = psub.add_parser("check", help="check framework.yml, profiles.yml and the ids the syllabus uses",
                        description="Fail (exit 1) when framework.yml or profiles.yml is incomplete or names an "
                        "unknown id, or when the syllabus names an unknown profile or competency.")
    k.set_defaults(func=run_check)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_coverage(args) -> int:
    from coursekit.platform import competencies
    from coursekit.platform import evidence

    cov = evidence.coverage()
    if args.json:
        print(json.dumps(cov, indent=1))
        return 0
    fw = competencies.framework()
    domains = dict(fw.domains)
    current = None
    for c in cov["competencies"]:
        if c["domain"] != current:
            current = c["domain"]
            print(f"\n{domains.get(current, current)}")
        if not c["covered"]:
            print(f"  {c['id']}: {c['name']}: NOT COVERED (no graded item evidences it yet)")
            continue
        print(f"  {c['id']}: {c['name']}: {c['items']} item(s), {c['points']:g} point(s)")
        for level, items in c["levels"].items():
            listed = ", ".join(f"{i['module']}/{i['grade_id']} ({i['points']:g})" for i in items) or "-"
            print(f"    {fw.level_name(level):<13} {listed}")
    uncovered = [c["id"] for c in cov["competencies"] if not c["covered"]]
    print(f"\n{len(cov['competencies']) - len(uncovered)} of {len(cov['competencies'])} competencies covered"
          + (f"; not covered: {', '.join(uncovered)}" if uncovered else ""))
    if cov["missing_notebooks"]:
        print(f"modules without a solution notebook yet: {', '.join(cov['missing_notebooks'])}")
    for note in cov["notes"]:
        print(f"note: {note}")
    for problem in cov["problems"]:
        print(f"problem: {problem}", file=sys.stderr)
    return 0


def run_check(args) -> int:
    from coursekit.platform import competencies

    problems = competencies.problems()
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print("framework.yml, profiles.yml and the syllabus's ids are consistent")
    return 0
