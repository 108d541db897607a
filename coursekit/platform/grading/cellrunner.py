"""Run a notebook's cells in a sandboxed child of a pre-warmed process.

Starting a Jupyter kernel and importing pandas costs most of the CPU of grading one notebook. A
*runner* is started once per grader, with a scrubbed environment, imports IPython, pandas, numpy,
matplotlib and the learner toolkit, and then forks one child per run: the child starts with all of
that already loaded. The runner never reads a course file, so a child, which learner code
controls, finds nothing of the grader's in its memory: each child reads its own job file after the
fork, isolates itself (:mod:`coursekit.platform.grading.isolation`), runs the job's steps in an
IPython shell that records Jupyter outputs, and writes its result file.

Steps: ``{"cell": index, "code": ...}`` runs a cell; ``{"export": key, "names": [...]}`` writes the
named variables as plain data (:mod:`coursekit.platform.grading.values`); ``{"inject": {...}}``
sets variables from plain data (and removes the ones given as ``null``).

The runner enforces the per-cell limit (interrupt, then kill) and the whole-run limit, and after
each run ends every process the child left behind. Protocol: JSON lines on stdin and stdout.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from pathlib import Path

#: Environment a sandboxed run sees: nothing of the grader's but these.
ENV_ALLOWED = ("LANG", "LC_ALL", "TZ", "PYTHONHASHSEED")
MAX_STREAM_CHARS = 200_000


WHOLE_TOOLKIT = ("matplotlib.pyplot", "coursekit.ai_act", "coursekit.fairness", "coursekit.plotting",
                 "coursekit.selfcheck", "coursekit.quality", "coursekit.impact", "coursekit.procurement",
                 "coursekit.monitoring", "coursekit.widgets")


class CellTimeoutError(BaseException):
    """Raised in learner code when its cell overran the per-cell limit (like nbclient's)."""


# --- inside the child: an IPython shell that records outputs ----------------------------------

def _make_shell():
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class Hook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self.shell.cell_outputs.append({"output_type": "execute_result", "data": dict(format_dict),
                                            "metadata": dict(md_dict or {}),
                                            "execution_count": self.shell.execution_count})

        def finish_displayhook(self):
            pass

    class Pub(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
            self.shell.cell_outputs.append({"output_type": "display_data", "data": dict(data),
                                            "metadata": dict(metadata or {})})

        def clear_output(self, wait=False):
            self.shell.cell_outputs.clear()

    class Shell(InteractiveShell):
        displayhook_class = Hook
        display_pub_class = Pub

        def _showtraceback(self, etype, evalue, stb):
            self.cell_outputs.append({"output_type": "error", "ename": getattr(etype, "__name__", str(etype)),
                                      "evalue": str(evalue), "traceback": list(stb)})

        def enable_gui(self, gui=None):
            pass

    from traitlets.config import Config

    cfg = Config()
    cfg.HistoryManager.enabled = False
    cfg.InteractiveShell.colors = "NoColor"
    shell = Shell(config=cfg)
    shell.cell_outputs = []
    return shell


class _Stream:
    """sys.stdout / sys.stderr of the shell: stream outputs, capped."""

    def __init__(self, shell, name: str):
        self.shell, self.name, self.encoding = shell, name, "utf-8"

    def write(self, text) -> int:
        text = str(text)
        outs = self.shell.cell_outputs
        if outs and outs[-1].get("output_type") == "stream" and outs[-1]["name"] == self.name:
            if len(outs[-1]["text"]) < MAX_STREAM_CHARS:
                outs[-1]["text"] += text[:MAX_STREAM_CHARS]
        else:
            outs.append({"output_type": "stream", "name": self.name, "text": text[:MAX_STREAM_CHARS]})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


def _run_steps(shell, steps: list, progress: int, cell_timeout: int) -> dict:
    """Run the steps; whatever learner code breaks, the exports and the result are still made."""
    import builtins

    from coursekit.platform.grading import values

    encode = values.encode
    pristine = dict(builtins.__dict__)

    def restore_builtins() -> None:
        # Learner code may have replaced isinstance, len, set...: the kit's own steps use the originals.
        builtins.__dict__.clear()
        builtins.__dict__.update(pristine)

    def on_alarm(signum, frame):
        raise CellTimeoutError(f"A cell timed out while it was being executed, after {cell_timeout} seconds.")

    signal.signal(signal.SIGINT, on_alarm)
    sys.stdout, sys.stderr = _Stream(shell, "stdout"), _Stream(shell, "stderr")
    cells: dict[str, dict] = {}
    exports: dict[str, dict] = {}
    problems: dict[str, dict] = {}
    for step in steps:
        if "cell" in step:
            index = str(step["cell"])
            shell.cell_outputs = []
            os.write(progress, f"S{index}\n".encode())
            try:
                ok = bool(shell.run_cell(step["code"], store_history=True, silent=False).success)
                shell.events.trigger("post_execute")   # the inline backend draws figures here
            except BaseException as exc:  # learner code broke the shell itself: record it, go on
                ok = False
                shell.cell_outputs.append({"output_type": "error", "ename": type(exc).__name__,
                                           "evalue": str(exc)[:500], "traceback": []})
            os.write(progress, f"E{index}\n".encode())
            cells[index] = {"outputs": shell.cell_outputs, "execution_count": shell.execution_count - 1, "ok": ok}
        elif "export" in step:
            restore_builtins()
            got, why = {}, {}
            for name in step["names"]:
                if name not in shell.user_ns:
                    continue
                try:
                    got[name] = encode(shell.user_ns[name])
                except Exception as exc:       # NotPlain, or an object that fails when read
                    why[name] = str(exc)[:300] or exc.__class__.__name__
            exports[step["export"]] = got
            if why:
                problems[step["export"]] = why
        elif "inject" in step:
            for name, data in step["inject"].items():
                if data is None or (isinstance(data, dict) and data.get("absent")):
                    shell.user_ns.pop(name, None)
                else:
                    shell.user_ns[name] = values.decode(data["value"])
    restore_builtins()
    return {"cells": cells, "exports": exports, "problems": problems}


def _allowed_reads() -> list[Path]:
    """What a sandboxed run may read: the Python installation, the toolkit, the data (no manifests)."""
    import site
    import sysconfig

    import coursekit

    paths = {Path(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(Path(sysconfig.get_paths()[key]))
    paths |= {Path(p) for p in site.getsitepackages()}
    # Package folders of another environment that a .pth file chained in (a hub image whose kit
    # venv reuses the packages of the image's environment): packages only, never a checkout.
    paths |= {Path(p) for p in sys.path if Path(p).name in {"site-packages", "dist-packages"} and Path(p).is_dir()}
    pkg = Path(coursekit.__file__).resolve().parent
    for entry in pkg.iterdir():
        if entry.name == "datasets":
            for sub in entry.iterdir():
                if sub.name == "data":
                    paths |= {f for f in sub.iterdir() if not f.name.endswith(".manifest.json")}
                else:
                    paths.add(sub)
        else:
            paths.add(entry)
    paths |= {Path(p) for p in ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/share/zoneinfo",
                                "/usr/share/fonts", "/etc/localtime", "/etc/ld.so.cache", "/etc/passwd",
                                "/etc/group", "/etc/nsswitch.conf", "/etc/fonts", "/dev/null", "/dev/zero",
                                "/dev/urandom", "/dev/random", "/proc", "/sys/devices/system/cpu")}
    # An editable install puts the checkout itself on sys.path; only the package is allowed above.
    return sorted(paths)


def _child(jobdir: Path, progress: int, spec: dict, shell) -> None:
    from coursekit.platform.grading import isolation

    job = json.loads((jobdir / "job.json").read_text(encoding="utf-8"))
    result_path = Path(job["result"])
    result_fd = os.open(result_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    scratch = Path(job["scratch"])
    # Nothing of the runner's is left open to learner code (its protocol pipes above all): only the
    # progress pipe and the result file. Its own output goes nowhere.
    keep = sorted({progress, result_fd})
    low = 3
    for fd in keep:
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    os.setsid()
    isolation.die_with_parent()
    if spec.get("cgroup"):
        try:
            isolation.Cgroup([Path(d) for d in spec["cgroup"]]).join()
        except OSError:
            pass
    mem = int(spec["memory_mb"]) * 1024 * 1024
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (int(spec["cpu_seconds"]), int(spec["cpu_seconds"]) + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(spec["file_mb"]) * 1024 * 1024,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    if spec.get("isolate"):
        if os.geteuid() != 0:
            # Not binding for root (the cgroup's pids limit is), and counted over the whole user.
            n = isolation.count_user_processes(os.getuid()) + int(spec["max_processes"])
            resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
        netns = spec.get("network") == "namespace" and isolation.unshare_network()
        isolation.drop_capabilities()
        isolation.restrict_files(_allowed_reads(), [scratch], abi=int(spec["landlock_abi"]),
                                 block_tcp=not netns)
    env = {k: os.environ[k] for k in ENV_ALLOWED if k in os.environ}
    env.update({"HOME": str(scratch), "TMPDIR": str(scratch / "tmp"), "MPLBACKEND": "Agg",
                "MPLCONFIGDIR": str(scratch / "tmp"), "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
                "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "NBGRADER_EXECUTION": "autograde", "COURSEKIT_SANDBOX": "1"})
    env.update(job.get("env", {}))
    os.environ.clear()
    os.environ.update(env)
    (scratch / "tmp").mkdir(exist_ok=True)
    os.chdir(job.get("cwd") or scratch)
    import tempfile

    tempfile.tempdir = None
    dumps = json.JSONEncoder(default=str).encode     # bound before learner code can touch json
    result = _run_steps(shell, job["steps"], progress, int(spec["cell_timeout"]))
    try:
        data = dumps(result).encode("utf-8")
    except Exception:   # learner code broke even that: the exports alone, then nothing but the fact
        try:
            data = dumps({"cells": {}, "exports": result.get("exports", {}), "problems": {}}).encode("utf-8")
        except Exception:
            data = b'{"cells": {}, "exports": {}, "problems": {}}'

    os.write(result_fd, data)
    os.close(result_fd)


# --- the runner: fork, watch, clean up --------------------------------------------------------

def _watch(pid: int, progress: int, cell_timeout: int, wall: float) -> tuple[str, int | None]:
    """Wait for the child; interrupt a cell that overruns, kill a run that will not stop."""
    started = time.monotonic()
    cell_started: float | None = None
    interrupted_at: float | None = None
    buf = b""
    status = "ok"
    while True:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, os.waitstatus_to_exitcode(st)
        now = time.monotonic()
        if now - started > wall:
            _kill_tree(pid)
            return "timeout", None
        if interrupted_at is not None and now - interrupted_at > 2.0:
            _kill_tree(pid)      # learner code caught or ignored the interrupt
            os.waitpid(pid, 0)
            return "cell-timeout-killed", None
        if cell_started is not None and interrupted_at is None and now - cell_started > cell_timeout:
            try:
                os.kill(pid, signal.SIGINT)
            except OSError:
                pass
            interrupted_at = now
        ready, _, _ = select.select([progress], [], [], 0.02)
        if ready:
            chunk = os.read(progress, 4096)
            buf = (buf + chunk)[-4096:]
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if line.startswith(b"S"):
                    cell_started, interrupted_at = time.monotonic(), None
                elif line.startswith(b"E"):
                    cell_started = None
                    interrupted_at = None


def _kill_tree(pid: int) -> None:
    for sig_target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            sig_target()
        except OSError:
            pass


def serve() -> None:
    """The runner's main loop (``python -m coursekit.platform.grading.cellrunner``)."""
    from coursekit.platform.grading import isolation

    isolation.die_with_parent()
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    os.environ.setdefault("MPLBACKEND", "Agg")
    # Warm up: what the notebooks import, loaded once, before any fork. The grader names the modules
    # its exercise imports (COURSEKIT_PRELOAD); without that, the whole toolkit.
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    import coursekit.datasets  # noqa: F401
    import coursekit.datasets._common  # noqa: F401
    from coursekit.platform.grading import values  # noqa: F401

    wanted = os.environ.get("COURSEKIT_PRELOAD")
    names = json.loads(wanted) if wanted else list(WHOLE_TOOLKIT)
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            pass       # the learner's run will say what is wrong with it
    if not wanted:
        from coursekit.datasets import NAMES, generator

        for name in NAMES:
            generator(name)
    shell = _make_shell()
    try:
        shell.enable_matplotlib("inline")
    except Exception:
        pass
    found = isolation.probe()
    isolation.Cgroup.sweep_stale()
    subreaper = isolation.become_subreaper()
    out.write(json.dumps({"ready": True, "isolation": found.as_json(), "subreaper": subreaper}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        spec = json.loads(line)
        out.write(json.dumps(_run_one(spec, shell, found)) + "\n")
    # Each run has already ended its processes and removed its cgroup; what is left is the
    # interpreter's own shutdown (IPython's and matplotlib's exit handlers), which takes most of a
    # second that the grader would wait for.
    out.flush()
    os._exit(0)


def _run_one(spec: dict, shell, found) -> dict:
    from coursekit.platform.grading import isolation

    started = time.monotonic()
    isolate = bool(spec.get("isolate", True)) and found.level != isolation.Level.NONE
    cg = None
    if isolate and found.cgroup:
        cg = isolation.Cgroup.create(f"{isolation.CGROUP_PREFIX}{os.getpid()}-{int(started * 1000) % 10**9}",
                                     int(spec["memory_mb"]), int(spec["max_processes"]))
    child_spec = dict(spec, isolate=isolate, network=found.network, landlock_abi=found.landlock_abi,
                      cgroup=[str(d) for d in cg.dirs] if cg else [])
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(r)
            _child(Path(spec["jobdir"]), w, child_spec, shell)
        except BaseException as exc:  # the run failed before or outside learner code: say why
            code = 3
        finally:
            os._exit(code)
    os.close(w)
    try:
        status, exit_code = _watch(pid, r, int(spec["cell_timeout"]), float(spec["wall"]))
    finally:
        os.close(r)
        if cg is not None:
            oom = cg.memory_exceeded()
            cg.kill_all()
            cg.remove()
        else:
            oom = False
        isolation.kill_descendants()
    return {"status": status, "exit": exit_code, "oom": oom, "isolated": isolate,
            "seconds": round(time.monotonic() - started, 3)}


if __name__ == "__main__":
    serve()
