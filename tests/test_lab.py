"""`coursekit lab` without a browser: a real JupyterLab server, started as the command starts it,
driven through JupyterLab's REST and websocket API. `coursekit` works in its terminal, SIGTERM
stops it with its kernels and terminals, and it starts without nbgrader's or JupyterLab's noise."""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from coursekit import __version__
from coursekit.cli import lab

REPO = Path(__file__).resolve().parent.parent
POSIX = os.name == "posix"
# One group for pytest-xdist (one JupyterLab serves them all).
pytestmark = [pytest.mark.xdist_group("test_lab"), pytest.mark.slow]
START_TIMEOUT = 60
# The kit's environment: its python (bin/, or Scripts\ of a Windows venv) and its commands.
KIT_DIRS = {str(Path(sys.executable).parent.absolute()), str(Path(sysconfig.get_path("scripts")).absolute())}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """`coursekit lab --no-browser` on a free port with a token, in its own process group."""

    def __init__(self, folder: Path):
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "lab.log"
        self.seen: set[psutil.Process] = set()
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(folder / "runtime"), JUPYTER_CONFIG_DIR=str(folder / "config"),
                   JUPYTER_DATA_DIR=str(folder / "data"),   # a signature store of its own: trust is made here
                   COURSEKIT_HOME=str(folder / "learner"), SHELL="/bin/bash" if Path("/bin/bash").exists() else "/bin/sh",
                   # Not on PATH beforehand: only `coursekit lab` can have put the kit's folders there.
                   PATH=os.pathsep.join(d for d in os.environ.get("PATH", "").split(os.pathsep) if d not in KIT_DIRS))
        env.pop("COURSEKIT_ROOT", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "coursekit", "lab", "--no-browser", "--port", str(self.port),
                 "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}"],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=POSIX)  # its own process group, so that the teardown reaches its kernels

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"coursekit lab exited with {self.proc.returncode} before serving:\n{self.output()}")
            try:
                self.request("GET", "/api/status", timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        pytest.fail(f"JupyterLab did not serve within {START_TIMEOUT} s:\n{self.output()}")

    def request(self, method: str, path: str, timeout: float = 10):
        req = urllib.request.Request(f"{self.url}{path}", method=method, data=b"" if method == "POST" else None,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read().decode("utf-8")
        return json.loads(body) if body and resp.headers.get_content_type() == "application/json" else body

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def processes(self) -> list[psutil.Process]:
        """The lab and everything it started: kernels, and terminal shells (in sessions of their own)."""
        try:
            top = psutil.Process(self.proc.pid)
            found = [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            found = []
        self.seen.update(found)
        return found

    def stop(self) -> None:
        """End the server whatever happened: SIGTERM to its group, then SIGKILL to whatever is left,
        including what outlived the process the test started."""
        procs = {*self.seen, *self.processes()}
        if POSIX:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        elif self.proc.poll() is None:
            self.proc.terminate()
        _, alive = psutil.wait_procs(procs, timeout=15)
        for p in alive:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def running_lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("lab"))
    try:
        server.wait_until_serving()
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_lab(tmp_path):
    server = Lab(tmp_path)
    try:
        server.wait_until_serving()
        yield server
    finally:
        server.stop()


ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-B])")  # colours, modes, titles


def run_in_terminal(server: Lab, command: str, done: re.Pattern, timeout: float = 45) -> str:
    """Open a JupyterLab terminal (REST), type ``command`` (terminado's websocket) and return what
    the terminal showed once ``done`` matched it."""
    import websocket  # websocket-client, a dependency of jupyter_server

    name = server.request("POST", "/api/terminals")["name"]
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/terminals/websocket/{name}",
                                     header=[f"Authorization: token {server.token}"], timeout=timeout)
    shown = ""
    try:
        ws.send(json.dumps(["stdin", command + "\r"]))
        ws.settimeout(2)  # short waits, so that the deadline holds while the server only pings
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done.search(ANSI.sub("", shown).replace("\r", "")):
            try:
                message = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            if message[0] == "stdout":
                shown += message[1]
            elif message[0] == "disconnect":
                break
    finally:
        ws.close()
    return ANSI.sub("", shown).replace("\r", "")


@pytest.mark.skipif(not POSIX, reason="types POSIX shell commands into the terminal")
def test_coursekit_runs_in_jupyterlabs_terminal(running_lab):
    # Each marker is printed as two pieces joined by the shell, so that the terminal's echo of the
    # typed line never matches it.
    command = ("printf '%s:%s\\n' found \"$(command -v coursekit)\"; coursekit --version; "
               "printf '%s:%s\\n' exit \"$?\" prefix \"$(python -c 'import sys; print(sys.prefix)')\" "
               "root \"$COURSEKIT_ROOT\" done 1")
    shown = run_in_terminal(running_lab, command, re.compile(r"^done:1$", re.M))

    def printed(name: str) -> str:
        line = re.search(rf"^{name}:(.*)$", shown, re.M)
        assert line, f"the terminal printed no {name}: line:\n{shown}"
        return line.group(1).strip()

    assert printed("done") == "1", f"the terminal did not finish the command:\n{shown}"
    found = printed("found")
    assert found, f"`coursekit` is not on the terminal's PATH:\n{shown}"
    assert os.path.samefile(Path(found).parent, sysconfig.get_path("scripts")), found  # the kit's own command
    assert f"coursekit {__version__}" in shown.splitlines(), shown
    assert printed("exit") == "0", shown
    prefix = printed("prefix")
    assert prefix and os.path.samefile(prefix, sys.prefix), f"`python` in the terminal is not the kit's: {prefix}"
    root = printed("root")
    assert root and os.path.samefile(root, REPO), root


