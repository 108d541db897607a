"""A warm grader that `coursekit check` keeps between checks, so that a check costs its grading only.

A check started cold spends most of its time getting ready: a grading process imports nbgrader,
and a runner loads pandas, matplotlib and the toolkit before it can fork the learner's run. This
module keeps one such process, per learner folder, for a while after a check:

- The first check (or ``coursekit lab``, ahead of any check) starts it in the background. Later
  checks hand it their job over a Unix socket and get the grading process's answer back.
- Learner code runs exactly as in a cold check: in isolated children of the warm runner, under the
  same limits, and every process it started is ended after its run. The grades are recorded by
  nbgrader, as before.
- Only the learner's own checks reach it. The socket is in a folder only the learner can open; a
  client must send a token from a file only the learner can read (graded code cannot read the
  learner's folder) and run as the same user; and a job may grade only the learner's personal course.
- It stops after :data:`IDLE_SECONDS` without a job, when the kit's code or the settings it was
  started with change (it then gives way to a new one), or when asked (:func:`stop`).
- Anything wrong with it (not started, gone, busy past the limit) makes the check grade cold, as it
  did before this existed; ``COURSEKIT_WARM_GRADER=0`` turns it off.

Linux only (it relies on the socket tricks below and on the isolation it serves); elsewhere every
check is cold.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from coursekit.platform import paths

IDLE_SECONDS = 600          # a learner between two checks of the same sitting (COURSEKIT_WARM_GRADER_IDLE)
START_WAIT_SECONDS = 30     # for a new warm grader to take the job before the check grades cold
MAX_REQUEST_BYTES = 64_000
# What a grading process takes from its environment that could change a grade or where it is
# recorded: a warm grader started with other values gives way. (Not PATH or the locale: a terminal's
# start-up files may reorder them, and learner code is graded the same either way.)
ENV_KEYS = ("TZ", "PYTHONPATH", "COURSEKIT_ISOLATION", "COURSEKIT_ROOT", "COURSEKIT_HOME")


def enabled() -> bool:
    return sys.platform == "linux" and os.environ.get("COURSEKIT_WARM_GRADER", "1") != "0"


def folder() -> Path:
    return paths.learner_home() / "warm-grader"


def code_key() -> str:
    """What the grader was started with: the kit's code, the installed packages, the environment."""
    import coursekit

    digest = hashlib.sha256(sys.executable.encode())
    for name in ENV_KEYS:
        digest.update(f"\0{name}={os.environ.get(name)}".encode())
    with contextlib.suppress(OSError):   # packages installed or removed change the folder
        digest.update(str(os.stat(sysconfig.get_paths()["purelib"]).st_mtime_ns).encode())
    for path in sorted(Path(coursekit.__file__).parent.rglob("*.py")):
        st = path.stat()
        digest.update(f"\0{path}:{st.st_mtime_ns}:{st.st_size}".encode())
    return digest.hexdigest()


# --- the socket, reached through the folder's descriptor -----------------------------------------
#
# A Unix socket's path may hold only about 100 bytes, less than a learner folder deep in a home or
# a test's temporary folder. /proc/self/fd/N/NAME, with N a descriptor of the folder, is short and
# names the same file.

@contextlib.contextmanager
def _short_path(where: Path, name: str):
    fd = os.open(where, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{name}"
    finally:
        os.close(fd)


def _make_folder() -> Path:
    where = folder()
    where.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(where, 0o700)
    return where


def _token(where: Path) -> bytes:
    path = where / "token"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        # written whole under another name, then linked: whoever links first wins, and nobody
        # reads a token half written
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".token-")      # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_hex(32).encode())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
        return path.read_bytes()


# --- the client side: `coursekit check` ---------------------------------------------------------

def grade(job: dict, timeout: float) -> dict | None:
    """The grading process's answer for ``job`` from the warm grader; None: grade cold instead.

    ``timeout`` bounds the whole exchange. A warm grader that overruns it is stopped (the next check
    starts a fresh one) and None is returned.
    """
    if not enabled():
        return None
    try:
        where = _make_folder()
        request = {"token": _token(where).decode(), "key": code_key(), "job": job}
    except OSError:
        return None
    deadline = time.monotonic() + timeout
    for attempt in range(2):           # a second time after an outdated grader has given way
        conn = _connect(where, job)
        if conn is None:
            return None
        answer = _ask(conn, request, deadline)
        if answer is None:
            # No answer: it was killed as the check began (its last threads were still closing
            # the socket), or it overran the time. A dead one is replaced; one that hangs is stopped.
            _wait_gone(where, 2.0)
            if not _locked(where) and time.monotonic() < deadline:
                continue
            stop()
            return None
        if answer.get("outdated"):
            _wait_gone(where)
            continue
        return answer.get("result")
    return None


