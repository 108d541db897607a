"""The learner's workspace (`coursekit lab`): made on first open, never overwriting the learner's
work, offering a new release beside it, and taking in work done in the tracked exercises/ folder."""

import json
import os
import shutil

import nbformat
import pytest

import minicourse
from coursekit.cli import lab
from coursekit.platform import paths, workspace
from coursekit.platform.authoring import build

MODULE = minicourse.MODULE
EXERCISE = f"exercises/{MODULE}/exercise.ipynb"
LESSON = f"modules/{MODULE}/lesson.ipynb"


@pytest.fixture
def course(mini_course, learner_home):
    """The mini course with a lesson, a facilitator guide and a start page, and a fresh learner."""
    folder = mini_course / "modules" / MODULE
    folder.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Lesson")]), folder / "lesson.ipynb")
    (folder / "facilitator.md").write_text("# Facilitator guide\nModel answers: higher = 'a'\n")
    start = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Start"),
        nbformat.v4.new_markdown_cell("table", metadata={"coursekit": {"generated": "modules"}})])
    nbformat.write(start, mini_course / "START.ipynb")
    build.build()     # the start page's table
    return mini_course


def ws():
    return workspace.workspace_dir()


def answer(path, code: str) -> None:
    """The learner answers question 1 in the notebook at ``path`` and saves it."""
    nb = nbformat.read(path, as_version=4)
    minicourse.set_answer(nb, "q1_answer", code)
    nbformat.write(nb, path)


def update_course(course) -> None:
    """A course update: the source of the exercise changes and its release is rebuilt."""
    src = course / "solutions" / MODULE / "exercise.ipynb"
    nb = nbformat.read(src, as_version=4)
    nb.cells[0].source = "# Demo exercise (second edition)"
    nbformat.write(nb, src)
    build.build()


def test_first_open_makes_the_workspace_without_trainer_material(course):
    prepared = workspace.prepare()
    assert prepared.folder == paths.learner_home() / "workspace"
    files = sorted(p.relative_to(ws()).as_posix() for p in ws().rglob("*") if p.is_file())
    assert files == ["START.ipynb", EXERCISE, LESSON]      # no solutions, tests, facilitator guide
    assert (ws() / EXERCISE).read_bytes() == (course / EXERCISE).read_bytes()
    start = nbformat.read(ws() / "START.ipynb", as_version=4)
    table = next(c for c in start.cells if c.metadata.get("coursekit") == {"generated": "modules"})
    # the start page's links resolve inside the workspace
    for target in (EXERCISE, LESSON):
        assert f"]({target})" in table.source
        assert (ws() / target).exists()
    assert not prepared.messages()


def test_reopening_never_overwrites_the_learners_work(course):
    workspace.prepare()
    answer(ws() / EXERCISE, "higher = 'b'")
    mine = (ws() / EXERCISE).read_bytes()
    workspace.prepare()
    assert (ws() / EXERCISE).read_bytes() == mine
    assert not list((ws() / "exercises" / MODULE).glob("*new release*"))


def test_course_update_offers_the_new_release_beside_the_learners_copy(course):
    workspace.prepare()
    answer(ws() / EXERCISE, "higher = 'b'")
    mine = (ws() / EXERCISE).read_bytes()
    update_course(course)
    prepared = workspace.prepare()
    assert (ws() / EXERCISE).read_bytes() == mine       # the learner's work untouched
    beside = ws() / "exercises" / MODULE / "exercise (new release).ipynb"
    assert beside.read_bytes() == (course / EXERCISE).read_bytes()
    assert prepared.offered == [(EXERCISE, beside.relative_to(ws()).as_posix())]
    start = (ws() / "START.ipynb").read_text()
    assert "exercise%20%28new%20release%29.ipynb" in start and "Your own copy" in start
    # opened again: the same offer, no second copy
    workspace.prepare()
    assert sorted(p.name for p in (ws() / "exercises" / MODULE).iterdir()) == [
        "exercise (new release).ipynb", "exercise.ipynb"]
    # the learner copies their answers across and deletes the offer: it is not made again
    beside.unlink()
    assert workspace.prepare().offered == []
    assert not beside.exists() and (ws() / EXERCISE).read_bytes() == mine


def test_an_unchanged_copy_follows_the_course(course):
    workspace.prepare()
    update_course(course)
    prepared = workspace.prepare()
    assert (ws() / EXERCISE).read_bytes() == (course / EXERCISE).read_bytes()
    assert prepared.updated == [EXERCISE] and not prepared.offered


def test_work_in_the_tracked_exercises_folder_moves_into_the_workspace(course):
    released = (course / EXERCISE).read_bytes()
    answer(course / EXERCISE, "higher = 'a'")     # done before there was a workspace
    work = (course / EXERCISE).read_bytes()
    assert work != released
    prepared = workspace.prepare()
    assert (ws() / EXERCISE).read_bytes() == work                   # the work is the learner's copy
    assert (course / EXERCISE).read_bytes() == released             # the tracked file is the release again
    assert prepared.moved == [(EXERCISE, EXERCISE)]
    # later opens keep it, and a course update is offered beside it
    update_course(course)
    workspace.prepare()
    assert (ws() / EXERCISE).read_bytes() == work
    assert (ws() / "exercises" / MODULE / "exercise (new release).ipynb").exists()


