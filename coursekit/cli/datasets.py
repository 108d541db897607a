"""coursekit datasets build [--check] [NAME ...] [--out DIR]"""

from __future__ import annotations

import sys
from pathlib import Path

from coursekit.platform import paths
from coursekit.datasets import NAMES


def register(sub) -> None:
    p = sub.add_parser("datasets", help="synthetic datasets with planted facts (authors)",
                       description="Work with the course's synthetic datasets in datasets/.")
    p.set_defaults(func=lambda args: _help(p))
    inner = p.add_subparsers(dest="datasets_command", metavar="ACTION")
    b = inner.add_parser("build", help="regenerate datasets/ from the seeded generators",
                         description="Regenerate the CSV files, datasheets and manifests in datasets/ from the "
                         "seeded generators in coursekit.datasets. With --check, write nothing and fail "
                         "(exit 1) when any file differs from what the generators make.")
    b.add_argument("names", nargs="*", metavar="NAME", help=f"datasets to build (default: all of {', '.join(NAMES)})")
    b.add_argument("--check", action="store_true", help="compare byte for byte instead of writing; exit 1 on any difference")
    b.add_argument("--out", metavar="DIR", type=Path, default=None, help="folder to write to or check (default: datasets/)")
    b.set_defaults(func=run_build)


def _help(parser) -> int:
    parser.print_help()
    return 2


def run_build(args) -> int:
    from coursekit.platform.authoring import datasets_build as build

    out = args.out or paths.datasets_dir()
    keys = build.answer_keys(args.names or None) if not args.out else set()

    def where(fname: str):
        return (build.answer_keys_dir() if fname in keys else out) / fname

    if args.check:
        found = build.differences(args.names or None, args.out)
        for fname, problem in found:
            print(f"{where(fname)}: {problem}", file=sys.stderr)
        if found:
            print(f"{len(found)} file(s) differ; run `coursekit datasets build` to regenerate", file=sys.stderr)
            return 1
        print(f"{out}: every dataset file is exactly what the generators make")
        return 0
    changed = build.build(args.names or None, out_dir=args.out)
    seen = set()
    for fname in changed:
        if fname in seen or not where(fname).exists():     # a file moved to the answer keys, or stale
            print(f"removed {out / fname}")
        else:
            print(f"wrote {where(fname)}")
        seen.add(fname)
    if not changed:
        print(f"{out}: already up to date")
    return 0
