"""coursekit lab: open the course in JupyterLab on its start page.

A learner's lab opens their own workspace (:mod:`coursekit.platform.workspace`: the start page, the
lessons and their copies of the exercises; no solutions, tests or facilitator guides) without
nbgrader's instructor tools. ``coursekit lab --trainer`` opens the whole course with them.

The lab runs with the kit's environment first on PATH, for itself, its kernels and its terminals,
so that ``coursekit`` and ``python`` typed in JupyterLab's terminal are the kit's. It gets
``COURSEKIT_ROOT`` too, so that the kit finds the course from any folder. On Linux and macOS
JupyterLab takes the place of this process: a signal sent to ``coursekit lab`` (Ctrl+C, SIGTERM
from a service manager) reaches JupyterLab itself, which stops its kernels and terminals.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

from coursekit.platform import paths, syllabus, workspace

START_PAGE = "START.ipynb"

# JupyterLab plugins a learner has no use for. The announcements plugin asks "Would you like to
# get notified about official Jupyter news?" on first start and checks the internet for updates.
DISABLED_PLUGINS = ["@jupyterlab/apputils-extension:announcements"]

# nbgrader's instructor tools, off for learners: the Nbgrader menu, the formgrader, the Create
# Assignment panel, and the course list (it lists the courses a trainer teaches). The assignment
# list and the Validate button go too: a self-paced learner has no exchange to fetch from, and
# `check("q1")` and the exercise's check cell grade with the course's own tests.
NBGRADER_INSTRUCTOR_PLUGINS = ["@jupyter/nbgrader:menu", "@jupyter/nbgrader:formgrader",
                               "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list",
                               "@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"]
NBGRADER_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list",
                              "nbgrader.server_extensions.assignment_list",
                              "nbgrader.server_extensions.validate_assignment"]

# Shells that take `-l -c SCRIPT` and the POSIX `PATH=...; export PATH` syntax.
POSIX_SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash"}


def register(sub) -> None:
    p = sub.add_parser("lab", help="open the course in JupyterLab (learners; trainers with --trainer)",
                       description="Start JupyterLab on your own workspace (the start page, the lessons and "
                       "your copies of the exercises, in .learner/workspace/), with the start page open. "
                       "Extra arguments go to JupyterLab.")
    p.add_argument("--port", type=int, default=None, help="port to serve on (default: JupyterLab's choice)")
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.add_argument("--trainer", action="store_true",
                   help="open the whole course folder with nbgrader's instructor tools (trainers and authors)")
    p.set_defaults(func=run)


def kit_bin_dirs() -> list[str]:
    """The folders that hold the kit's ``python`` and its ``coursekit`` command, in that order.

    bin/ of the environment on Linux and macOS; on Windows ``python.exe`` sits in Scripts\\ (a venv)
    or in the environment's folder itself (conda), and the commands in Scripts\\.
    Paths are made absolute but symlinks are kept: a venv's python is a link to the base Python.
    """
    found = []
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        folder = str(folder.absolute())
        if folder not in found:
            found.append(folder)
    return found


# Start-up files for JupyterLab's terminal, for the shells whose rc files may set PATH anew after
# the profile (pyenv and conda, for example, set it up in ~/.bashrc or ~/.zshrc). Each reads the
# user's own files as a login shell does, then puts the kit's folders first.
BASH_RC = """\
# JupyterLab terminal of the course kit (written by `coursekit lab`): bash's start-up files as a
# login shell reads them, then the kit's environment first on PATH.
[ -r /etc/profile ] && . /etc/profile
if [ -r ~/.bash_profile ]; then . ~/.bash_profile
elif [ -r ~/.bash_login ]; then . ~/.bash_login
elif [ -r ~/.profile ]; then . ~/.profile
fi
PATH={prefix}:"$PATH"; export PATH
"""
# zsh reads .zshenv, .zprofile, .zshrc and .zlogin from $ZDOTDIR. The kit's versions read the
# user's own (from their ZDOTDIR, or home); the last one gives ZDOTDIR back and puts the kit first.
ZSH_FILE = """\
# JupyterLab terminal of the course kit (written by `coursekit lab`): the user's own {name}.
_coursekit_dir=${{_coursekit_dir:-$ZDOTDIR}}
ZDOTDIR=${{_coursekit_user:-${{COURSEKIT_USER_ZDOTDIR:-$HOME}}}}
[[ -r "$ZDOTDIR/{name}" ]] && . "$ZDOTDIR/{name}"
_coursekit_user=$ZDOTDIR
ZDOTDIR=$_coursekit_dir
"""
ZSH_LAST = """\
ZDOTDIR=$_coursekit_user
[[ -z $COURSEKIT_USER_ZDOTDIR && $ZDOTDIR == "$HOME" ]] && unset ZDOTDIR
unset _coursekit_dir _coursekit_user COURSEKIT_USER_ZDOTDIR
PATH={prefix}:"$PATH"; export PATH
"""
ZSH_NAMES = [".zshenv", ".zprofile", ".zshrc", ".zlogin"]  # the order zsh reads them in


def terminal_command(bin_dirs: list[str], folder: Path, shell: str | None = None) -> list[str] | None:
    """The command JupyterLab's terminal runs, or None for JupyterLab's default (Windows).

    JupyterLab's own default is a login shell, whose profile may set PATH anew (Debian's
    /etc/profile does; macOS's path_helper reorders it), as may ~/.bashrc or ~/.zshrc. So the
    shell reads the user's start-up files as before, and then the kit's folders go first on PATH.
    bash and zsh get start-up files written to ``folder``.
    """
    if os.name == "nt":  # PowerShell keeps the PATH it inherits from the lab
        return None
    shell = shell or os.environ.get("SHELL") or "/bin/sh"
    name = Path(shell).name
    prefix = shlex.quote(os.pathsep.join(bin_dirs))
    if name == "bash":
        rc = folder / "bashrc"
        _write(rc, BASH_RC.format(prefix=prefix))
        return [shell, "--rcfile", str(rc), "-i"]
    if name == "zsh":
        zdotdir = folder / "zsh"
        for n in ZSH_NAMES:
            _write(zdotdir / n, ZSH_FILE.format(name=n) + (ZSH_LAST.format(prefix=prefix) if n == ZSH_NAMES[-1] else ""))
        return ["/usr/bin/env", f"ZDOTDIR={zdotdir}", f"COURSEKIT_USER_ZDOTDIR={os.environ.get('ZDOTDIR', '')}",
                shell, "-l", "-i"]
    if name in POSIX_SHELLS:  # sh, dash, ksh: the profile, then the kit first, then an interactive shell
        return [shell, "-l", "-c", f'PATH={prefix}:"$PATH"; export PATH; exec {shlex.quote(shell)} -i']
    if name == "fish":  # fish runs --init-command after its configuration files
        dirs = " ".join(shlex.quote(d) for d in bin_dirs)
        return [shell, "--login", f"--init-command=set -gx PATH {dirs} $PATH"]
    return [shell]  # any other shell: no login profile, so the PATH the lab gives it stays


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def lab_files_dir() -> Path:
    """Where `coursekit lab` writes the files it starts JupyterLab with (the learner's folder,
    which git ignores). Written at each start, so that a kit update's versions replace the old."""
    return paths.learner_home() / "lab"


