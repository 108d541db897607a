"""The warm grader behind `coursekit check`: same grades as a cold check, only the learner's own
checks reach it, and it gives way when it is outdated, killed or idle."""

import json
import os
import socket
import time

import nbformat
import psutil
import pytest

import minicourse
from coursekit.cli import main
from coursekit.platform.grading import warmgrader

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="the warm grader is Linux-only")]


@pytest.fixture
def warm(mini_course, learner_home, monkeypatch):
    """The warm grader switched on for this learner folder; stopped and checked gone afterwards."""
    monkeypatch.setenv("COURSEKIT_WARM_GRADER", "1")
    yield learner_home
    pid = _pid()
    warmgrader.stop()
    assert pid is None or not warmgrader._running(pid)
    assert not _processes_under(warmgrader.folder())


def _pid():
    try:
        return int((warmgrader.folder() / "pid").read_text())
    except (OSError, ValueError):
        return None


def _processes_under(where):
    """Processes started by a warm grader of this folder (its runners have their cwd in its scratch)."""
    found = []
    for p in psutil.process_iter(["cmdline", "environ"]):
        try:
            if "coursekit.platform.grading.warmgrader" in " ".join(p.info["cmdline"] or []) and \
                    (p.info["environ"] or {}).get("COURSEKIT_HOME") == str(where.parent):
                found.append(p.pid)
        except (psutil.Error, TypeError):
            pass
    return found