def test_kernels_get_the_course_root_and_the_kits_path(running_lab):
    """A notebook's kernel finds the course and the kit's commands wherever the notebook is."""
    kernel = running_lab.request("POST", "/api/kernels")
    try:
        deadline = time.monotonic() + 30
        found = []
        while not found and time.monotonic() < deadline:
            found = [p for p in running_lab.processes() if kernel["id"] in " ".join(p.cmdline())]
            time.sleep(0.2)
        assert found, "the kernel's process was not found"
        env = found[0].environ()
    finally:
        running_lab.request("DELETE", f"/api/kernels/{kernel['id']}")
    assert Path(env["COURSEKIT_ROOT"]).samefile(REPO)
    assert set(env["PATH"].split(os.pathsep)[:len(KIT_DIRS)]) == KIT_DIRS, env["PATH"]


def test_start_up_is_quiet(running_lab):
    out, ready, _ = running_lab.output().partition("Use Control-C to stop this server")
    assert ready, "JupyterLab did not say it was ready"
    assert "No nbgrader_config.py file found" not in out
    assert "Traceback" not in out and "[W " not in out and "[E " not in out, out   # no warning, no error
    # The page JupyterLab serves carries its configuration: the news plugin is off, so no pop-up
    # asks "Would you like to get notified about official Jupyter news?".
    page = running_lab.request("GET", "/lab")
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]


def test_the_courses_notebooks_open_trusted_and_unchanged(running_lab):
    """The lessons' stored widgets render only in a trusted notebook (else JupyterLab shows a line
    of text such as `ReviewWidget(children=...)`); and a notebook stored with the running kernel's
    spec is not changed by opening it, so closing it does not ask to save."""
    from coursekit.platform import notebooks

    kernels = running_lab.request("GET", "/api/kernelspecs")
    running = kernels["kernelspecs"][kernels["default"]]["spec"]
    for rel in ("START.ipynb", "modules/m04_automation_bias/lesson.ipynb", "exercises/m01_right_tool/exercise.ipynb"):
        model = running_lab.request("GET", f"/api/contents/{rel}?content=1")
        code = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
        assert all(c["metadata"].get("trusted") for c in code), f"{rel} is not trusted"
        stored = model["content"]["metadata"]["kernelspec"]
        assert stored["display_name"] == running["display_name"] and stored["name"] == kernels["default"], rel
        assert notebooks.kernelspec_problem(model["content"]) is None, rel
    assert "is not trusted" not in running_lab.output()


@pytest.mark.skipif(not POSIX, reason="SIGTERM is a POSIX signal")
def test_sigterm_stops_jupyterlab_with_its_kernels_and_terminals(own_lab):
    kernel = own_lab.request("POST", "/api/kernels")
    own_lab.request("POST", "/api/terminals")
    deadline = time.monotonic() + 30   # the kernel and the terminal's shell are started
    while len(own_lab.processes()) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    started = own_lab.processes()
    assert len(started) >= 3, [p.cmdline() for p in started]
    assert kernel["id"]

    os.kill(own_lab.proc.pid, signal.SIGTERM)  # to `coursekit lab` itself, as a service manager sends it
    try:
        own_lab.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("coursekit lab still runs 20 s after SIGTERM")
    _, alive = psutil.wait_procs(started, timeout=15)
    assert not alive, f"left running after SIGTERM: {[' '.join(p.cmdline()) for p in alive]}"
    with pytest.raises(OSError):
        own_lab.request("GET", "/api/status", timeout=2)


@pytest.mark.skipif(not POSIX, reason="POSIX shells")
@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_terminal_puts_the_kit_first_after_the_users_start_up_files(shell, tmp_path):
    """A learner whose ~/.bashrc or ~/.zshrc puts something else first (pyenv, conda) still gets
    the kit's python and coursekit; their own files are all read, and zsh's ZDOTDIR is theirs again."""
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed")
    home = tmp_path / "home"
    (home / ".config" / "zsh").mkdir(parents=True)
    (home / ".profile").write_text('PATH=/opt/from-profile:$PATH\n[ -r ~/.bashrc ] && . ~/.bashrc\n')
    (home / ".bashrc").write_text("PATH=/opt/shims:$PATH\n")
    (home / ".zshenv").write_text('export ZDOTDIR="$HOME/.config/zsh"\n')
    (home / ".config" / "zsh" / ".zprofile").write_text("PATH=/opt/from-profile:$PATH\n")
    (home / ".config" / "zsh" / ".zshrc").write_text("PATH=/opt/shims:$PATH\n")
    dirs = lab.kit_bin_dirs()
    cmd = lab.terminal_command(dirs, tmp_path / "shell", shell=path)
    env = dict(os.environ, HOME=str(home), PATH="/usr/bin:/bin")
    env.pop("ZDOTDIR", None)
    typed = "printf '%s=%s\\n' path \"$PATH\" zdotdir \"${ZDOTDIR-}\" coursekit \"$(command -v coursekit)\"; exit\n"
    out = subprocess.run(cmd, input=typed, capture_output=True, text=True, env=env, timeout=30).stdout
    printed = dict(re.findall(r"^(path|zdotdir|coursekit)=(.*)$", out, re.M))
    entries = printed["path"].split(os.pathsep)
    assert entries[:len(dirs)] == dirs, printed["path"]
    assert "/opt/shims" in entries and "/opt/from-profile" in entries, printed["path"]
    assert Path(printed["coursekit"]).parent == Path(sysconfig.get_path("scripts")).absolute()
    if shell == "zsh":
        assert printed["zdotdir"] == str(home / ".config" / "zsh")
