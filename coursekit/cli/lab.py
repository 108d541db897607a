"""coursekit lab: open the course in JupyterLab on its start page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from coursekit.platform import paths

START_PAGE = "START.ipynb"


def register(sub) -> None:
    p = sub.add_parser("lab", help="open the course in JupyterLab (learners)",
                       description="Start JupyterLab in the course folder with the start page open. "
                       "Extra arguments go to JupyterLab.")
    p.add_argument("--port", type=int, default=None, help="port to serve on (default: JupyterLab's choice)")
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.set_defaults(func=run)


def lab_command(port: int | None = None, no_browser: bool = False, extra: list[str] | None = None) -> list[str]:
    root = paths.course_root()
    cmd = [sys.executable, "-m", "jupyter", "lab",
           f"--ServerApp.root_dir={root}",
           f"--LabApp.default_url=/lab/tree/{START_PAGE}"]
    if port:
        cmd.append(f"--port={port}")
    if no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root without it
    return cmd + list(extra or [])


def run(args) -> int:
    cmd = lab_command(args.port, args.no_browser, getattr(args, "extra", None))
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    print("Opening the course in JupyterLab. Stop it with Ctrl+C in this window.", flush=True)
    return subprocess.call(cmd, cwd=paths.course_root(), env=env)
