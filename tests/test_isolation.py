"""Learner code cannot subvert grading: a corpus of attacks graded in one cohort beside honest work.

Each attack is what a learner who wants marks without the work (or a colleague's marks) would
write in an answer cell of m01: read the hidden tests, the roster, the trainer's files and
environment; write the gradebook, a colleague's notebook, the cached template; fool the tests with
input transformers, redefined helpers, patched builtins and always-equal objects; reach a local
server; leave processes behind; spread memory over children. Honest work keeps its exact score,
every attack scores what a blank notebook scores, nothing of what they tried to read reaches any
file a learner receives, and nothing outside their scratch folder changes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from coursekit.cli import main
from coursekit.platform import paths
from coursekit.platform.grading import isolation

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(isolation.probe().level == isolation.Level.NONE,
                                 reason="this system has no Landlock: isolation cannot be tested here")]

MODULE = "m01_right_tool"
SECRET_ENV = "COURSEKIT_TEST_TRAINER_SECRET"
SECRET = "trainer-secret-7d1f0a"
LEAK = "LEAKED::"


def _release() -> nbformat.NotebookNode:
    return nbformat.read(paths.course_root() / "exercises" / MODULE / "exercise.ipynb", as_version=4)


def _solution() -> nbformat.NotebookNode:
    return nbformat.read(paths.course_root() / "solutions" / MODULE / "exercise.ipynb", as_version=4)


def _with_cell(nb, grade_id: str, code: str):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = code
            return nb
    raise KeyError(grade_id)


def _secret_reader(label: str, path: str) -> str:
    """Code that prints a file's text disguised (base64, zero-width spaces), tagged with LEAK."""
    return f"""
import base64
try:
    _t = open({path!r}, encoding="utf-8", errors="replace").read()
    print("LEA" + "KED::" + {label!r} + base64.b64encode(_t.encode()).decode()[:4000])
    print("\\u200b".join(_t[:2000]))
except Exception as _e:
    print("refused:", type(_e).__name__)
"""