def test_tracked_work_never_replaces_a_workspace_copy(course):
    workspace.prepare()
    answer(ws() / EXERCISE, "higher = 'b'")
    mine = (ws() / EXERCISE).read_bytes()
    answer(course / EXERCISE, "higher = 'a'")     # worked on in the course folder (a trainer's lab)
    work = (course / EXERCISE).read_bytes()
    prepared = workspace.prepare()
    assert (ws() / EXERCISE).read_bytes() == mine
    moved_to = ws() / "exercises" / MODULE / "exercise (from the exercises folder).ipynb"
    assert moved_to.read_bytes() == work
    assert prepared.moved == [(EXERCISE, moved_to.relative_to(ws()).as_posix())]


@pytest.mark.slow
def test_check_records_a_workspace_copy_under_its_module(course):
    from coursekit.platform.grading import check

    workspace.prepare()
    answer(ws() / EXERCISE, "higher = 'a'")
    result = check.check(ws() / EXERCISE)
    assert result.module == MODULE
    assert {q.grade_id: q.points for q in result.questions}["q1"] == 2


def test_learners_lab_opens_the_workspace_without_instructor_tools(course):
    folder = workspace.prepare().folder
    cmd = lab.lab_command(folder=folder)
    assert f"--ServerApp.root_dir={folder}" in cmd
    switch = next(a for a in cmd if a.startswith("--ServerApp.jpserver_extensions="))
    assert all(v is False for v in eval(switch.partition("=")[2]).values())
    assert "nbgrader.server_extensions.formgrader" in switch
    env = lab.lab_environment(course)
    assert env["COURSEKIT_ROOT"] == str(course)
    config_dir = env["JUPYTER_CONFIG_PATH"].split(":")[0]
    disabled = json.loads((paths.learner_home() / "lab" / "jupyter-config" / "labconfig" / "page_config.json")
                          .read_text())["disabledExtensions"]
    assert config_dir.endswith("jupyter-config")
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
            "@jupyter/nbgrader:menu", "@jupyter/nbgrader:course-list"} <= set(disabled)


def test_trainers_lab_opens_the_course_with_instructor_tools(course):
    cmd = lab.lab_command(trainer=True)
    assert f"--ServerApp.root_dir={course}" in cmd
    assert not any(a.startswith("--ServerApp.jpserver_extensions=") for a in cmd)
    env = lab.lab_environment(course, trainer=True)
    config_dir = env["JUPYTER_CONFIG_PATH"].split(":")[0]
    disabled = json.loads((paths.learner_home() / "lab" / "jupyter-config-trainer" / "labconfig" / "page_config.json")
                          .read_text())["disabledExtensions"]
    assert config_dir.endswith("jupyter-config-trainer")
    assert not [name for name in disabled if "nbgrader" in name]
    assert "@jupyterlab/apputils-extension:announcements" in disabled
    assert not workspace.workspace_dir().exists()       # a trainer's lab does not make one


def test_lab_command_line_takes_trainer():
    from coursekit.cli import build_parser

    parser = build_parser()
    assert parser.parse_known_args(["lab", "--trainer"])[0].trainer is True
    assert parser.parse_known_args(["lab"])[0].trainer is False


def _git(folder, *args):
    import subprocess

    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_pull_of_a_course_update_leaves_the_learners_work_untouched(course, tmp_path, monkeypatch):
    """The course as a learner has it: a clone. They work in their workspace (in .learner/, which git
    ignores); the course's maintainers change the exercise; `git pull` goes through, and the next
    opening keeps the learner's work and offers the new release beside it."""
    (course / ".gitignore").write_text(".learner/\n")
    _git(course, "init", "-q", "-b", "main")
    _git(course, "add", "-A")
    _git(course, "commit", "-qm", "course")
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(course), str(clone))
    monkeypatch.delenv("COURSEKIT_HOME")
    monkeypatch.setenv("COURSEKIT_ROOT", str(clone))
    assert workspace.workspace_dir() == clone / ".learner" / "workspace"
    answer(clone / EXERCISE, "higher = 'a'")            # the old habit: work in the tracked file
    assert _git(clone, "status", "--porcelain") != ""
    assert workspace.prepare().moved == [(EXERCISE, EXERCISE)]
    assert _git(clone, "status", "--porcelain") == ""        # the tracked file is the release again
    answer(ws() / EXERCISE, "higher = 'b'")
    mine = (ws() / EXERCISE).read_bytes()
    assert _git(clone, "status", "--porcelain") == ""        # the learner's work is not in git's way

    monkeypatch.setenv("COURSEKIT_ROOT", str(course))       # upstream: a course update, committed
    update_course(course)
    _git(course, "commit", "-qam", "second edition")
    monkeypatch.setenv("COURSEKIT_ROOT", str(clone))
    _git(clone, "pull", "-q", "--ff-only")
    prepared = workspace.prepare()
    assert (ws() / EXERCISE).read_bytes() == mine
    new = ws() / "exercises" / MODULE / "exercise (new release).ipynb"
    assert new.read_bytes() == (clone / EXERCISE).read_bytes() == (course / EXERCISE).read_bytes()
    assert prepared.offered and _git(clone, "status", "--porcelain") == ""
