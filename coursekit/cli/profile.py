"""coursekit profile [set P] [--json]"""

from __future__ import annotations

import argparse
import json


def register(sub) -> None:
    p = sub.add_parser("profile", help="choose your job profile, or show it (learners)",
                       description="Your job profile (competencies/profiles.yml) says which questions of each "
                       "exercise are yours and which are optional, for going further; `coursekit progress` "
                       "compares your progress with it. Without an action, show the profile you chose. "
                       "It is kept in your personal folder (profile.yml). In a notebook: "
                       "`coursekit.choose_profile('caseworker')`.")
    p.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")
    psub = p.add_subparsers(dest="profile_command", metavar="ACTION")
    s = psub.add_parser("set", help="choose your job profile", description="Choose your job profile, e.g. "
                        "`coursekit profile set caseworker`.")
    s.add_argument("profile", metavar="P", help="a job profile id from competencies/profiles.yml, e.g. caseworker")
    s.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object (for scripts)")
    p.set_defaults(func=run)


def run(args) -> int:
    from coursekit.platform import competencies, learner_profile, syllabus, workspace

    if args.profile_command == "set":
        prof = learner_profile.choose(args.profile)
        workspace.refresh_start_page()         # its lines on your questions follow your choice
        if args.json:
            print(json.dumps({"profile": prof.id, "name": prof.name}))
            return 0
        print(f"Your job profile is now: {prof.name} ({prof.id}). It is kept in {learner_profile.profile_path()}.")
        print("The start page (coursekit lab) and `coursekit.my_items()` in each exercise show which questions are yours.")
        return 0
    prof = learner_profile.chosen()
    if args.json:
        print(json.dumps({"profile": prof.id if prof else None, "name": prof.name if prof else None,
                          "modules": {m: learner_profile.summary(m, prof) for m in syllabus.module_ids()} if prof else {},
                          "profiles": list(competencies.profiles())}))
        return 0
    if prof is None:
        print("You have not chosen a job profile yet. Choose one with `coursekit profile set <profile>`:")
        for p in competencies.profiles().values():
            print(f"  {p.id:<20} {p.name}")
        return 0
    print(f"Your job profile: {prof.name} ({prof.id})")
    print(f"  {prof.description}")
    for m in syllabus.modules():
        print(f"{m.id}: {learner_profile.summary(m.id, prof)}")
    print("Change it with `coursekit profile set <profile>`.")
    return 0
