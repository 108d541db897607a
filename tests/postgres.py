"""A throw-away PostgreSQL server for the tests: one per test session, a fresh database per test.

The server is PostgreSQL's own (``initdb``, ``pg_ctl``, ``postgres`` on PATH or under
``/usr/lib/postgresql/*/bin``), in a folder of its own under the system's temporary folder
(``/tmp/coursekit-pg-XXXX``, mode 0755: pytest's own temporary folders are 0700, which an
unprivileged server could not enter). It listens on a Unix socket inside that folder and on a
free TCP port of 127.0.0.1, and nowhere else.

PostgreSQL refuses to run as root. Run as root (a container, CI), the fixture makes a system user
of its own, ``coursekit-pg-<random>``, runs the server as that user and removes the user at the
end; users and folders left by a run that was killed are removed at the start. Run as anyone
else, the server runs as that user.

Logging in: the superuser connects without a password on the socket and on loopback (fine for a
server that lives for one test session); every other role needs its password (SCRAM), as a real
deployment would. Each database is owned by the grader role ``grader``, and its URL carries
that role's password, unless a test asks for one without it (to read it from ``~/.pgpass``).

At the end the server is stopped (``pg_ctl stop -m fast``), its postmaster is killed if it is
still there, and its folder is removed.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from servers import alive as _alive, free_port, unavailable

PREFIX = "coursekit-pg-"           # the system users and folders this fixture makes
# /tmp, not $TMPDIR: a TMPDIR under a private home folder would be out of the server user's reach
BASE = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
SUPERUSER = "postgres"
ROLE = "grader"
BINARIES = ("initdb", "pg_ctl", "postgres")


def find_bindir() -> Path | None:
    """The folder of PostgreSQL's server programs: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("initdb")
    if found:
        bindir = Path(found).resolve().parent
        if all((bindir / b).exists() for b in BINARIES):
            return bindir
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parent.name.split(".")])
    for d in reversed(candidates):
        if all((Path(d) / b).exists() for b in BINARIES):
            return Path(d)
    return None


def _remove_user(name: str) -> None:
    # without -f: userdel refuses a user that still runs a process (another session's live server)
    subprocess.run(["userdel", name], capture_output=True)


def _remove_stale() -> None:
    """Users and folders of runs that were killed before they could clean up."""
    if os.geteuid() == 0:
        for entry in pwd.getpwall():
            if entry.pw_name.startswith(PREFIX):
                _remove_user(entry.pw_name)
    known = {e.pw_uid for e in pwd.getpwall()}
    for folder in glob.glob(os.path.join(BASE, PREFIX + "*")):
        data = Path(folder) / "data"
        try:
            owner = data.stat().st_uid
        except OSError:
            continue
        if owner not in known:          # its user is gone, so its server is too
            shutil.rmtree(folder, ignore_errors=True)