def _attacks(cohort: Path, server_port: int, trainer_home: Path) -> dict[str, str]:
    gradebook = cohort / "gradebook.db"
    colleague = cohort / "submitted" / "honest_full" / MODULE / "exercise.ipynb"
    return {
        "read_source": _secret_reader("source:", str(cohort / "source" / MODULE / "exercise.ipynb")),
        "read_roster": _secret_reader("roster:", str(cohort / "roster.csv")),
        "read_trainer_home": _secret_reader("home:", str(trainer_home / "notes.txt")),
        "read_checkout_solutions": _secret_reader("solutions:", str(paths.course_root() / "solutions" / MODULE
                                                                    / "exercise.ipynb")),
        "read_manifest": f"""
from coursekit import datasets
try:
    print("LEA" + "KED::" + "manifest:" + str(datasets.manifest("benefit_claims")["facts"])[:200])
except Exception as e:
    print("refused:", type(e).__name__)
""",
        "environment": f"""
import os
print("LEA" + "KED::" + "env:" + repr(dict(os.environ)) if {SECRET_ENV!r} in os.environ else "no secret in env")
print(sorted(os.environ))
""",
        "write_gradebook": f"""
import sqlite3
try:
    db = sqlite3.connect({str(gradebook)!r})
    db.execute("update grade set auto_score = 100, manual_score = 100")
    db.commit()
    print("LEA" + "KED::" + "wrote the gradebook")
except Exception as e:
    print("refused:", type(e).__name__)
""",
        "overwrite_colleague": f"""
try:
    open({str(colleague)!r}, "w").write("{{}}")
    print("LEA" + "KED::" + "overwrote a colleague")
except Exception as e:
    print("refused:", type(e).__name__)
""",
        "tamper_templates": f"""
import glob, sqlite3
for p in glob.glob({str(cohort)!r} + "/**/*.db", recursive=True) + glob.glob("/tmp/**/*.db", recursive=True):
    try:
        db = sqlite3.connect(p)
        db.execute("update grade_cells set points = 0")
        db.execute("update source_cells set source = 'pass'")
        db.commit()
        print("LEA" + "KED::" + "tampered " + p)
    except Exception as e:
        pass
print("done")
""",
        "input_transformer": """
def _blank(lines):
    return ["pass\\n"]
get_ipython().input_transformers_post.append(_blank)
get_ipython().input_transformers_cleanup.append(_blank)
scraping_point = "x"
""",
        "patched_builtins": """
import builtins
builtins.set = lambda *a, **k: type("All", (), {"__eq__": lambda s, o: True, "__le__": lambda s, o: True,
                                               "__ge__": lambda s, o: True, "__hash__": lambda s: 0,
                                               "issubset": lambda s, o: True})()
builtins.isinstance = lambda *a: True
builtins.sorted = lambda x, **k: x
def check_tiers(*a, **k):
    return True
import numpy, pandas
numpy.isclose = lambda *a, **k: True
pandas.testing.assert_frame_equal = lambda *a, **k: None
scraping_point = "x"
""",
        "always_equal": """
class Anything(str):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = str.__hash__
class AnyDict(dict):
    def __eq__(self, other): return True
    def __getitem__(self, k): return Anything("x")
    def get(self, k, d=None): return Anything("x")
scraping_point = Anything("x")
tier_of = AnyDict()
""",
        "network": f"""
import socket
try:
    s = socket.create_connection(("127.0.0.1", {server_port}), timeout=3)
    s.sendall(b"hello from a learner")
    s.close()
    print("LEA" + "KED::" + "reached the network")
except Exception as e:
    print("refused:", type(e).__name__)
""",
        "detached_processes": """
import os, subprocess, sys
marker = "coursekit-orphan-marker"
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", marker], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", marker])
    os._exit(0)
print("started")
""",
        "memory_over_children": """
import subprocess, sys
code = "b = bytearray(400 * 1024 * 1024)\\nfor i in range(0, len(b), 4096): b[i] = 1\\nimport time; time.sleep(3)"
procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(6)]
ok = sum(p.wait() == 0 for p in procs)
print("children that held 400 MB:", ok)
""",
        "kill_the_grader": """
import os, signal
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
        print("LEA" + "KED::killed", pid)
    except Exception as e:
        print("refused:", type(e).__name__)
""",
    }


