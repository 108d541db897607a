import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

# nbgrader calls `alembic` from the environment's bin/.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

# `coursekit check` grades cold in the tests, except where a test turns the warm grader on
# (tests/test_warm_grader.py): a warm grader stays after the check that started it, and no test
# may leave one behind.
os.environ["COURSEKIT_WARM_GRADER"] = "0"

from postgres import postgres  # noqa: E402,F401  (the throw-away PostgreSQL server: tests/postgres.py)


def pytest_collection_modifyitems(items):
    """Tests marked ``long`` (a module's grading, the hub, PostgreSQL) go first. pytest-xdist hands
    the first tests out in turn to its processes and the rest to whichever is free, so long tests
    at the end would leave one process working alone while the other waits."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A temp course root (the kit's framework and profiles, and the two test modules of
    tests/evidence_course.py) and a fresh personal folder."""
    import evidence_course as ec

    r = ec.make_root(tmp_path / "root")
    ec.use_root(monkeypatch, r)
    monkeypatch.setenv("COURSEKIT_HOME", str(tmp_path / "home"))
    yield r
    ec.use_root(monkeypatch, r)  # clear the caches again


@pytest.fixture
def learner_home(tmp_path, monkeypatch):
    """A fresh personal folder for `coursekit check` and `coursekit progress`."""
    home = tmp_path / "learner"
    monkeypatch.setenv("COURSEKIT_HOME", str(home))
    return home


@pytest.fixture
def mini_course(tmp_path, monkeypatch):
    """A tiny course (one two-question module) as COURSEKIT_ROOT, with its release built."""
    import minicourse
    from coursekit.platform.authoring import build
    from coursekit.platform import competencies
    from coursekit.platform import syllabus

    root = minicourse.make(tmp_path / "course_root")
    monkeypatch.setenv("COURSEKIT_ROOT", str(root))
    syllabus._load.cache_clear()
    competencies._load.cache_clear()
    build.build()
    yield root
    syllabus._load.cache_clear()
    competencies._load.cache_clear()


# --- The built wheel and a venv that has only it (tests/test_packaging.py) ---------------------

def _clean_env(**extra) -> dict:
    """The environment for the wheel's venv: nothing that points Python back at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "COURSEKIT_ROOT",
                        "COURSEKIT_HOME", "COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG"}}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def _source_files(repo: Path) -> list[str]:
    """What a clean clone holds: tracked files and new ones git does not ignore (never build/, .venv/)."""
    import subprocess
    try:
        out = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".learner"}
        return [p.relative_to(repo).as_posix() for p in repo.rglob("*")
                if p.is_file() and not skip & set(p.relative_to(repo).parts) and ".egg-info" not in str(p)]
    return [f for f in out.split("\0") if f and (repo / f).is_file()]


def _can_build_offline() -> bool:
    """Whether this environment's setuptools can make a wheel without fetching anything."""
    try:
        import setuptools
        from importlib.metadata import version
    except ImportError:
        return False
    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    if (major, minor) >= (70, 1):          # bdist_wheel is part of setuptools from 70.1 on
        return True
    try:
        version("wheel")
        return True
    except Exception:
        return False


def build_wheel(base: Path) -> Path:
    """The wheel of this checkout, built in ``base`` from a clean copy of its files (``base/src``).

    The copy holds everything a clean clone holds (the course included, so that a packaging rule
    that swept it in would show), never a stale build/ folder; the checkout is left untouched.
    With a setuptools that can build wheels here, nothing is fetched; otherwise pip sets up its
    usual isolated build environment (the build-system requirement, from the package index or
    pip's cache), as `pip install` of the kit does. Raises RuntimeError when the build fails.
    """
    import shutil
    import subprocess
    import time

    started = time.monotonic()
    src, out = base / "src", base / "dist"
    for rel in _source_files(REPO):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, src / rel)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-w", str(out), str(src)]
    if _can_build_offline():
        cmd.insert(-1, "--no-build-isolation")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_clean_env())
    wheels = sorted(out.glob("coursekit-*.whl"))
    if proc.returncode != 0 or len(wheels) != 1:
        raise RuntimeError(f"building the wheel failed ({' '.join(cmd)}):\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    wheels[0].with_suffix(".log").write_text(f"{time.monotonic() - started:.1f} s\n{proc.stdout}\n{proc.stderr}")
    return wheels[0]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel of this checkout, built once per session (see :func:`build_wheel`)."""
    try:
        return build_wheel(tmp_path_factory.mktemp("wheel"))
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def wheel_source(wheel) -> Path:
    """The clean copy of the checkout that ``wheel`` was built from."""
    return wheel.parent.parent / "src"


class InstalledVenv:
    """A venv holding the wheel's coursekit and no other; third-party packages come from this
    environment through a one-line .pth (a plain path: the .pth files there, among them the
    editable install's finder, are not run)."""

    def __init__(self, root: Path):
        self.root = root
        self.python = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    @property
    def bin(self) -> Path:
        return self.python.parent

    def env(self, **extra) -> dict:
        env = _clean_env(**extra)
        env["PATH"] = str(self.bin) + os.pathsep + env.get("PATH", "")
        env["VIRTUAL_ENV"] = str(self.root)
        return env

    def run(self, args, cwd: Path, timeout: float = 300, **env):
        import subprocess
        return subprocess.run([str(self.python), *args], cwd=cwd, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)


def make_venv(wheel: Path, root: Path) -> InstalledVenv:
    """A venv at ``root`` with the wheel installed (no pip inside, nothing fetched); third-party
    packages come from this environment. Raises RuntimeError when the install fails."""
    import subprocess
    import sysconfig
    import time

    started = time.monotonic()
    venv = InstalledVenv(root)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv.root)], check=True,
                   env=_clean_env(), capture_output=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv.python), "install", "--no-deps",
                           "--no-index", "--disable-pip-version-check", "-q", str(wheel)],
                          capture_output=True, text=True, env=_clean_env())
    if proc.returncode != 0:
        raise RuntimeError(f"installing the wheel failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    purelib = Path(subprocess.run([str(venv.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True, env=venv.env()).stdout.strip())
    (purelib / "_coursekit_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = subprocess.run([str(venv.python), "-c", "import coursekit; print(coursekit.__file__)"],
                           check=True, capture_output=True, text=True, env=venv.env(), cwd=venv.root).stdout.strip()
    if not Path(where).resolve().is_relative_to(venv.root.resolve()):
        raise RuntimeError(f"the venv imports coursekit from {where}, not from the installed wheel")
    (venv.root / "setup-seconds.txt").write_text(f"{time.monotonic() - started:.1f}\n")
    return venv


@pytest.fixture(scope="session")
def installed_venv(wheel, tmp_path_factory) -> InstalledVenv:
    """One venv per session with the wheel installed (see :func:`make_venv`)."""
    try:
        return make_venv(wheel, tmp_path_factory.mktemp("venv") / "env")
    except RuntimeError as exc:
        pytest.fail(str(exc))
