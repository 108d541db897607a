"""Isolating learner code on the grading machine, with the kernel's own mechanisms.

What a sandboxed process (a learner's notebook being graded) is held to:

- **files**: Landlock (Linux 5.13 and later) lets it read only the Python environment, the kit's
  installed package and the datasets' data files (not their manifests of planted facts), and write
  only its own scratch folder; everything else (the course's source and hidden tests, the
  gradebook, other learners' notebooks, the roster, the trainer's home) is refused by the kernel;
- **network**: a network namespace of its own, with no interface up (loopback included), where the
  grader may create one (as root, or through an unprivileged user namespace); else Landlock's TCP
  rules (Linux 6.7 and later) refuse every TCP bind and connect;
- **signals and other processes**: Landlock's scopes (Linux 6.12) refuse signals to, and abstract
  sockets of, anything outside the sandbox; as root the process also drops to an unprivileged user
  so that no capability (reboot, loading kernel modules, ptrace) is left to it;
- **environment**: only an allow-list (HOME and TMPDIR are its scratch folder);
- **memory and processes**: a cgroup (v1 memory and pids controllers, or v2 with delegation)
  bounds the whole tree, and is how every process it started is found and ended, detached and
  double-forked ones included; without one, rlimits bound each process, and the grader, a child
  subreaper, ends every descendant.

:func:`probe` says which level this machine gives: ``full`` (all of the above), ``partial``
(the same but memory and processes bounded per process only), ``none`` (no Landlock: macOS,
Windows, old kernels; grading works unisolated and says so).

The system calls are made with ctypes: the one Python binding of Landlock on PyPI is a development
release that knows neither its network rules nor its scopes, which the kit needs.
"""

from __future__ import annotations

import ctypes
import enum
import os
import platform
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


class Level(str, enum.Enum):
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"

    def __str__(self) -> str:
        return self.value


EXPLAIN = {
    Level.FULL: "learner code isolated: files, network, environment, and memory and processes of the whole tree",
    Level.PARTIAL: "learner code isolated: files, network and environment; memory and processes bounded per process "
                   "(no writable cgroup)",
    Level.NONE: "learner code NOT isolated (this system has no Landlock): a notebook could read or change the "
                "grader's files",
}

# --- Landlock ---------------------------------------------------------------------------------
_SYS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446), "arm64": (444, 445, 446)}
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_REMOVE_DIR, _FS_REMOVE_FILE, _FS_MAKE_CHAR, _FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
_FS_MAKE_REG, _FS_MAKE_SOCK, _FS_MAKE_FIFO, _FS_MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
_FS_MAKE_SYM, _FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS, _PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 38, 1, 36
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000

_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def landlock_abi() -> int:
    """Landlock's ABI version on this kernel, 0 where there is none."""
    if sys.platform != "linux" or platform.machine() not in _SYS:
        return 0
    libc = _libc()
    if libc is None:
        return 0
    v = libc.syscall(_SYS[platform.machine()][0], None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(v), 0)


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1            # ABI 1: bits 0..12
    if abi >= 2:
        rights |= _FS_REFER
    if abi >= 3:
        rights |= _FS_TRUNCATE
    if abi >= 5:
        rights |= _FS_IOCTL_DEV
    return rights


