"""How the learner toolkit's views (:mod:`coursekit.selfcheck`, :mod:`coursekit.progress`) reach
the platform: they run one of its modules in a separate Python process, which prints one JSON
line, and show the HTML in a notebook or the text anywhere else. The learner's kernel so never
imports the platform, nbgrader or the gradebook.
"""

from __future__ import annotations

import json
import subprocess
import sys


def run(module: str, *args: str) -> dict:
    """Run ``python -m <module> ARGS`` and return its JSON answer; {"error": ...} if it gave none."""
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        answer = {}
    if not isinstance(answer, dict) or not answer:
        last = (proc.stderr.strip().splitlines() or ["it stopped unexpectedly"])[-1]
        return {"error": last}
    return answer


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def show(answer: dict) -> None:
    """The answer's HTML in a notebook, its text elsewhere."""
    if in_notebook():
        from IPython.display import HTML, display

        display(HTML(answer["html"]))
    else:
        print(answer["text"])


class Service:
    """A platform module kept running for a kernel's life (``python -m <module> ARGS``): one JSON
    line per request and per answer, so that only the first request pays for starting it."""

    def __init__(self, module: str, *args: str):
        import tempfile

        self.command = [sys.executable, "-m", module, *args]
        self.errors = tempfile.TemporaryFile(mode="w+")   # its stderr, for the one line shown on failure
        self.proc: subprocess.Popen | None = None
        self.ready: dict = {}

    def start(self) -> None:
        """Start it without waiting: it warms up while the learner reads (see :meth:`ask`)."""
        if self.proc is None or self.proc.poll() is not None:
            self.ready = {}
            self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.errors, text=True, bufsize=1)

    def _started(self) -> dict:
        """Its first line ({"ready": ...} or {"error": ...}), once it is up."""
        self.start()
        if not self.ready:
            self.ready = self._read()
        return self.ready

    def _read(self) -> dict:
        line = self.proc.stdout.readline() if self.proc and self.proc.stdout else ""
        try:
            answer = json.loads(line) if line.strip() else {}
        except json.JSONDecodeError:
            answer = {}
        if not isinstance(answer, dict) or not answer:
            self.close()
            self.errors.seek(0)
            last = (self.errors.read().strip().splitlines() or ["it stopped unexpectedly"])[-1]
            return {"error": last}
        return answer

    def ask(self, request: dict) -> dict:
        """The answer to ``request``; {"error": ...} when the service could not give one."""
        for _ in range(2):          # a service that died (a restarted machine's sleep, a kill) starts again
            started = self._started()
            if "error" in started:
                self.ready = {}
                return started
            try:
                self.proc.stdin.write(json.dumps(request) + "\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                self.close()
                continue
            return self._read()
        return {"error": "the checking process stopped"}

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None
            self.ready = {}
