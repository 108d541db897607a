"""The ``coursekit`` command. Each subcommand lives in ``coursekit/cli/<name>.py``, named after
it (a command loads only its own module), and exposes ``register(subparsers)``; it sets
``func(args) -> int`` on its parser.

Errors a user can fix (``UsageError``) print as one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from coursekit import __version__
from coursekit.errors import UsageError


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line. ``command``: load only that command's module (each module is named after
    its command), which spares a command loading the others; every command when None or unknown."""
    parser = argparse.ArgumentParser(
        prog="coursekit",
        description="Responsible AI for civil servants: lessons, graded exercises, progress and reports.",
    )
    parser.add_argument("--version", action="version", version=f"coursekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = sorted(info.name for info in pkgutil.iter_modules(__path__))
    for name in [command] if command in names else names:
        mod = importlib.import_module(f"{__name__}.{name}")
        if hasattr(mod, "register"):
            mod.register(sub)
    return parser



def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    parser = build_parser(args_in[0] if args_in and not args_in[0].startswith("-") else None)
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and getattr(args, "command", None) != "lab":  # only `lab` passes options on
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.extra = extra
    except SystemExit as exc:  # argparse already printed its message; usage errors are status 2
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"coursekit {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("coursekit: interrupted", file=sys.stderr)
        return 130


_skip_teardown = False


def skip_teardown() -> None:
    """Let the running command end its process without the interpreter's teardown (see :func:`run`).

    For a command that holds large data and has nothing left to close when it returns: the
    teardown would collect every object it made, which the system frees at once anyway (half a
    second at the end of a large ministry report)."""
    global _skip_teardown
    _skip_teardown = True


def run() -> None:
    """The ``coursekit`` program: :func:`main`, then exit with its status."""
    status = main()
    if _skip_teardown:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):      # closed, or a pipe whose reader has gone
                pass
        os._exit(status)
    raise SystemExit(status)


if __name__ == "__main__":
    run()