def disabled_plugins(trainer: bool = False) -> list[str]:
    return DISABLED_PLUGINS + ([] if trainer else NBGRADER_INSTRUCTOR_PLUGINS)


def lab_config_dir(trainer: bool = False) -> Path | None:
    """A Jupyter configuration folder with the page configuration that disables
    :func:`disabled_plugins` (JupyterLab reads ``labconfig/page_config.json`` from every folder on
    JUPYTER_CONFIG_PATH). None when it cannot be written: the lab then has JupyterLab's defaults.
    One folder per mode, so that a trainer's lab and a learner's never read each other's."""
    folder = lab_files_dir() / ("jupyter-config-trainer" if trainer else "jupyter-config")
    page_config = {"disabledExtensions": {name: True for name in disabled_plugins(trainer)}}
    try:
        _write(folder / "labconfig" / "page_config.json", json.dumps(page_config, indent=1) + "\n")
    except OSError as exc:
        print(f"coursekit lab: note: could not write {folder} ({exc.strerror}); starting with JupyterLab's defaults",
              file=sys.stderr)
        return None
    return folder


def lab_environment(root: Path, trainer: bool = False) -> dict[str, str]:
    """The environment of JupyterLab, which its kernels and terminals inherit."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([*kit_bin_dirs(), *filter(None, [env.get("PATH")])])
    if sys.prefix != sys.base_prefix:  # a venv, as kit.py makes: tools that look for one find it
        env["VIRTUAL_ENV"] = sys.prefix
    env["COURSEKIT_ROOT"] = str(root)
    # Extra Jupyter configuration folders: the lab's page configuration, and course/, where nbgrader's
    # server extensions find the course's nbgrader_config.py (else they warn that there is none).
    config_path = [str(d) for d in (lab_config_dir(trainer), paths.course_config_file().parent) if d is not None]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([*config_path, *filter(None, [env.get("JUPYTER_CONFIG_PATH")])])
    return env


def lab_command(port: int | None = None, no_browser: bool = False, extra: list[str] | None = None,
                *, trainer: bool = False, folder: Path | None = None) -> list[str]:
    """The JupyterLab command: on ``folder`` (the course for a trainer, else the learner's workspace)."""
    folder = folder or (paths.course_root() if trainer else workspace.workspace_dir())
    cmd = [sys.executable, "-m", "jupyter", "lab",
           f"--ServerApp.root_dir={folder}",
           f"--LabApp.default_url=/lab/tree/{START_PAGE}"]
    if not trainer:   # the server side of the instructor tools is off too (this beats their config files)
        switch = {name: False for name in NBGRADER_SERVER_EXTENSIONS}
        cmd.append(f"--ServerApp.jpserver_extensions={switch!r}")
    try:
        shell = terminal_command(kit_bin_dirs(), lab_files_dir() / "shell")
    except OSError as exc:  # start-up files not written: JupyterLab's own terminal, without the kit first
        print(f"coursekit lab: note: the terminal may not find `coursekit` ({exc.strerror})", file=sys.stderr)
        shell = None
    if shell is not None:
        settings = {"shell_command": shell}
        cmd.append(f"--ServerApp.terminado_settings={settings!r}")  # traitlets reads a Python literal
    if port:
        cmd.append(f"--port={port}")
    if no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root without it
    return cmd + list(extra or [])


def open_workspace() -> Path:
    """Prepare the learner's workspace and say what changed in it."""
    print("Preparing your workspace ...", flush=True)
    prepared = workspace.prepare()
    for line in prepared.messages():
        print(f"  {line}")
    return prepared.folder


def run(args) -> int:
    root = paths.course_root()
    trainer = bool(getattr(args, "trainer", False))
    folder = root if trainer else open_workspace()
    if trainer:
        workspace.trust([root / START_PAGE, *(m.lesson_notebook for m in syllabus.modules())])
    cmd = lab_command(args.port, args.no_browser, getattr(args, "extra", None), trainer=trainer, folder=folder)
    env = lab_environment(root, trainer)
    if not trainer:
        # Warm the grader behind `coursekit check` now, so that even the first check is quick.
        from coursekit.platform.grading import warmgrader

        warmgrader.start_background(every_module=True, env=env)
    who = "the whole course, with the instructor tools" if trainer else f"your workspace ({folder})"
    print(f"Opening {who} in JupyterLab. Stop it with Ctrl+C in this window.", flush=True)
    if os.name == "posix":
        os.chdir(folder)
        sys.stderr.flush()
        os.execve(cmd[0], cmd, env)  # does not return: JupyterLab is now this process
    return _wait(subprocess.Popen(cmd, cwd=folder, env=env))


def _wait(proc: subprocess.Popen) -> int:
    """Wait for JupyterLab (Windows). Ctrl+C reaches it too: it asks to confirm and stops itself."""
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue
