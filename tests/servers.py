"""What the tests need from outside Python (a PostgreSQL server, a JupyterHub and its proxy, a browser),
and one rule for when it is missing.

On a laptop without PostgreSQL, say, those tests are skipped with the reason. In CI `.ci/run` sets
COURSEKIT_REQUIRE_SERVERS=1, and a missing server fails the suite instead: a skip there would hide
that the path a ministry deploys was never run.
"""

from __future__ import annotations

import os
import socket

import pytest

REQUIRED = os.environ.get("COURSEKIT_REQUIRE_SERVERS", "") not in {"", "0"}


def unavailable(what: str, how: str) -> None:
    """Skip (or, when servers are required, fail) the calling test: `what` is missing; `how` gets it."""
    message = f"{what} is not available here ({how})"
    if REQUIRED:
        pytest.fail(message + "; COURSEKIT_REQUIRE_SERVERS is set, so this fails instead of skipping",
                    pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    """Whether a process still runs (a zombie of ours does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:   # a zombie of ours counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
