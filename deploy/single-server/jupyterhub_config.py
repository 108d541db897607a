"""JupyterHub on one Linux server for a ministry's cohorts, the way The Littlest JupyterHub does it.

Every person gets a Unix account of their own (nbgrader's exchange tells learners apart by their
Unix user), a private home, and a server started by systemd with a memory and CPU limit. Trainers
get more of both and nbgrader's trainer tools (Formgrader); learners get the Assignments tab.
deploy/README.md says how to install it; the settings to fill in are in the first block.
"""

import csv
import importlib.util
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when JupyterHub loads the file)

# ---- To fill in -------------------------------------------------------------------------------
# Hub user names of the trainers and of the hub's administrators (IT, not trainers).
TRAINERS = ["trainer1"]
ADMINS = ["hubadmin"]
# One roster per cohort, named <course id>.csv: the file given to `coursekit cohort init`, whose
# learner_id column holds hub user names. Everyone on a roster may log in.
ROSTERS = Path("/srv/coursekit/rosters")
# Where deploy/README.md installs the kit: venv/ (the kit and JupyterHub), course/ (the learners'
# course: lessons and exercises, no solutions), jupyter/ (deploy/jupyter of the repository).
KIT = Path("/opt/coursekit")
# Memory and cores of one learner's server, and of a trainer's (grading runs in it, one process
# per core). deploy/README.md gives the figures these come from.
LEARNER_MEMORY, LEARNER_CPUS = "2G", 1.0
TRAINER_MEMORY, TRAINER_CPUS = "8G", 4.0
# -----------------------------------------------------------------------------------------------


def cohorts(folder: Path) -> dict[str, list[str]]:
    """{course id: learner ids} from the rosters in ``folder`` (none yet: no cohort)."""
    found = {}
    for roster in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        with roster.open(newline="", encoding="utf-8-sig") as f:
            sample = f.read(4096)
            f.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            found[roster.stem] = [row["learner_id"].strip() for row in csv.DictReader(f, dialect=dialect)
                                  if (row.get("learner_id") or "").strip()]
    return found


COHORTS = cohorts(ROSTERS)
LEARNERS = sorted({name for names in COHORTS.values() for name in names})

# The hub listens on this machine only; the ministry's reverse proxy (nginx, Apache, a load
# balancer) serves it over HTTPS. Its own database and cookie secret stay in /srv/jupyterhub.
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/jupyterhub_cookie_secret"

# ---- Who may log in ---------------------------------------------------------------------------
# PAM: the server's own accounts and passwords. The hub creates the Unix account of everyone on a
# roster the first time it starts with them (`adduser`, no password: the administrator sets one
# with `passwd`, or replaces PAM by the ministry's single sign-on, see deploy/README.md).
c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.create_system_users = True
c.Authenticator.allowed_users = set(LEARNERS) | set(TRAINERS) | set(ADMINS)
c.Authenticator.admin_users = set(ADMINS)

# Groups: `trainers` and `learners` decide what a server gets (below); nbgrader's own names per
# cohort (`nbgrader-<course id>` for its learners, `formgrade-<course id>` for its graders) keep
# the hub's view of each cohort in the form nbgrader's JupyterHub integration reads.
groups = {"trainers": list(TRAINERS), "learners": list(LEARNERS)}
for course_id, names in COHORTS.items():
    groups[f"nbgrader-{course_id}"] = list(names)
    groups[f"formgrade-{course_id}"] = list(TRAINERS)
c.JupyterHub.load_groups = groups

# ---- Each person's server ---------------------------------------------------------------------
# systemd runs each server as its owner's Unix user, with hard memory and CPU limits (a plain
# local process spawner would only pass the limits on as a hint).
c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
c.Spawner.mem_limit = LEARNER_MEMORY
c.Spawner.cpu_limit = LEARNER_CPUS
c.SystemdSpawner.isolate_tmp = True        # a private /tmp per server
c.SystemdSpawner.isolate_devices = True
c.SystemdSpawner.disable_user_sudo = True
c.SystemdSpawner.default_shell = "/bin/bash"
c.SystemdSpawner.extra_paths = [str(KIT / "venv" / "bin")]   # `coursekit` and the kit's python first
# deploy/start-server.sh runs first, as the server's owner: it makes their home private and adds
# the course's new files to their ~/course (theirs are never replaced), then starts the server.
c.Spawner.cmd = [str(KIT / "bin" / "start-server"), str(KIT / "venv" / "bin" / "jupyterhub-singleuser")]

# The kit's lab: JupyterLab in the person's home, opening on the course's start page, with the
# course found in ~/course and nbgrader's learner settings (deploy/jupyter/learner).
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab/tree/course/START.ipynb"
c.Spawner.environment = {
    "COURSEKIT_ROOT": "~/course",
    "JUPYTER_CONFIG_PATH": str(KIT / "jupyter" / "learner"),
}

# Trainers: more memory and cores (grading runs in their server), and nbgrader's trainer tools.
c.Spawner.group_overrides = {
    "1-trainers": {
        "groups": ["trainers"],
        "spawner_override": {
            "mem_limit": TRAINER_MEMORY,
            "cpu_limit": TRAINER_CPUS,
            "environment": {
                "JUPYTER_CONFIG_PATH": os.pathsep.join([str(KIT / "jupyter" / "trainer"),
                                                        str(KIT / "jupyter" / "learner")]),
            },
        },
    },
}

# ---- Idle servers -----------------------------------------------------------------------------
# Each server stops its idle kernels and then itself (deploy/jupyter/learner/jupyter_server_config.py).
# Where the hub's own culler is installed (The Littlest JupyterHub installs it; otherwise
# `pip install jupyterhub-idle-culler` in the hub's environment), it also stops servers that
# have run for more than a day: a learner who left a notebook open in a browser overnight.
c.JupyterHub.services = []
c.JupyterHub.load_roles = []
if importlib.util.find_spec("jupyterhub_idle_culler"):
    c.JupyterHub.services.append({
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600", "--max-age=86400"],
    })
    c.JupyterHub.load_roles.append({
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    })