def _connect(where: Path, job: dict) -> socket.socket | None:
    conn = _try_connect(where)
    if conn is not None:
        return conn
    from coursekit.platform.grading import autograde

    try:
        imports = autograde.module_imports(Path(job["root"]), str(job["module_id"]))
    except (OSError, ValueError, KeyError):
        imports = None
    start_background(imports=imports)
    until = time.monotonic() + START_WAIT_SECONDS
    while time.monotonic() < until:
        time.sleep(0.02)
        conn = _try_connect(where)
        if conn is not None:
            return conn
    return None


def _try_connect(where: Path) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _short_path(where, "socket") as path:
            conn.connect(path)
        return conn
    except OSError:
        conn.close()
        return None


def _ask(conn: socket.socket, request: dict, deadline: float) -> dict | None:
    try:
        with conn:
            conn.settimeout(max(1.0, deadline - time.monotonic()))
            conn.sendall(json.dumps(request).encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := conn.recv(1 << 16):
                data += chunk
        return json.loads(data)
    except (OSError, ValueError):
        return None


def _wait_gone(where: Path, seconds: float = 10.0) -> None:
    """Until the outdated grader has let go of its lock (the new one can then take it)."""
    until = time.monotonic() + seconds
    while time.monotonic() < until and _locked(where):
        time.sleep(0.02)


def _locked(where: Path) -> bool:
    try:
        fd = os.open(where / "lock", os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def start_background(*, every_module: bool = False, imports: list[str] | None = None,
                     env: dict | None = None) -> None:
    """Start a warm grader for this learner folder unless one runs (it warms up on its own).

    ``every_module``: warm a runner with the whole toolkit loaded, so that even the first check of
    any module finds one ready (``coursekit lab`` asks for this, ahead of any check). ``imports``:
    warm a runner for a module that imports these (the check that starts the grader).
    ``env``: the environment the checks will have (the lab's), when it is not this process's.
    """
    if not enabled():
        return
    where = _make_folder()
    _token(where)
    if _locked(where):
        return
    log = open(where / "log", "wb")       # the last grader's messages only
    with log:
        warm = ["--every-module"] if every_module else ["--imports", json.dumps(imports)] if imports else []
        subprocess.Popen([sys.executable, "-m", __name__, *warm], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         cwd=str(where), start_new_session=True, env=dict(env or os.environ, PYTHONHASHSEED="0"))


def stop() -> None:
    """End this learner folder's warm grader, if one runs."""
    where = folder()
    try:
        pid = int((where / "pid").read_text())
    except (OSError, ValueError):
        return
    if _locked(where):
        with contextlib.suppress(OSError):
            os.kill(pid, 15)
        _wait_gone(where)
        until = time.monotonic() + 5
        while time.monotonic() < until and _running(pid):
            time.sleep(0.01)


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie has ended; only its parent has yet to collect it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


# --- the server side ----------------------------------------------------------------------------

class _Server:
    def __init__(self, where: Path):
        self.where = where
        self.token = _token(where)
        self.key = code_key()
        self.course = paths.personal_course_dir().resolve()
        self.scratch = Path(tempfile.mkdtemp(prefix="coursekit-warm-grader-"))
        self.runners: dict = {}

    def _runner_dir(self) -> Path:
        return Path(tempfile.mkdtemp(dir=self.scratch, prefix="runner-"))

    def warm(self, imports: list[str] | None) -> None:
        """Start warming a runner (in its own process) for ``imports``; None: the whole toolkit."""
        from coursekit.platform.grading import byvalue

        self.runners[None if imports is None else tuple(imports)] = byvalue.Runner.start(self._runner_dir(), imports)

    def rehearse(self) -> None:
        """Grade a two-cell exercise once, in a course of its own, before any learner's check.

        A grading process's first notebook costs about a second more than the next ones (nbgrader's
        and SQLAlchemy's first use); a grader warmed ahead pays it now, not in the learner's first
        check. Nothing of it is kept, and a failure here only means that cost stays.
        """
        import nbformat
        from nbformat.v4 import new_code_cell, new_notebook

        from coursekit.platform import notebooks
        from coursekit.platform.grading import autograde
        from coursekit.platform.grading.limits import Limits
        from coursekit.platform.nbgrader_adapter import release

        root = Path(tempfile.mkdtemp(dir=self.scratch, prefix="rehearsal-"))
        try:
            def meta(**kw):
                return {"nbgrader": {"schema_version": 3, "solution": False, "locked": False, "grade": False, **kw}}

            nb = new_notebook(cells=[
                new_code_cell("### BEGIN SOLUTION\nanswer = 2\n### END SOLUTION", metadata=meta(solution=True, grade_id="a")),
                new_code_cell("assert answer == 2", metadata=meta(grade=True, locked=True, points=1, grade_id="t")),
            ])
            nb.metadata["kernelspec"] = dict(notebooks.KERNELSPEC)
            (root / "src").mkdir()
            nbformat.write(nb, root / "src" / f"{autograde.NOTEBOOK}.ipynb")
            release.copy_source(root / "src", root / "source" / "rehearsal")
            release.generate(root, "rehearsal", what="rehearse")
            submitted = root / "submitted" / "self" / "rehearsal"
            submitted.mkdir(parents=True)
            shutil.copy(root / "release" / "rehearsal" / f"{autograde.NOTEBOOK}.ipynb", submitted)
            (submitted / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")
            runner = self.runner_for([])
            autograde.grade_and_score(root, "rehearsal", "self", None, Limits(), runner, root / "work")
        except Exception as exc:
            print(f"rehearsal failed (the first check will take longer): {exc!r}"[:500], file=sys.stderr, flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def runner_for(self, imports: list[str]):
        from coursekit.platform.grading import byvalue

        generic = self.runners.get(None)
        if generic is not None and generic.proc.poll() is None:
            return generic                     # the whole toolkit is loaded: it serves every module
        key = tuple(imports)
        runner = self.runners.get(key)
        if runner is not None and runner.proc.poll() is None:
            return runner
        while len(self.runners) >= 2:          # a learner moving between modules: keep the last two warm
            self.runners.pop(next(iter(self.runners))).close()
        runner = byvalue.Runner.start(self._runner_dir(), imports)
        self.runners[key] = runner
        return runner

    def answer(self, request: dict) -> dict:
        if not hmac.compare_digest(str(request.get("token", "")).encode(), self.token):
            return {"refused": "token"}
        if request.get("key") != self.key:
            return {"outdated": True}
        job = request.get("job") or {}
        root = Path(str(job.get("root", ""))).resolve()
        if root != self.course or job.get("db_url") is not None:
            return {"refused": "not this learner's course"}
        return {"result": self.grade(root, job)}

    def grade(self, root: Path, job: dict) -> dict:
        from coursekit.platform.grading import autograde
        from coursekit.platform.grading.limits import Limits

        workdir = Path(tempfile.mkdtemp(dir=self.scratch, prefix="job-"))
        started = time.monotonic()
        try:
            runner = self.runner_for(autograde.module_imports(root, str(job["module_id"])))
            return autograde.grade_and_score(root, str(job["module_id"]), str(job["student"]), None,
                                             Limits(**job["limits"]), runner, workdir,
                                             isolate=bool(job.get("isolate", True)))
        except Exception:              # reported as the cold grader reports it: never a silent zero
            import traceback

            return {"success": False, "error": traceback.format_exc(), "log": ""}
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            print(f"{time.strftime('%H:%M:%S')} graded {job.get('module_id')} in {time.monotonic() - started:.2f} s",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        for runner in self.runners.values():
            runner.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _read_request(conn: socket.socket) -> dict | None:
    conn.settimeout(10)
    data = b""
    while len(data) <= MAX_REQUEST_BYTES and (chunk := conn.recv(1 << 16)):
        data += chunk
    try:
        return json.loads(data) if len(data) <= MAX_REQUEST_BYTES else None
    except ValueError:
        return None


def serve(every_module: bool = False, imports: list[str] | None = None) -> int:
    """The warm grader's main loop.

    ``python -m coursekit.platform.grading.warmgrader [--every-module | --imports JSON]``
    """
    import signal

    from coursekit.platform.grading import isolation

    where = _make_folder()
    lock = os.open(where / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0                           # another one runs already
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    (where / "pid").write_text(str(os.getpid()))
    isolation.become_subreaper()
    server = _Server(where)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with _short_path(where, "socket") as path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)                # left by a grader that was killed
        listener.bind(path)
    listener.listen(8)
    try:
        # Warm up before the first job is read: the job waits in the queue meanwhile.
        from coursekit.platform.nbgrader_adapter.config import preload

        if every_module or imports:
            server.warm(None if every_module else imports)   # in its own process, while nbgrader loads here
        preload()
        if every_module:
            server.rehearse()
        listener.settimeout(float(os.environ.get("COURSEKIT_WARM_GRADER_IDLE") or IDLE_SECONDS))
        while True:
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                listener.close()           # a check arriving now grades cold rather than wait
                return 0
            with conn:
                try:
                    if _peer_uid(conn) != os.getuid():
                        continue
                    request = _read_request(conn)
                    answer = server.answer(request) if isinstance(request, dict) else {"refused": "request"}
                    conn.settimeout(30)
                    conn.sendall(json.dumps(answer).encode())
                except OSError:
                    continue
            if answer.get("outdated"):
                return 0
    finally:
        with _short_path(where, "socket") as path, contextlib.suppress(OSError):
            os.unlink(path)
        server.close()
        with contextlib.suppress(OSError):
            (where / "pid").unlink()
        os.close(lock)


if __name__ == "__main__":
    args = sys.argv[1:]
    try:
        code = serve(every_module="--every-module" in args,
                     imports=json.loads(args[args.index("--imports") + 1]) if "--imports" in args else None)
    except SystemExit as ended:        # SIGTERM (stop()), after serve() has cleaned up
        code = ended.code if isinstance(ended.code, int) else 0
    # Its runners are closed and its lock is released: the interpreter's shutdown (nbgrader's and
    # SQLAlchemy's exit handlers) would only keep a finished grader alive for another second.
    sys.stderr.flush()
    os._exit(code)