def restrict_files(read: list[Path], write: list[Path], *, abi: int, block_tcp: bool) -> None:
    """Landlock this process (and all it starts): read ``read``, read and write ``write``, nothing else."""
    libc = _libc()
    create, add, restrict = _SYS[platform.machine()]
    handled = _handled_fs(abi)
    attr = _RulesetAttr(handled, (_NET_BIND_TCP | _NET_CONNECT_TCP) if (block_tcp and abi >= 4) else 0,
                        (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    fd = libc.syscall(create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for paths, rights in ((read, _READ), (write, handled)):
            for p in paths:
                try:
                    pfd = os.open(p, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue     # a path this machine does not have
                try:
                    allowed = rights & handled
                    if not os.path.isdir(p):
                        allowed &= _FILE_RIGHTS
                    rule = _PathBeneath(allowed, pfd)
                    if libc.syscall(add, ctypes.c_int(fd), ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(rule),
                                    ctypes.c_uint32(0)) < 0:
                        raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {p}")
                finally:
                    os.close(pfd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(restrict, ctypes.c_int(fd), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(fd)


# --- network ----------------------------------------------------------------------------------

def unshare_network() -> bool:
    """Move this process into a network namespace of its own (no interface up). True if it worked."""
    libc = _libc()
    if libc is None or sys.platform != "linux":
        return False
    if libc.unshare(_CLONE_NEWNET) == 0:
        return True
    # Unprivileged: a user namespace first (allowed on most distributions), then the network one.
    return libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0


# --- cgroups ----------------------------------------------------------------------------------

def _own_cgroup_paths() -> dict[str, str]:
    """controller -> this process's cgroup path ('' key: the v2 unified hierarchy)."""
    out = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, ctrls, path = line.split(":", 2)
            for c in ctrls.split(",") if ctrls else [""]:
                out[c] = path
    except OSError:
        pass
    return out


CGROUP_PREFIX = "coursekit-"


@dataclass
class Cgroup:
    """One grading's cgroup: its memory and process count bounded, its processes found and ended."""

    dirs: list[Path] = field(default_factory=list)

    @classmethod
    def create(cls, name: str, memory_mb: int, max_processes: int) -> "Cgroup | None":
        own = _own_cgroup_paths()
        base = Path("/sys/fs/cgroup")
        made: list[Path] = []
        try:
            if "memory" in own and "pids" in own and (base / "memory").is_dir():      # v1
                mem = base / "memory" / own["memory"].lstrip("/") / name
                pids = base / "pids" / own["pids"].lstrip("/") / name
                for d in (mem, pids):
                    d.mkdir(exist_ok=True)
                    made.append(d)
                (mem / "memory.limit_in_bytes").write_text(str(memory_mb * 1024 * 1024))
                try:
                    (mem / "memory.memsw.limit_in_bytes").write_text(str(memory_mb * 1024 * 1024))
                except OSError:
                    pass     # no swap accounting: memory alone
                (pids / "pids.max").write_text(str(max_processes))
                return cls(made)
            if "" in own and (base / "cgroup.controllers").exists():                   # v2
                parent = base / own[""].lstrip("/")
                enabled = (parent / "cgroup.subtree_control").read_text().split()
                if not {"memory", "pids"} <= set(enabled):
                    return None
                d = parent / name
                d.mkdir(exist_ok=True)
                made.append(d)
                (d / "memory.max").write_text(str(memory_mb * 1024 * 1024))
                (d / "memory.swap.max").write_text("0") if (d / "memory.swap.max").exists() else None
                (d / "pids.max").write_text(str(max_processes))
                return cls(made)
        except OSError:
            cls(made).remove()
        return None

    @classmethod
    def sweep_stale(cls) -> int:
        """End the processes and remove the cgroups a killed runner left behind. How many it removed."""
        own = _own_cgroup_paths()
        base = Path("/sys/fs/cgroup")
        parents = [base / c / own[c].lstrip("/") for c in ("memory", "pids") if c in own]
        if "" in own and not parents:
            parents = [base / own[""].lstrip("/")]
        stale: dict[str, list[Path]] = {}
        for parent in parents:
            try:
                entries = list(parent.iterdir())
            except OSError:
                continue
            for d in entries:
                if d.is_dir() and d.name.startswith(CGROUP_PREFIX) and not d.name.startswith(CGROUP_PREFIX + "probe"):
                    runner = d.name[len(CGROUP_PREFIX):].split("-")[0]
                    if runner.isdigit() and not Path(f"/proc/{runner}").exists():
                        stale.setdefault(d.name, []).append(d)
        for dirs in stale.values():
            cg = cls(dirs)
            cg.kill_all()
            cg.remove()
        return len(stale)

    def join(self, pid: int = 0) -> None:
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(pid or os.getpid()))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for d in self.dirs:
            try:
                found |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def kill_all(self) -> None:
        kill = self.dirs[0] / "cgroup.kill" if self.dirs else None
        if kill is not None and kill.exists():
            try:
                kill.write_text("1")
            except OSError:
                pass
        for _ in range(200):
            pids = self.pids()
            if not pids:
                return
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            _reap()
            time.sleep(0.005)

    def memory_exceeded(self) -> bool:
        for d in self.dirs:
            for name in ("memory.failcnt", "memory.events"):
                f = d / name
                try:
                    text = f.read_text()
                except OSError:
                    continue
                if name == "memory.failcnt" and int(text.strip() or 0) > 0:
                    return True
                if name == "memory.events" and any(ln.startswith("oom_kill ") and ln.split()[1] != "0"
                                                   for ln in text.splitlines()):
                    return True
        return False

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


# --- processes --------------------------------------------------------------------------------

def become_subreaper() -> bool:
    """Orphaned descendants (detached, double-forked) become this process's children, to be ended."""
    libc = _libc()
    return bool(libc is not None and sys.platform == "linux" and libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def die_with_parent() -> None:
    libc = _libc()
    if libc is not None and sys.platform == "linux":
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def children_of(pid: int) -> set[int]:
    kids: set[int] = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            kids.add(int(entry.name))
    return kids


def kill_descendants(keep: frozenset[int] = frozenset()) -> None:
    """End every process below this one (a subreaper), until none is left, except ``keep``'s subtrees."""
    if sys.platform != "linux":
        return
    me = os.getpid()
    for _ in range(200):
        todo, seen = [me], set()
        while todo:
            for kid in children_of(todo.pop()):
                if kid not in seen and kid not in keep:
                    seen.add(kid)
                    todo.append(kid)
        if not seen:
            return
        for p in seen:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        _reap()
        time.sleep(0.005)


# --- what this machine gives ------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    level: Level
    landlock_abi: int
    cgroup: bool
    network: str       # "namespace", "landlock-tcp" or "none"
    detail: str

    def as_json(self) -> dict:
        return {"level": self.level.value, "landlock_abi": self.landlock_abi, "cgroup": self.cgroup,
                "network": self.network, "detail": self.detail}


def _can_unshare_network() -> bool:
    if sys.platform != "linux":
        return False
    pid = os.fork()
    if pid == 0:
        os._exit(0 if unshare_network() else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def probe() -> Probe:
    """What isolation this machine allows, tried for real (a cgroup made and removed, a fork)."""
    if os.environ.get("COURSEKIT_ISOLATION") == "none":
        return Probe(Level.NONE, 0, False, "none", "isolation switched off (COURSEKIT_ISOLATION=none)")
    abi = landlock_abi()
    if abi < 1:
        return Probe(Level.NONE, 0, False, "none", "no Landlock on this system")
    cg = Cgroup.create(f"coursekit-probe-{os.getpid()}", 64, 8)
    if cg is not None:
        cg.remove()
    net = "namespace" if _can_unshare_network() else ("landlock-tcp" if abi >= 4 else "none")
    if net == "none":
        return Probe(Level.NONE, abi, cg is not None, net, "no way to cut the network off (Landlock below ABI 4)")
    level = Level.FULL if cg is not None else Level.PARTIAL
    return Probe(level, abi, cg is not None, net, EXPLAIN[level])


_PR_CAPBSET_DROP = 24
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Give up every capability for good (as root: no reboot, no kernel modules, no raw devices).

    The process keeps its user id, so that it can still read the Python installation wherever
    root's own files are (a Python under /root, which is 0700); Landlock decides what it reads.
    """
    libc = _libc()
    if libc is None or sys.platform != "linux":
        return
    for cap in range(64):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)      # EINVAL past the last capability: ignored
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def count_user_processes(uid: int) -> int:
    n = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    n += int(Path(entry.path, "status").read_text().split("Threads:")[1].split()[0])
            except (OSError, IndexError, ValueError):
                pass
    return n
