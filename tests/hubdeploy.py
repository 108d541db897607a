"""A JupyterHub on loopback with three local users, for tests/test_hub.py and benchmarks/hub_capacity.py.

What :func:`deploy` sets up, the way a hub's administrator would (the course's guide,
``course/workshops/running-a-cohort.md``, "On a JupyterHub"):

- the hub, running as root, with LocalProcessSpawner: each user's server runs as that user;
  configurable-http-proxy (from npm) in front of it, on loopback ports;
- Unix users: a trainer ``ckt-XXXXXX`` and two learners ``ckl1-XXXXXX``, ``ckl2-XXXXXX``, with
  homes of mode 0700;
- the kit installed as a hub image installs it: its wheel in a venv (``conftest.make_venv``),
  no checkout on its path; the trainer has a copy of the course content (course/, solutions/,
  competencies/, ...) in their home, as a trainer who cloned the kit has, but not its code;
- nbgrader's exchange in a folder of its own, and the learners' Jupyter configuration (exchange
  root, course id, nbgrader's Assignment List extension) in a config folder given to their
  servers with ``c.Spawner.environment`` (JUPYTER_CONFIG_PATH), never /etc/jupyter or a home.

The users' servers run unprivileged, so everything they use sits under one folder of mode 0755,
``/tmp/coursekit-hub-XXXXXXXX`` (pytest's own temporary folders are 0700). Every user and folder
carries the id of the process that made it; a run that was killed leaves them behind, and the next
run removes them (and ends their processes) before it starts. At the end, the hub, the proxy, the
users' servers and their kernels are stopped by process id, and the users removed with their homes.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from servers import alive as _alive, free_port  # noqa: E402

BASE_PREFIX = "coursekit-hub-"
#: Not $TMPDIR, which may be private: the users' servers must reach what is in it.
BASE_DIR = Path("/tmp")
USER_PATTERN = re.compile(r"^ck(t|l1|l2)-[a-z0-9]{6}$")
GECOS = "coursekit hub test (pid {pid})"
GECOS_PATTERN = re.compile(r"coursekit hub test \(pid (\d+)\)")
#: What the trainer gets of the course: its content, none of the kit's code.
COURSE_CONTENT = ("course", "solutions", "exercises", "modules", "competencies")
PROXY = "configurable-http-proxy"
TOOLS = {"runuser": "util-linux", "useradd": "passwd (shadow-utils)", "userdel": "passwd (shadow-utils)",
         PROXY: "npm install -g configurable-http-proxy@4"}


def missing_tools() -> list[tuple[str, str]]:
    """(what, how to get it) for each thing the deployment needs and this machine lacks."""
    out = []
    if os.name != "posix" or not hasattr(os, "geteuid") or os.geteuid() != 0:
        out.append(("root (the hub spawns each user's server as that user)", "run the test as root, e.g. in CI"))
    out += [(tool, how) for tool, how in TOOLS.items() if shutil.which(tool) is None]
    return out


def user_processes_of(uids: set[int]) -> list:
    """The processes running as any of ``uids`` (psutil.Process objects)."""
    import psutil

    out = []
    for proc in psutil.process_iter(["uids"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real in uids:
                out.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def user_processes(uid: int) -> list:
    """The processes running as ``uid``."""
    return user_processes_of({uid})


def kill_pids(pids, grace: float = 5.0) -> None:
    """SIGTERM each process, then SIGKILL whatever still runs after ``grace`` seconds."""
    import psutil

    procs = []
    for pid in set(pids):
        try:
            p = psutil.Process(pid)
            p.terminate()
            procs.append(p)
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(alive, timeout=grace)


def kill_user_processes(uid: int) -> None:
    kill_pids(p.pid for p in user_processes(uid))


def _pid_from(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


# --- users -------------------------------------------------------------------------------------

def _suffix() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6))


def add_user(name: str, *, owner: int | None = None) -> pwd.struct_passwd:
    """A Unix user with a home of mode 0700, marked as made by process ``owner`` (this one)."""
    home = Path("/home") / name
    subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash",
                    "--user-group", "--comment", GECOS.format(pid=owner or os.getpid()), name],
                   check=True, capture_output=True, text=True)
    os.chmod(home, 0o700)
    return pwd.getpwnam(name)


def remove_user(name: str) -> None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return
    kill_user_processes(entry.pw_uid)
    subprocess.run(["userdel", "--remove", name], capture_output=True, text=True)
    if Path(entry.pw_dir).name == name and Path(entry.pw_dir).exists():   # userdel leaves it if it failed
        shutil.rmtree(entry.pw_dir, ignore_errors=True)


def remove_stale() -> list[str]:
    """Users and folders a killed run left behind (their maker's process is gone): removed."""
    removed = []
    for entry in pwd.getpwall():
        m = GECOS_PATTERN.search(entry.pw_gecos or "")
        if USER_PATTERN.match(entry.pw_name) and m and not _alive(int(m.group(1))):
            remove_user(entry.pw_name)
            removed.append(entry.pw_name)
    for base in BASE_DIR.glob(BASE_PREFIX + "*"):
        owner = _pid_from(base / "owner.pid")
        if owner is not None and _alive(owner):
            continue
        for pid_file in ("hub/jupyterhub.pid", "hub/proxy.pid"):
            pid = _pid_from(base / pid_file)
            command = " ".join(_cmdline(pid)) if pid and _alive(pid) else ""
            if str(base) in command or PROXY in command:   # the id is still the hub's or its proxy's
                kill_pids([pid])
        shutil.rmtree(base, ignore_errors=True)
        removed.append(str(base))
    return removed


def _cmdline(pid: int) -> list[str]:
    import psutil

    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []


def as_user(user: str, args: list[str], *, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``args`` as ``user`` (runuser), with exactly ``env`` (plus the user's HOME, USER, LOGNAME)."""
    entry = pwd.getpwnam(user)
    env = dict(env, HOME=entry.pw_dir, USER=user, LOGNAME=user)
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"   # in sbin, which `env`'s PATH may not hold
    return subprocess.run([runuser, "-u", user, "--", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


# --- the hub -----------------------------------------------------------------------------------

HUB_CONFIG = """\
# The test hub: loopback only, tokens only (nobody logs in), each server run as its Unix user.
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {proxy_pid!r}
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.JupyterHub.pid_file = {hub_pid!r}
c.JupyterHub.db_url = "sqlite:///" + {hub_db!r}
c.JupyterHub.cookie_secret_file = {cookie!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.authenticator_class = "null"
c.JupyterHub.services = [{{"name": "coursekit-admin", "api_token": {admin_token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "coursekit-admin",
    "scopes": ["admin:users", "admin:servers", "tokens", "read:users"],
    "services": ["coursekit-admin"],
}}]
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{python!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.environment = {environment!r}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
"""

#: The learners' nbgrader configuration, read by the Assignment List extension of their servers.
NBGRADER_CONFIG = """\
c = get_config()  # noqa
c.Exchange.root = {exchange!r}
c.CourseDirectory.course_id = {course_id!r}
"""

#: The learners' servers: JupyterLab with its terminals, and only the learners' half of
#: nbgrader's server extensions (the Assignments tab); the formgrader is the trainer's. (The files
#: that enable them on a `pip install` sit in the environment the packages came from, which these
#: servers do not read: they are named here.)
SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {
    "jupyterlab": True,
    "jupyter_server_terminals": True,
    "nbgrader.server_extensions.assignment_list": True,
    "nbgrader.server_extensions.validate_assignment": True,
}}}


@dataclass
class Deployment:
    base: Path
    venv: object                       # conftest.InstalledVenv
    exchange: Path
    course_id: str
    trainer: str
    learners: list[str]
    url: str = ""
    admin_token: str = ""
    hub: subprocess.Popen | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    # ---- paths -------------------------------------------------------------------------------

    def home(self, user: str) -> Path:
        return Path(pwd.getpwnam(user).pw_dir)

    def fetched(self, module: str) -> str:
        """Where a learner finds a fetched module, from their home (deploy/jupyter/learner's
        ``Exchange.path_includes_course``: a folder per cohort)."""
        return f"{self.course_id}/{module}"

    def uid(self, user: str) -> int:
        return pwd.getpwnam(user).pw_uid

    @property
    def course(self) -> Path:
        """The trainer's copy of the course content."""
        return self.home(self.trainer) / "course-kit"

    @property
    def cohort(self) -> Path:
        return self.home(self.trainer) / "cohort"

    # ---- the trainer -------------------------------------------------------------------------

    def coursekit(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """``coursekit ARGS`` as the trainer, in the course folder, from the installed wheel."""
        return as_user(self.trainer, [str(self.venv.bin / "coursekit"), *args], cwd=self.course,
                       env=self.venv.env(), timeout=timeout)

    def start_cohort(self, *modules: str) -> None:
        """The trainer's first steps: a cohort of the learners (ids: their user names), then the releases."""
        entry = pwd.getpwnam(self.trainer)
        roster = self.home(self.trainer) / "roster.csv"
        rows = "".join(f"{u},Benefits,caseworker\n" for u in self.learners)
        roster.write_text("learner_id,department,profile\n" + rows)
        os.chown(roster, entry.pw_uid, entry.pw_gid)
        for args in (("init", "--dir", str(self.cohort), "--roster", str(roster), "--exchange", str(self.exchange),
                      "--course-id", self.course_id),
                     *(("release", module, "--dir", str(self.cohort)) for module in modules)):
            proc = self.coursekit("cohort", *args)
            if proc.returncode != 0:
                raise RuntimeError(f"coursekit cohort {args[0]} failed ({proc.returncode}):\n"
                                   f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")

    # ---- the hub's REST API ------------------------------------------------------------------

    def hub_api(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = {"Authorization": f"token {token or self.admin_token}"}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=60, **kw)

    def create_token(self, user: str) -> str:
        """An API token for ``user``, as the user would make on the hub's token page."""
        r = self.hub_api("POST", f"/users/{user}/tokens", json={"note": "coursekit hub test", "expires_in": 3600})
        r.raise_for_status()
        self.tokens[user] = r.json()["token"]
        return self.tokens[user]

    def request_server(self, user: str) -> None:
        """Ask the hub to start the user's server, with the user's own token (it starts in the background)."""
        r = self.hub_api("POST", f"/users/{user}/server", token=self.tokens[user])
        if r.status_code not in (201, 202, 400):   # 400: already running
            raise RuntimeError(f"starting {user}'s server: {r.status_code} {r.text[:500]}")

    def wait_for_server(self, user: str, timeout: float = 120) -> None:
        """Wait until the hub says the user's server is ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.hub_api("GET", f"/users/{user}").json()
            server = (info.get("servers") or {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{user}'s server did not start in {timeout:.0f} s; see {self.base / 'hub' / 'hub.log'}")

    def start_server(self, user: str, timeout: float = 120) -> None:
        self.request_server(user)
        self.wait_for_server(user, timeout)

    # ---- a user's server's REST API ----------------------------------------------------------

    def server_api(self, user: str, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = {"Authorization": f"token {token or self.tokens[user]}"}
        return requests.request(method, f"{self.url}/user/{user}{path}", headers=headers, timeout=300, **kw)

    def assignments(self, user: str, action: str | None = None, assignment_id: str | None = None) -> dict:
        """nbgrader's Assignment List extension: the list (no action), or fetch / submit / fetch_feedback."""
        if action is None:
            r = self.server_api(user, "GET", "/assignments", params={"course_id": self.course_id})
        else:
            r = self.server_api(user, "POST", f"/assignments/{action}",
                                json={"course_id": self.course_id, "assignment_id": assignment_id})
        r.raise_for_status()
        return r.json()

    def read_notebook(self, user: str, path: str) -> dict:
        r = self.server_api(user, "GET", f"/api/contents/{path}", params={"type": "notebook", "content": 1})
        r.raise_for_status()
        return r.json()["content"]

    def write_notebook(self, user: str, path: str, nb: dict) -> None:
        r = self.server_api(user, "PUT", f"/api/contents/{path}",
                            json={"type": "notebook", "format": "json", "content": nb})
        r.raise_for_status()

    def read_file(self, user: str, path: str, token: str | None = None) -> requests.Response:
        return self.server_api(user, "GET", f"/api/contents/{path}", token=token, params={"content": 1})

    # ---- the end -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the users' servers and kernels (every process of theirs), then the hub and its proxy."""
        uids = set()
        for user in [self.trainer, *self.learners]:
            with contextlib.suppress(KeyError):
                uids.add(self.uid(user))
        # All at once, with a short grace: a server's own shutdown takes seconds, its work is done.
        kill_pids((p.pid for p in user_processes_of(uids)), grace=2.0)
        if self.hub is not None and self.hub.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.hub.pid, signal.SIGTERM)
            try:
                self.hub.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.hub.pid, signal.SIGKILL)
                self.hub.wait(timeout=10)
        proxy = _pid_from(self.base / "hub" / "proxy.pid")
        if proxy and _alive(proxy) and PROXY in " ".join(_cmdline(proxy)):
            kill_pids([proxy])


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)


def _configure(dep: Deployment, python: Path) -> Path:
    """The learners' Jupyter config folder and the hub's config; returns the hub's config file."""
    import sysconfig

    etc = dep.base / "etc" / "jupyter"
    etc.mkdir(parents=True)
    # What a ministry deploys (deploy/jupyter/learner/): its settings, with this test's exchange folder
    # in place of /srv/nbgrader/exchange and the cohort's course id.
    shutil.copytree(REPO / "deploy" / "jupyter" / "learner", etc, dirs_exist_ok=True)
    with open(etc / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write("\n# the test deployment's exchange and cohort\n"
                 + NBGRADER_CONFIG.split("\n", 1)[1].format(exchange=str(dep.exchange), course_id=dep.course_id))
    _write(etc / "jupyter_server_config.json", json.dumps(SERVER_CONFIG, indent=1))
    for path in etc.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    for d in (dep.base / "etc", etc):
        os.chmod(d, 0o755)

    hub = dep.base / "hub"
    hub.mkdir(mode=0o700)
    _write(hub / "cookie_secret", secrets.token_hex(32), 0o600)
    # JupyterLab's own files (its page, the labextensions, nbgrader's Assignments tab) are data
    # files of the environment the packages came from.
    share = Path(sysconfig.get_paths()["data"]) / "share" / "jupyter"
    environment = {
        "JUPYTER_CONFIG_PATH": str(etc),
        "JUPYTER_PATH": str(share),
        "PATH": os.pathsep.join([str(dep.venv.bin), "/usr/local/bin", "/usr/bin", "/bin"]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    dep.admin_token = secrets.token_hex(32)
    port = free_port()
    dep.url = f"http://127.0.0.1:{port}"
    config = hub / "jupyterhub_config.py"
    _write(config, HUB_CONFIG.format(
        port=port, hub_port=free_port(), proxy_api_port=free_port(), proxy=shutil.which(PROXY),
        proxy_pid=str(hub / "proxy.pid"), proxy_token=secrets.token_hex(32), hub_pid=str(hub / "jupyterhub.pid"),
        hub_db=str(hub / "jupyterhub.sqlite"), cookie=str(hub / "cookie_secret"), admin_token=dep.admin_token,
        python=str(python), environment=environment), 0o600)
    return config


def _start_hub(dep: Deployment, config: Path, timeout: float = 60) -> None:
    hub_dir = dep.base / "hub"
    log = open(hub_dir / "hub.log", "wb")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "COURSEKIT_ROOT", "COURSEKIT_HOME"}}
    dep.hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=hub_dir, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if dep.hub.poll() is not None:
            raise RuntimeError(f"the hub exited ({dep.hub.returncode}):\n{_tail(hub_dir / 'hub.log')}")
        with contextlib.suppress(requests.RequestException):
            if dep.hub_api("GET", "/").ok and dep.hub_api("GET", "/users").ok:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the hub did not answer in {timeout:.0f} s:\n{_tail(hub_dir / 'hub.log')}")


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def hub_log(dep: Deployment) -> str:
    return _tail(dep.base / "hub" / "hub.log", 20000)


@contextlib.contextmanager
def deploy(wheel: Path, course_source: Path, *, course_id: str | None = None):
    """The whole deployment (see the module docstring); everything is taken down on leaving."""
    from conftest import make_venv

    remove_stale()
    suffix = _suffix()
    base = Path(tempfile.mkdtemp(prefix=BASE_PREFIX, dir=BASE_DIR))
    os.chmod(base, 0o755)
    _write(base / "owner.pid", f"{os.getpid()}\n")
    users = [f"ckt-{suffix}", f"ckl1-{suffix}", f"ckl2-{suffix}"]
    dep = None
    try:
        venv = make_venv(wheel, base / "venv")
        # nbgrader's exchange: every user creates folders in it (its documentation: writable by
        # all); the sticky bit keeps one user from renaming or removing another's folder.
        exchange = base / "exchange"
        exchange.mkdir()
        os.chmod(exchange, 0o1777)
        dep = Deployment(base, venv, exchange, course_id or f"hubtest-{suffix}", users[0], users[1:])
        for user in users:
            add_user(user)
        _copy_course(course_source, dep)
        config = _configure(dep, venv.python)
        _start_hub(dep, config)
        for user in dep.learners:
            r = dep.hub_api("POST", f"/users/{user}")
            if r.status_code not in (201, 409):
                raise RuntimeError(f"adding {user} to the hub: {r.status_code} {r.text[:300]}")
            dep.create_token(user)
        yield dep
    finally:
        if dep is not None:
            dep.stop()
        for user in users:
            remove_user(user)
        shutil.rmtree(base, ignore_errors=True)


def _copy_course(source: Path, dep: Deployment) -> None:
    """The course content into the trainer's home, owned by the trainer."""
    entry = pwd.getpwnam(dep.trainer)
    dest = dep.course
    dest.mkdir()
    for name in COURSE_CONTENT:
        if (source / name).is_dir():
            shutil.copytree(source / name, dest / name)
    for dirpath, dirnames, filenames in os.walk(dest):
        for name in [dirpath, *(os.path.join(dirpath, f) for f in dirnames + filenames)]:
            os.chown(name, entry.pw_uid, entry.pw_gid)


# --- answering an exercise ---------------------------------------------------------------------

def _nbgrader(cell: dict) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def answer_ids(solution_nb: dict) -> list[str]:
    """The grade ids of the autograded answer cells (code a learner writes), in notebook order."""
    return [_nbgrader(c)["grade_id"] for c in solution_nb["cells"]
            if c.get("cell_type") == "code" and _nbgrader(c).get("solution") and not _nbgrader(c).get("grade")]


def answered(fetched_nb: dict, solution_nb: dict, ids: list[str], written: str) -> dict:
    """``fetched_nb`` with the solution's code in the answer cells ``ids`` and ``written`` in each
    written answer; the other answer cells are left as released."""
    solution = {_nbgrader(c).get("grade_id"): _text(c) for c in solution_nb["cells"] if _nbgrader(c).get("solution")}
    nb = json.loads(json.dumps(fetched_nb))
    for cell in nb["cells"]:
        meta = _nbgrader(cell)
        gid = meta.get("grade_id")
        if not meta.get("solution"):
            continue
        if cell.get("cell_type") == "markdown":
            cell["source"] = written
        elif gid in ids:
            cell["source"] = "\n".join(ln for ln in solution[gid].splitlines()
                                       if "BEGIN SOLUTION" not in ln and "END SOLUTION" not in ln)
    return nb


# --- running a notebook in a user's kernel -----------------------------------------------------

def run_in_kernel(dep: Deployment, user: str, path: str, sources: list[str], timeout: float = 300,
                  ) -> tuple[list[dict], str]:
    """Run ``sources`` one by one in a kernel of the user's server, as a learner running their
    notebook does (a session for ``path``, then its kernel's websocket). Returns the execute
    replies and the session's id (``DELETE /api/sessions/<id>`` ends it)."""
    import asyncio
    import uuid

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    r = dep.server_api(user, "POST", "/api/sessions",
                       json={"path": path, "type": "notebook", "name": Path(path).name, "kernel": {"name": "python3"}})
    r.raise_for_status()
    session_id, kernel_id = r.json()["id"], r.json()["kernel"]["id"]
    url = dep.url.replace("http://", "ws://") + f"/user/{user}/api/kernels/{kernel_id}/channels"

    async def run() -> list[dict]:
        ws = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {dep.tokens[user]}"}))
        replies = []
        try:
            for code in sources:
                msg_id = uuid.uuid4().hex
                ws.write_message(json.dumps({
                    "header": {"msg_id": msg_id, "username": user, "session": uuid.uuid4().hex,
                               "msg_type": "execute_request", "version": "5.3"},
                    "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                    "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                                "allow_stdin": False, "stop_on_error": False}}))
                while True:
                    raw = await asyncio.wait_for(ws.read_message(), timeout)
                    if raw is None:
                        raise RuntimeError("the kernel's websocket closed")
                    msg = json.loads(raw)
                    if msg.get("parent_header", {}).get("msg_id") == msg_id and msg["msg_type"] == "execute_reply":
                        replies.append(msg["content"])
                        break
        finally:
            ws.close()
        return replies

    return asyncio.run(run()), session_id


def memory_of(uid: int) -> dict:
    """Resident (RSS) and proportional (PSS: shared pages split between their users) memory, in
    bytes, summed over the processes of ``uid``, and how many there are."""
    import psutil

    rss = pss = n = 0
    for proc in user_processes(uid):
        try:
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
        n += 1
    return {"rss": rss, "pss": pss, "processes": n}