def _check(path, capsys):
    capsys.readouterr()
    assert main(["check", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    return out["total"], {q["grade_id"]: (q["points"], q["status"]) for q in out["questions"]}


def _attempt(mini_course, tmp_path, name, **answers):
    nb = nbformat.read(mini_course / "exercises" / minicourse.MODULE / "exercise.ipynb", as_version=4)
    for grade_id, code in answers.items():
        minicourse.set_answer(nb, grade_id, code)
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _graded_lines():
    return (warmgrader.folder() / "log").read_text().count(" graded ")


def test_warm_checks_grade_as_cold_ones(warm, mini_course, tmp_path, capsys, monkeypatch):
    wrong = _attempt(mini_course, tmp_path, "wrong.ipynb", q1_answer="higher = 'b'", q2_answer="ratio = 0.5")
    right = _attempt(mini_course, tmp_path, "right.ipynb", q1_answer="higher = 'a'", q2_answer="ratio = 0.5")
    blank = mini_course / "exercises" / minicourse.MODULE / "exercise.ipynb"
    warm_results = [_check(p, capsys) for p in (wrong, right, blank)]
    pid = _pid()
    assert pid is not None and _graded_lines() == 3          # one grader took all three checks

    monkeypatch.setenv("COURSEKIT_WARM_GRADER", "0")
    cold_results = [_check(p, capsys) for p in (wrong, right, blank)]
    assert warm_results == cold_results
    assert [total for total, _ in warm_results] == [3, 5, 0]
    assert _pid() == pid and _graded_lines() == 3              # the cold checks did not use it


def test_only_the_learners_own_checks_reach_it(warm, mini_course, learner_home, tmp_path, capsys):
    _check(mini_course / "exercises" / minicourse.MODULE / "exercise.ipynb", capsys)   # starts it
    where = warmgrader.folder()
    assert oct(where.stat().st_mode & 0o777) == "0o700"
    assert oct((where / "token").stat().st_mode & 0o777) == "0o600"

    def ask(request):
        with socket.socket(socket.AF_UNIX) as s, warmgrader._short_path(where, "socket") as path:
            s.connect(path)
            s.sendall(json.dumps(request).encode())
            s.shutdown(socket.SHUT_WR)
            return json.loads(s.recv(1 << 16) or b"null")

    token = (where / "token").read_text()
    job = {"root": str(learner_home / "course"), "module_id": minicourse.MODULE, "student": "self",
           "db_url": None, "limits": {}, "isolate": True}
    assert ask({"token": "0" * 64, "key": warmgrader.code_key(), "job": job}) == {"refused": "token"}
    other = dict(job, root=str(tmp_path))
    assert ask({"token": token, "key": warmgrader.code_key(), "job": other}) == {"refused": "not this learner's course"}
    cohort_db = dict(job, db_url=f"sqlite:///{tmp_path / 'gradebook.db'}")
    assert ask({"token": token, "key": warmgrader.code_key(), "job": cohort_db}) == {"refused": "not this learner's course"}

    # Learner code, graded by that grader, tries the same from inside its sandbox.
    attack = f"""
import json, socket
home = {str(where)!r}
try:
    print("token:", open(home + "/token").read())
except Exception as e:
    print("token refused:", type(e).__name__)
try:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(home + "/socket")
    s.sendall(b'{{"token": "guess"}}')
    s.shutdown(socket.SHUT_WR)
    print("answer:", s.recv(1000))
except Exception as e:
    print("socket refused:", type(e).__name__)
higher = 'a'
"""
    path = _attempt(mini_course, tmp_path, "attack.ipynb", q1_answer=attack, q2_answer="ratio = 0.5")
    total, questions = _check(path, capsys)
    assert total == 5
    graded = (learner_home / "course" / "autograded" / "self" / minicourse.MODULE / "exercise.ipynb").read_text()
    assert token not in graded and "token refused" in graded
    assert "answer: b" not in graded           # no reply of any kind reached the graded code


def test_an_outdated_or_killed_grader_gives_way(warm, mini_course, tmp_path, capsys, monkeypatch):
    right = _attempt(mini_course, tmp_path, "right.ipynb", q1_answer="higher = 'a'", q2_answer="ratio = 0.5")
    assert _check(right, capsys)[0] == 5
    first = _pid()

    monkeypatch.setenv("TZ", "Europe/Lisbon")                  # started with other settings: outdated
    assert _check(right, capsys)[0] == 5
    second = _pid()
    assert second not in (None, first) and not warmgrader._running(first)

    os.kill(second, 9)                                         # killed: its socket is left behind
    while warmgrader._running(second):
        time.sleep(0.01)
    assert _check(right, capsys)[0] == 5
    assert _pid() not in (None, second), (warmgrader.folder() / "log").read_text()[-2000:] + str(_cmdlines_of_graders())


def test_an_idle_grader_ends_with_its_runners(warm, mini_course, capsys, monkeypatch):
    monkeypatch.setattr(warmgrader, "IDLE_SECONDS", 2)
    monkeypatch.setenv("COURSEKIT_WARM_GRADER_IDLE", "2")
    assert _check(mini_course / "exercises" / minicourse.MODULE / "exercise.ipynb", capsys)[0] == 0
    pid = _pid()
    runners = [c.pid for c in psutil.Process(pid).children()]
    assert runners
    until = time.monotonic() + 30
    while time.monotonic() < until and warmgrader._running(pid):
        time.sleep(0.2)
    assert not warmgrader._running(pid)
    time.sleep(0.5)
    assert not [r for r in runners if warmgrader._running(r)]
    assert not (warmgrader.folder() / "socket").exists()


def test_a_grader_warmed_ahead_serves_the_first_check(warm, mini_course, capsys):
    """What `coursekit lab` does as it opens: the first check then finds a warm runner for any module."""
    warmgrader.start_background(every_module=True)
    until = time.monotonic() + 60
    while time.monotonic() < until and not "--every-module" in " ".join(_cmdlines()):
        time.sleep(0.05)
    assert _check(mini_course / "exercises" / minicourse.MODULE / "exercise.ipynb", capsys)[0] == 0
    assert _graded_lines() == 1 and "rehearsal failed" not in (warmgrader.folder() / "log").read_text()
    runners = psutil.Process(_pid()).children()
    assert len(runners) == 1 and "COURSEKIT_PRELOAD" not in runners[0].environ()   # the whole-toolkit runner


def _cmdlines():
    return [" ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])]


def _cmdlines_of_graders():
    return [(p.pid, p.info["cmdline"]) for p in psutil.process_iter(["cmdline"])
            if "warmgrader" in " ".join(p.info["cmdline"] or [])]