class PostgresServer:
    """A running throw-away server. Calling it makes a fresh database and returns its URL."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.user: str | None = None            # the system user made for it (when run as root)
        self.folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=BASE))
        self.folder.chmod(0o755)
        self.data = self.folder / "data"
        self.sockets = self.folder / "run"      # the Unix socket and the server log
        self.port = 0
        self.pid: int | None = None
        self.password = secrets.token_urlsafe(12)
        self._count = 0

    # ---- running programs as the server's user ----------------------------------------------

    def _as_server(self, args, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        env = {"PATH": f"{self.bindir}{os.pathsep}{os.environ.get('PATH', '')}", "LC_ALL": "C.UTF-8",
               "TZ": "UTC"}
        if self.user:
            entry = pwd.getpwnam(self.user)
            kw.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
            env["HOME"] = str(self.folder)
        else:
            env["HOME"] = os.environ.get("HOME", str(self.folder))
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], env=env, cwd=self.folder, **kw)

    # ---- life cycle -----------------------------------------------------------------------

    def start(self) -> "PostgresServer":
        if os.geteuid() == 0:
            self.user = PREFIX + secrets.token_hex(4)
            proc = subprocess.run(["useradd", "--system", "--no-create-home", "--user-group",
                                   "--shell", "/usr/sbin/nologin", self.user], capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"useradd {self.user} failed: {proc.stderr.strip()}")
        for d in (self.data, self.sockets):
            d.mkdir(mode=0o700)
            if self.user:
                entry = pwd.getpwnam(self.user)
                os.chown(d, entry.pw_uid, entry.pw_gid)
        proc = self._as_server(["initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                                "--locale=C", "--no-sync", "--no-instructions"])
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        (self.data / "pg_hba.conf").write_text(
            "# the superuser without a password (socket and loopback); every other role with its password\n"
            f"local all {SUPERUSER} trust\n"
            f"host all {SUPERUSER} 127.0.0.1/32 trust\n"
            "local all all scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n")
        for attempt in range(3):       # another process may take the free port before the server does
            self.port = free_port()
            with open(self.data / "postgresql.conf", "a") as fh:
                fh.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                         f"unix_socket_directories = '{self.sockets}'\n"
                         # a throw-away server: speed over durability
                         "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                         "shared_buffers = 32MB\nmax_connections = 40\ntimezone = 'UTC'\n")
            proc = self._as_server(["pg_ctl", "-D", str(self.data), "-l", str(self.sockets / "server.log"),
                                    "-w", "-t", "60", "start"])
            if proc.returncode == 0:
                break
        else:
            raise RuntimeError(f"pg_ctl start failed:\n{proc.stdout[-1000:]}\n{proc.stderr[-1000:]}\n"
                               f"{self.log_tail()}")
        self.pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        self.admin(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{self.password}'")
        return self

    def stop(self) -> None:
        try:
            if self.pid is not None:
                self._as_server(["pg_ctl", "-D", str(self.data), "stop", "-m", "fast", "-w", "-t", "30"])
                if _alive(self.pid):
                    os.kill(self.pid, signal.SIGKILL)
                    for _ in range(100):
                        if not _alive(self.pid):
                            break
                        time.sleep(0.05)
        finally:
            if self.user:
                _remove_user(self.user)
            shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self) -> str:
        try:
            return (self.sockets / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    # ---- databases --------------------------------------------------------------------------

    def admin(self, sql: str, dbname: str = "postgres"):
        """Run one statement as the superuser (on the Unix socket); the rows it returns, if any."""
        import psycopg

        with psycopg.connect(host=str(self.sockets), port=self.port, user=SUPERUSER, dbname=dbname,
                             autocommit=True) as con:
            cur = con.execute(sql)
            return cur.fetchall() if cur.description else None

    def url(self, dbname: str, *, password: bool = True, role: str = ROLE, driver: str = "") -> str:
        """The URL a trainer would type: ``postgresql://grader:PW@127.0.0.1:PORT/db`` (TCP)."""
        auth = f"{role}:{self.password}" if password else role
        return f"postgresql{'+' + driver if driver else ''}://{auth}@127.0.0.1:{self.port}/{dbname}"

    def __call__(self, label: str = "t", *, password: bool = True) -> str:
        """A new, empty database owned by the grader role; its URL."""
        self._count += 1
        name = f"{''.join(c for c in label.lower() if c.isalnum())[:40] or 't'}_{self._count}"
        self.admin(f'CREATE DATABASE "{name}" OWNER {ROLE}')
        return self.url(name, password=password)

    def pgpass_line(self) -> str:
        """The grader role's line for a ``~/.pgpass`` file (host:port:database:user:password)."""
        return f"127.0.0.1:{self.port}:*:{ROLE}:{self.password}\n"


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL server for the session; ``postgres("label")`` makes a database, returns its URL."""
    bindir = find_bindir()
    if bindir is None:
        unavailable("PostgreSQL (initdb, pg_ctl, postgres)",
                    "install it, e.g. apt-get install postgresql, or put its bin/ on PATH")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("the psycopg driver", "pip install 'psycopg[binary]'")
    _remove_stale()
    server = PostgresServer(bindir)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    try:
        yield server
    finally:
        server.stop()
