"""A cohort on a real JupyterHub, end to end, through nbgrader's exchange.

The deployment (tests/hubdeploy.py): JupyterHub on loopback, running as root, with
LocalProcessSpawner and configurable-http-proxy; a trainer and two learners as Unix users; the kit
installed from its wheel (no checkout on the path); nbgrader's exchange in a folder of its own.

1. The trainer sets up a cohort and releases a module with `coursekit cohort init` and `release`
   (as the trainer's Unix user, from the installed wheel).
2. Each learner, through the hub's REST API (their own token) and their server's APIs: starts their
   server, fetches the module in nbgrader's Assignment List extension (what JupyterLab's
   Assignments tab calls), writes their answers through the Contents API and submits. The first
   answers every autograded question as the solution does; the second only the first half.
3. The trainer collects from the exchange, grades (isolated) and returns feedback.
4. Each learner fetches their feedback: their own answers and scores, no hidden test, nobody else's
   name; and cannot read the other's feedback or submission, as their Unix user or through a server.

Needs root, runuser, useradd/userdel, and configurable-http-proxy on PATH. CI installs the proxy
when the command is missing:

    command -v configurable-http-proxy || npm install -g configurable-http-proxy@4

Without them the test is skipped (or fails where COURSEKIT_REQUIRE_SERVERS is set: tests/servers.py).
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import hubdeploy
from servers import unavailable

pytestmark = [pytest.mark.servers, pytest.mark.slow, pytest.mark.xdist_group("servers")]

MODULE = "m01_right_tool"
WRITTEN = {0: "Pause the rollout: first learner's recommendation.",
           1: "Ask for a pilot: second learner's recommendation."}


def _require(missing: list[tuple[str, str]]) -> None:
    if missing:
        unavailable(", ".join(what for what, _ in missing), "; ".join(f"{what}: {how}" for what, how in missing))


@pytest.fixture
def hub(request):
    _require(hubdeploy.missing_tools())
    wheel = request.getfixturevalue("wheel")
    source = request.getfixturevalue("wheel_source")
    started = time.monotonic()
    with hubdeploy.deploy(wheel, source) as dep:
        users = [dep.trainer, *dep.learners]
        uids = [dep.uid(u) for u in users]
        yield dep
        proxy = hubdeploy._pid_from(dep.base / "hub" / "proxy.pid")
    # Taken down: no user, no home, no process of theirs, no folder left.
    for user, uid in zip(users, uids):
        with pytest.raises(KeyError):
            pwd.getpwnam(user)
        assert not os.path.exists(f"/home/{user}")
        assert hubdeploy.user_processes(uid) == [], f"processes of {user} still run"
    assert not dep.base.exists()
    assert dep.hub.poll() is not None and proxy and not hubdeploy._alive(proxy), "the hub or its proxy still runs"
    print(f"hub deployment, test and teardown: {time.monotonic() - started:.1f} s")


def _ok(proc, what: str) -> str:
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _status(listing: dict, status: str) -> list[dict]:
    assert listing["success"], listing
    return [a for a in listing["value"] if a["assignment_id"] == MODULE and a["status"] == status]


class Phases:
    """Wall time of each step, printed at the end (for the workshop guide's timings)."""

    def __init__(self):
        self.started = self.last = time.monotonic()
        self.times: list[tuple[str, float]] = []

    def done(self, what: str) -> None:
        now = time.monotonic()
        self.times.append((what, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{what} {seconds:.1f} s" for what, seconds in self.times)


def _as(dep, user: str, *args: str):
    return hubdeploy.as_user(user, list(args), cwd=dep.home(user), env={"PATH": "/usr/bin:/bin", "LANG": "C"})


@pytest.mark.long
def test_a_cohort_on_jupyterhub_through_nbgraders_exchange(hub, wheel_source):
    from coursekit.platform.cohort.feedback import hidden_test_lines, visible_text
    from coursekit.platform.nbgrader_adapter import cells

    dep = hub
    l1, l2 = dep.learners
    phases = Phases()

    # 1. The trainer: a cohort of the two learners (ids are their hub user names), then the release.
    dep.start_cohort(MODULE)
    phases.done("init and release")
    assert (dep.exchange / dep.course_id / "outbound" / MODULE / "exercise.ipynb").is_file()

    # 2. The learners: servers started with their own tokens, the module fetched, answered, submitted.
    for user in dep.learners:
        dep.request_server(user)
    solution = json.loads((wheel_source / "solutions" / MODULE / "exercise.ipynb").read_text(encoding="utf-8"))
    ids = hubdeploy.answer_ids(solution)
    answers = {l1: ids, l2: ids[: len(ids) // 2]}
    assert answers[l2], "the module has too few answer cells for a partial submission"
    for i, user in enumerate(dep.learners):
        dep.wait_for_server(user)
        phases.done(f"{user}'s server")
        lab = dep.server_api(user, "GET", "/lab/api/extensions")
        assert lab.ok and any("nbgrader" in e.get("name", "") and e.get("enabled") for e in lab.json()), \
            "JupyterLab has no Assignments tab (nbgrader's labextension)"
        assert _status(dep.assignments(user), "released"), "the release is not listed in the Assignments tab"
        assert _status(dep.assignments(user, "fetch", MODULE), "fetched")
        path = f"{dep.fetched(MODULE)}/exercise.ipynb"
        dep.write_notebook(user, path, hubdeploy.answered(dep.read_notebook(user, path), solution, answers[user],
                                                          WRITTEN[i]))
        submitted = _status(dep.assignments(user, "submit", MODULE), "submitted")
        assert submitted and submitted[0]["student_id"] == user
        phases.done(f"{user} fetches, answers, submits")

    # 3. The trainer collects from the exchange, grades (isolated) and returns feedback.
    collected = json.loads(_ok(dep.coursekit("cohort", "collect", MODULE, "--dir", str(dep.cohort), "--json"),
                               "cohort collect"))
    assert sorted(collected["collected"]) == sorted(dep.learners), collected
    phases.done("collect")
    report = json.loads(_ok(dep.coursekit("cohort", "grade", MODULE, "--dir", str(dep.cohort), "--json", "--quiet"),
                            "cohort grade"))
    phases.done("grade")
    assert report["isolation"] not in ("", "none"), f"grading was not isolated: {report['isolation']!r}"
    scores = {s["learner"]: s for s in report["submissions"]}
    assert {s["status"] for s in scores.values()} == {"graded"}, scores
    full = scores[l1]["max_score"]
    assert full > 0 and scores[l1]["score"] == full, scores[l1]
    assert 0 < scores[l2]["score"] < full, scores[l2]
    _ok(dep.coursekit("cohort", "feedback", MODULE, "--dir", str(dep.cohort)), "cohort feedback")
    phases.done("feedback")

    # 4. Each learner fetches their own feedback, and reads it through their server.
    source = json.loads((dep.course / "solutions" / MODULE / "exercise.ipynb").read_text(encoding="utf-8"))
    secrets = hidden_test_lines(source, cells.markers())
    assert secrets, "the module has no hidden test lines to look for"
    pages = {}
    for i, user in enumerate(dep.learners):
        mine = _status(dep.assignments(user, "fetch_feedback", MODULE), "submitted")
        assert len(mine) == 1 and mine[0]["student_id"] == user, mine
        latest = mine[0]["submissions"][-1]
        assert latest["has_local_feedback"], latest
        folder = latest["local_feedback_path"]
        page = dep.read_file(user, f"{folder}/exercise.html")
        assert page.status_code == 200, page.text[:300]
        pages[user] = (folder, page.json()["content"])
    phases.done("both fetch feedback")
    for i, user in enumerate(dep.learners):
        other = dep.learners[1 - i]
        raw = pages[user][1]
        text = visible_text(raw)
        s = scores[user]
        assert f"Autograded questions: {s['score']:g} / {s['max_score']:g} points" in text
        assert WRITTEN[i] in text and WRITTEN[1 - i] not in text, "a page shows another learner's written answer"
        first_answer = next(c for c in solution["cells"] if hubdeploy._nbgrader(c).get("grade_id") == ids[0])
        own_line = next(ln for ln in hubdeploy._text(first_answer).splitlines() if ln.strip() and "SOLUTION" not in ln)
        assert own_line.strip() in text, "the page does not show the learner's own answer"
        leaked = sorted(line for line in secrets if line in text)
        assert not leaked, f"hidden test code on {user}'s page: {leaked[:3]}"
        assert "HIDDEN TESTS" not in raw
        assert other not in raw, "a page names another learner"

    # ... and cannot read the other's: not as their Unix user,
    home1, home2 = dep.home(l1), dep.home(l2)
    own_feedback = home1 / pages[l1][0] / "exercise.html"
    assert _as(dep, l1, "cat", str(own_feedback)).returncode == 0     # the path is right: its owner reads it
    course = dep.exchange / dep.course_id
    for target in [own_feedback, home1 / dep.fetched(MODULE) / "exercise.ipynb",
                   dep.cohort / "submitted" / l1 / MODULE / "exercise.ipynb",
                   dep.cohort / "feedback" / l1 / MODULE / "exercise.html"]:
        proc = _as(dep, l2, "cat", str(target))
        assert proc.returncode != 0 and "Permission denied" in proc.stderr, f"{l2} can read {target}"
        assert proc.stdout == ""
    # nbgrader leaves a submission's files readable by all, in a folder whose name ends in 12 random
    # characters, in an inbound folder only the trainer can list; feedback pages are named by a hash
    # of the submission's secret, in a folder only the trainer can list: neither can be found.
    for folder in (course / "inbound", course / "feedback", home1):
        proc = _as(dep, l2, "ls", str(folder))
        assert proc.returncode != 0 and "Permission denied" in proc.stderr, f"{l2} can list {folder}"
    assert home2.stat().st_mode & 0o077 == 0
    # ... nor through a server: not with their token on the other's server, not out of their own.
    theirs = dep.server_api(l1, "GET", f"/api/contents/{pages[l1][0]}/exercise.html", token=dep.tokens[l2],
                            allow_redirects=False)
    assert theirs.status_code == 403, (theirs.status_code, theirs.text[:300])
    for method, path in (("GET", f"/users/{l1}"), ("DELETE", f"/users/{l1}/server")):
        other = dep.hub_api(method, path, token=dep.tokens[l2])
        assert other.status_code in (403, 404), f"{l2}'s token may {method} {path} on the hub"
    rel = os.path.relpath(own_feedback, home2)
    escaped = dep.read_file(l2, rel)
    assert escaped.status_code in (400, 403, 404), (escaped.status_code, escaped.text[:300])
    assert WRITTEN[0] not in escaped.text
    print(f"\nhub test steps: {phases}; grading isolation: {report['isolation']}; scores: "
          + ", ".join(f"{s['score']:g}/{s['max_score']:g}" for s in report["submissions"]))


def test_what_a_killed_run_left_is_removed_at_the_next_start():
    _require([m for m in hubdeploy.missing_tools() if m[0] != hubdeploy.PROXY])
    gone = subprocess.Popen(["true"])
    gone.wait()                                   # a process id that no longer runs: the killed run's
    suffix = hubdeploy._suffix()
    stale, live = f"ckt-{suffix}", f"ckl1-{suffix}"
    sleeper = None
    try:
        hubdeploy.add_user(stale, owner=gone.pid)
        hubdeploy.add_user(live)                  # made by this process, which runs: kept
        base = Path(tempfile.mkdtemp(prefix=hubdeploy.BASE_PREFIX, dir=hubdeploy.BASE_DIR))
        (base / "owner.pid").write_text(f"{gone.pid}\n")
        sleeper = subprocess.Popen(["runuser", "-u", stale, "--", "sleep", "300"], cwd="/",
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not hubdeploy.user_processes(pwd.getpwnam(stale).pw_uid) and time.monotonic() < deadline:
            time.sleep(0.1)
        uid = pwd.getpwnam(stale).pw_uid
        assert hubdeploy.user_processes(uid), "the stale user's process did not start"

        removed = hubdeploy.remove_stale()

        assert stale in removed and str(base) in removed and live not in removed
        with pytest.raises(KeyError):
            pwd.getpwnam(stale)
        assert pwd.getpwnam(live) and not base.exists() and not Path(f"/home/{stale}").exists()
        assert hubdeploy.user_processes(uid) == []
        sleeper.wait(timeout=10)
    finally:
        if sleeper is not None and sleeper.poll() is None:
            sleeper.kill()
        for user in (stale, live):
            hubdeploy.remove_user(user)