class _Server(threading.Thread):
    """A local TCP server that records whether anyone connected."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.stop = False

    def run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.received.append(conn.recv(1000))
            conn.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _orphans(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.fixture
def attacked_cohort(tmp_path, monkeypatch):
    trainer_home = tmp_path / "trainer_home"
    trainer_home.mkdir()
    (trainer_home / "notes.txt").write_text(f"private notes {SECRET}")
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv("HOME", str(trainer_home))
    server = _Server()
    server.start()
    cohort = tmp_path / "cohort"
    roster = tmp_path / "roster.csv"
    attacks = _attacks(cohort, server.port, trainer_home)
    learners = ["honest_full", "honest_q1", "blank", *attacks]
    with open(roster, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["learner_id", "first_name", "last_name", "email", "department", "profile"])
        for lid in learners:
            w.writerow([lid, "Ann", f"Example-{lid}", f"{lid}@ministry.example", "Benefits", "caseworker"])
    assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(roster)]) == 0
    notebooks = {"honest_full": _solution(), "blank": _release(),
                 "honest_q1": _with_cell(_release(), "q1_answer", 'scraping_point = "e"')}
    for name, code in attacks.items():
        notebooks[name] = _with_cell(_release(), "q1_answer", code)
    for lid, nb in notebooks.items():
        d = cohort / "submitted" / lid / MODULE
        d.mkdir(parents=True)
        nbformat.write(nb, d / "exercise.ipynb")
        (d / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    yield cohort, server
    server.stop = True
    for pid in _orphans("coursekit-orphan-marker"):
        os.kill(pid, 9)


def test_attacks_score_as_blank_and_change_nothing(attacked_cohort, capsys):
    cohort, server = attacked_cohort
    colleague = cohort / "submitted" / "honest_full" / MODULE / "exercise.ipynb"
    protected = [colleague, cohort / "roster.csv", cohort / "source" / MODULE / "exercise.ipynb"]
    before = {p: _sha(p) for p in protected}
    capsys.readouterr()
    status = main(["cohort", "grade", MODULE, "--dir", str(cohort), "--json", "--quiet", "--memory-mb", "1024"])
    out = json.loads(capsys.readouterr().out)
    subs = {s["learner"]: s for s in out["submissions"]}
    assert out["isolation"] in ("full", "partial")
    assert status == 0, [s for s in subs.values() if s["status"] != "graded"]
    # Honest work keeps its exact score; every attack scores what the blank notebook scores.
    assert subs["honest_full"]["score"] == subs["honest_full"]["max_score"] > 10
    assert subs["honest_q1"]["score"] == 1
    blank = subs["blank"]["score"]
    assert blank == 0
    attackers = [k for k in subs if k not in ("honest_full", "honest_q1", "blank")]
    assert {k: subs[k]["score"] for k in attackers} == {k: blank for k in attackers}
    # Nothing they tried to read reached a file a learner receives; nothing outside scratch changed.
    assert main(["cohort", "feedback", MODULE, "--dir", str(cohort)]) in (0, 1)
    for path in list((cohort / "autograded").rglob("*")) + list((cohort / "feedback").rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert LEAK not in text, f"{path} holds what an attack read or did"
            assert SECRET not in text and "@ministry.example" not in text, path
    assert {p: _sha(p) for p in protected} == before
    assert not server.received, "learner code reached a server on loopback"
    graded = nbformat.read(cohort / "autograded" / "memory_over_children" / MODULE / "exercise.ipynb", as_version=4)
    shown = "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))
    held = [int(line.rsplit(":", 1)[1]) for line in shown.splitlines() if "children that held 400 MB" in line]
    if out["isolation"] == "full":
        assert held and held[0] <= 2, shown[:500]      # 1024 MB for the whole tree
    time.sleep(0.5)
    assert _orphans("coursekit-orphan-marker") == [], "a learner's process outlived its grading"
    # The gradebook holds the scores the grader gave (no learner wrote it).
    capsys.readouterr()
    assert main(["cohort", "grade", MODULE, "--dir", str(cohort), "--json", "--quiet"]) == 0
    again = {s["learner"]: s for s in json.loads(capsys.readouterr().out)["submissions"]}
    assert again["honest_full"]["score"] == subs["honest_full"]["max_score"]
    assert again["honest_full"]["status"] == "skipped"


def test_grading_without_isolation_gives_the_same_scores_and_says_so(tmp_path, monkeypatch, capsys):
    """Where isolation is unavailable, grading still works, says so, and asks to be allowed."""
    cohort = tmp_path / "cohort"
    roster = tmp_path / "roster.csv"
    roster.write_text("learner_id,department,profile\nfull,Benefits,caseworker\nq1,Benefits,caseworker\n")
    assert main(["cohort", "init", "--dir", str(cohort), "--roster", str(roster)]) == 0
    for lid, nb in {"full": _solution(), "q1": _with_cell(_release(), "q1_answer", 'scraping_point = "e"')}.items():
        d = cohort / "submitted" / lid / MODULE
        d.mkdir(parents=True)
        nbformat.write(nb, d / "exercise.ipynb")
    monkeypatch.setenv("COURSEKIT_ISOLATION", "none")
    capsys.readouterr()
    assert main(["cohort", "grade", MODULE, "--dir", str(cohort), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "NOT isolated" in err and "--allow-unisolated" in err
    assert main(["cohort", "grade", MODULE, "--dir", str(cohort), "--json", "--quiet", "--allow-unisolated"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["isolation"] == "none"
    assert {s["learner"]: s["score"] for s in out["submissions"]} == {"full": out["submissions"][0]["max_score"], "q1": 1}
    capsys.readouterr()
    assert main(["cohort", "grade", MODULE, "--dir", str(cohort), "--quiet", "--allow-unisolated", "--force"]) == 0
    assert "isolation: none" in capsys.readouterr().out


def test_check_reports_its_isolation_and_grades_by_value(learner_home, capsys):
    nb = _with_cell(_solution(), "q1_answer", """
