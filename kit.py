#!/usr/bin/env python3
"""Start the course, or test it, from a fresh clone with nothing but Python 3.10+.

    python3 kit.py lab     create .venv if missing, install the kit, open JupyterLab on the start page
    python3 kit.py test    install when needed, then run every test (pytest; extra args go to pytest)

Any other arguments run the `coursekit` command inside the environment, e.g.
    python3 kit.py check exercises/m01_right_tool/exercise.ipynb
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".coursekit-installed"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> Path:
    if sys.version_info < (3, 10):
        sys.exit(f"kit.py: error: the kit needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    py = venv_python()
    if not py.exists():
        print(f"Creating a private Python environment in {VENV.name}/ (once) ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text().strip() != wanted_stamp():
        print("Installing the course kit and its tools (a minute or two, once) ...", flush=True)
        pip = [str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run(pip + ["--upgrade", "pip"], check=True)
        subprocess.run(pip + ["-e", f"{ROOT}[dev]"], check=True)
        STAMP.write_text(wanted_stamp())
    return py


def parallel(args: list[str]) -> list[str]:
    """Run the tests in one process per core (pytest-xdist), unless told otherwise (-n, -p no:xdist).

    Tests that start servers or create users give them names, ports and folders of their own, so
    that two test processes never collide; they are also marked as one group (xdist_group), which
    keeps them in one process where pytest-xdist honours it (3.8 with pytest 9.2 does not).
    """
    if any(a == "-n" or a.startswith(("-n", "--numprocesses")) or a == "no:xdist" for a in args):
        return []
    return ["-n", str(max(2, min(os.cpu_count() or 2, 4))), "--dist", "loadgroup"]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    py = ensure_environment()
    env = dict(os.environ)
    bindir = str(py.parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")  # nbgrader calls `alembic` from here
    env["VIRTUAL_ENV"] = str(VENV)
    if argv[0] == "test":
        cmd = [str(py), "-m", "pytest", *parallel(argv[1:]), *argv[1:]]
    else:
        cmd = [str(py), "-m", "coursekit", *argv]
    if argv[0] == "lab" and os.name == "posix":
        # JupyterLab takes this process's place (as it does `coursekit lab`'s), so that Ctrl+C or a
        # SIGTERM sent to `kit.py lab` reaches JupyterLab, which stops its kernels and terminals.
        os.chdir(ROOT)
        sys.stdout.flush()
        os.execve(cmd[0], cmd, env)
    if argv[0] == "lab":
        lab = subprocess.Popen(cmd, cwd=ROOT, env=env)
        while True:
            try:
                return lab.wait()
            except KeyboardInterrupt:  # Ctrl+C reaches JupyterLab too: it asks to confirm and stops itself
                continue
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
