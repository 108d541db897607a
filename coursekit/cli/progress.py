"""coursekit progress [--profile P] [--json]"""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("progress", help="your competency profile and the gap to a job profile (learners)",
                       description="Show the level you have reached in each competency, from the exercises you "
                       "checked with `coursekit check`; with --profile, compare it with what a job profile needs "
                       "and list the modules that close the gaps. Saves a chart (PNG) in your personal folder. "
                       "Without --profile, the profile you chose (`coursekit profile set P`) is used. "
                       "In a notebook: `from coursekit import progress; progress.show('caseworker')`.")
    p.add_argument("--profile", metavar="P", help="a job profile id from competencies/profiles.yml, e.g. caseworker "
                   "(default: the one you chose with `coursekit profile set`)")
    p.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")
    p.add_argument("--export", metavar="CSV", help="write your checked work, under --id, for your ministry's pledge "
                   "report (shown there apart, as self-assessed)")
    p.add_argument("--id", metavar="ID", help="your id as your ministry's staff roster has it (with --export)")
    p.set_defaults(func=run)


def run(args) -> int:
    from coursekit.errors import UsageError
    from coursekit.platform import learner_profile
    from coursekit.platform.reports import progress

    if args.export:
        from coursekit.platform.reports import self_assessed

        if not args.id:
            raise UsageError("--export needs --id: your id as your ministry's staff roster has it")
        n = self_assessed.export(args.export, args.id)
        print(f"Wrote {n} graded answers of your own checks to {args.export}, under the id {args.id}.")
        return 0
    if not args.profile:
        args.profile = learner_profile.chosen_id()     # the learner's own choice, when they made one
    prog = progress.compute(args.profile)
    if prog is None:
        if args.json:
            print(json.dumps({"profile": args.profile, "competencies": [], "message": progress.no_evidence_message()}))
        else:
            print(progress.no_evidence_message())
        return 0
    progress.save_chart(prog)
    print(json.dumps(prog.as_json(), indent=1) if args.json else prog)
    return 0