class Anything(str):
    def __eq__(self, other): return True
    __hash__ = str.__hash__
scraping_point = Anything("x")
""")
    path = learner_home.parent / "attempt.ipynb"
    nbformat.write(nb, path)
    capsys.readouterr()
    assert main(["check", str(path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    scores = {q["grade_id"]: q["points"] for q in got["questions"]}
    assert scores["q1"] == 0
    assert all(q["points"] == q["max_points"] for q in got["questions"] if q["grade_id"] != "q1" and q["autograded"])
    assert got["isolation"] in ("full", "partial")


UNPRIVILEGED = "ck-test-learner"


def _python_reachable_by_others() -> bool:
    probe = subprocess.run(["runuser", "-u", "nobody", "--", sys.executable, "-c", "import pandas"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/sbin/runuser").exists(),
                    reason="needs root to create an unprivileged user")
@pytest.mark.xdist_group("servers")          # it creates a Unix user (a name of its own)
def test_an_unprivileged_grader_isolates_too(tmp_path):
    """As an ordinary user (no writable cgroup, RLIMIT_NPROC binding): isolation is partial, and holds."""
    if not _python_reachable_by_others():
        if os.environ.get("COURSEKIT_REQUIRE_SERVERS"):
            pytest.fail("the kit's Python is not readable by other users (its installation is under a 0700 "
                        "home); .ci/run makes it so")
        pytest.skip("the kit's Python is not readable by other users on this machine")
    subprocess.run(["userdel", "-r", UNPRIVILEGED], capture_output=True)
    subprocess.run(["useradd", "--create-home", UNPRIVILEGED], check=True)
    try:
        work = Path("/tmp") / f"ck-unpriv-{os.getpid()}"
        work.mkdir(mode=0o755)
        subprocess.run(["chown", UNPRIVILEGED, str(work)], check=True)
        secret = work / "trainer_secret.txt"
        secret.write_text(SECRET)
        secret.chmod(0o644)      # readable by that user: only the sandbox keeps it out
        script = f"""
import json, sys
from pathlib import Path
from coursekit.platform.grading import byvalue, isolation
from coursekit.platform.grading.limits import Limits
src = json.load(open({str(paths.course_root() / 'solutions' / MODULE / 'exercise.ipynb')!r}))
nb = json.load(open({str(paths.course_root() / 'exercises' / MODULE / 'exercise.ipynb')!r}))
for c in nb["cells"]:
    if c.get("metadata", {{}}).get("nbgrader", {{}}).get("grade_id") == "q1_answer":
        c["source"] = "import os\\ntry:\\n    print('LEAKED::' + open({str(secret)!r}).read())\\nexcept Exception as e:\\n    print('refused', type(e).__name__)\\nscraping_point = 'e'\\n"
work = Path({str(work)!r})
runner = byvalue.Runner.start(work)
res = byvalue.grade_by_value(nb, src, runner, Limits(), work / "job")
runner.close()
out = "".join(o.get("text", "") for c in res.notebook["cells"] for o in c.get("outputs", []))
errors = {{c["metadata"]["nbgrader"]["grade_id"]: any(o["output_type"] == "error" for o in c["outputs"])
          for c in res.notebook["cells"] if c["metadata"].get("nbgrader", {{}}).get("grade") and c["cell_type"] == "code"}}
print(json.dumps({{"level": res.isolation, "leaked": "LEAKED::" in out, "refused": "refused" in out, "errors": errors}}))
"""
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(paths.course_root()), "HOME": f"/home/{UNPRIVILEGED}"}
        proc = subprocess.run(["runuser", "-u", UNPRIVILEGED, "--", sys.executable, "-c", script],
                              capture_output=True, text=True, env=env, cwd=str(work), timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        assert got["level"] in ("partial", "full")
        assert not got["leaked"] and got["refused"]
        assert got["errors"]["q1"] is False
        assert all(failed for gid, failed in got["errors"].items() if gid != "q1")
    finally:
        subprocess.run(["userdel", "-r", UNPRIVILEGED], capture_output=True)
        subprocess.run(["rm", "-rf", str(work)], capture_output=True)
