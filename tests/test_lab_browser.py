"""`coursekit lab` really opens the course: JupyterLab in headless Chromium shows the start page
with the modules from the syllabus. A learner's lab is their workspace, without solutions or the
instructor tools, and an exercise checks one question at once; a trainer's lab has the tools."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from coursekit.platform import syllabus
from servers import free_port, unavailable

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# One group for pytest-xdist (one JupyterLab serves them all).
pytestmark = [pytest.mark.xdist_group("test_lab_browser"), pytest.mark.browser, pytest.mark.slow]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _start_lab(tmp_path, *options):
    """`coursekit lab --no-browser` (with ``options``) on a free port; yields its URL, then stops it."""
    if CHROMIUM is None:
        unavailable("Chromium", "apt-get install chromium")
    port = free_port()
    # The terminal keeps its text in the page for screen readers (it draws it on a canvas), so that
    # the test can read it.
    terminal_settings = tmp_path / "config" / "lab" / "user-settings" / "@jupyterlab" / "terminal-extension"
    terminal_settings.mkdir(parents=True, exist_ok=True)
    (terminal_settings / "plugin.jupyterlab-settings").write_text('{"screenReaderMode": true}')
    env = dict(os.environ, JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               COURSEKIT_HOME=str(tmp_path / "learner"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "coursekit", "lab", *options, "--no-browser", "--port", str(port),
         "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password="],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # its own process group, so its kernels stop with it
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("coursekit lab exited before serving")
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start within 60 s")
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """A learner's lab: their workspace, without the instructor tools (one for the module's tests)."""
    yield from _start_lab(tmp_path_factory.mktemp("learner-lab"))


@pytest.fixture
def trainer_lab(tmp_path):
    yield from _start_lab(tmp_path, "--trainer")


def _open_start_page(page, url: str) -> None:
    page.goto(f"{url}/", wait_until="domcontentloaded")  # redirects to the start page
    first = syllabus.modules()[0].title
    page.locator(".jp-RenderedMarkdown table").get_by_text(first).first.wait_for(timeout=60_000)


def _listed(page) -> list[str]:
    """The names the file browser lists (once it lists the exercises)."""
    page.locator(".jp-DirListing-itemName").get_by_text("exercises", exact=True).wait_for(timeout=30_000)
    return page.locator(".jp-DirListing-itemName").all_inner_texts()


@contextlib.contextmanager
def _browser_page(screenshot: Path):
    """A page of headless Chromium, with a screenshot of it left at ``screenshot`` whatever happens."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            yield page
        finally:
            page.screenshot(path=str(screenshot))
            browser.close()


def test_lab_opens_on_the_start_page(lab_server, tmp_path):
    # The default URL opens START.ipynb, whose generated Markdown table lists the syllabus's
    # modules: shown rendered, with nothing to run.
    with _browser_page(tmp_path / "start.png") as page:
        _open_start_page(page, lab_server)
        assert page.get_by_text("Checking an exercise").count() >= 1


def test_exercise_checks_itself_from_inside_jupyterlab(lab_server, tmp_path):
    """A learner who never opens a terminal: the exercise's last cell grades the saved notebook."""
    first = syllabus.modules()[0]
    rel = first.exercise_notebook.relative_to(REPO).as_posix()
    with _browser_page(tmp_path / "check.png") as page:
        page.goto(f"{lab_server}/lab/tree/{rel}", wait_until="domcontentloaded")
        cell = page.locator(".jp-Cell").filter(has_text="check_this_notebook()").last
        cell.wait_for(timeout=60_000)
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        page.get_by_text("Autograded total: 0 /").wait_for(timeout=120_000)


def test_learner_sees_no_instructor_tools_and_checks_a_question_at_once(lab_server, tmp_path):
    """As a learner: no Nbgrader menu or Create Assignment panel, no solutions/ in the file browser;
    an exercise opened from the workspace says at once, without saving, whether an answer is right."""
    rel = syllabus.get("m01_right_tool").exercise_notebook.relative_to(REPO).as_posix()
    with _browser_page(tmp_path / "learner.png") as page:
        _open_start_page(page, lab_server)
        names = _listed(page)
        assert "solutions" not in names and "tests" not in names and "coursekit" not in names, names
        assert page.locator("#jp-mainmenu-nbgrader").count() == 0
        assert page.locator(".lm-MenuBar-itemLabel").get_by_text("Nbgrader").count() == 0
        assert page.locator('[title="Nbgrader Create Assignment"]').count() == 0
        assert page.locator("#nbgrader-create_assignemnt").count() == 0

        page.goto(f"{lab_server}/lab/tree/{rel}", wait_until="domcontentloaded")
        setup = page.locator(".jp-CodeCell").filter(has_text="Setup: run this cell first").first
        setup.wait_for(timeout=60_000)
        page.locator(".jp-StatusBar-Widget").get_by_text("| Idle").wait_for(timeout=60_000)  # kernel up
        setup.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        # Looked for in the outputs, not in the cell: CodeMirror draws only the lines in view, so
        # once the long setup cell has run and scrolled, its first line is no longer in the page.
        page.locator(".jp-OutputArea-output").get_by_text("Setup done.").first.wait_for(timeout=150_000)
        answer = page.locator(".jp-CodeCell").filter(has_text="The letter of the Art. 5(1) point").first
        answer.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text('scraping_point = "e"')
        page.keyboard.press("Shift+Enter")
        check_cell = page.locator(".jp-CodeCell").filter(has_text="Is your answer right").first
        check_cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        check_cell.get_by_text("q1: correct").wait_for(timeout=90_000)
        assert check_cell.locator(".jp-OutputArea-output").get_by_text("Traceback").count() == 0

        # The full check grades the saved notebook and shows its table, q1's point included.
        page.keyboard.press("Control+s")
        page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").wait_for(state="detached", timeout=30_000)
        last = page.locator(".jp-CodeCell").filter(has_text="check_this_notebook()").last
        last.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        last.locator("table").get_by_text("q1", exact=True).wait_for(timeout=120_000)
        last.get_by_text("Autograded total: 1 /").wait_for(timeout=30_000)
        assert last.locator(".jp-OutputArea-output").get_by_text("Traceback").count() == 0


def test_learner_runs_coursekit_in_a_terminal_and_lessons_open_unchanged(lab_server, tmp_path):
    """File > New > Terminal, then `coursekit check` on the exercise, as the start page says; and a
    lesson opened, closed and opened again shows no unsaved changes and asks nothing on closing."""
    exercise = syllabus.get("m01_right_tool").exercise_notebook.relative_to(REPO).as_posix()
    lesson = syllabus.get("m04_automation_bias").lesson_notebook.relative_to(REPO).as_posix()
    with _browser_page(tmp_path / "terminal-lesson.png") as page:
        _open_start_page(page, lab_server)
        page.locator(".lm-MenuBar-itemLabel").get_by_text("File", exact=True).click()
        page.locator(".lm-Menu-itemLabel").get_by_text("New", exact=True).first.click()
        page.locator(".lm-Menu-itemLabel").get_by_text("Terminal", exact=True).first.click()
        terminal = page.locator(".jp-Terminal").first
        text = terminal.locator(".xterm-accessibility-tree")
        text.wait_for(state="attached", timeout=30_000)
        terminal.click()
        # The marker is made by the shell ($((...))), so the echo of the typed line never matches it.
        page.keyboard.type(f"coursekit check {exercise}; echo finished-$((40+2))\n")
        text.get_by_text("finished-42").wait_for(state="attached", timeout=120_000)
        shown = text.text_content()
        assert "Autograded total:" in shown and "command not found" not in shown, shown

        for _ in range(2):   # opened, closed, opened again
            page.goto(f"{lab_server}/lab/tree/{lesson}", wait_until="domcontentloaded")
            page.locator(".lm-TabBar-tab.jp-mod-current").get_by_text("lesson.ipynb").wait_for(timeout=60_000)
            page.locator(".jp-NotebookPanel:visible .jp-Cell").first.wait_for(timeout=60_000)
            page.locator(".jp-StatusBar-Widget").get_by_text("| Idle").wait_for(timeout=60_000)
            page.wait_for_timeout(2_000)       # JupyterLab updates a notebook's metadata once its kernel is up
            tab = page.locator(".lm-TabBar-tab.jp-mod-current")
            assert "jp-mod-dirty" not in (tab.get_attribute("class") or ""), "the lesson shows unsaved changes"
            # Its stored widgets are drawn, not printed as a line of text (the notebook is trusted).
            assert page.get_by_text("ReviewWidget(children=").count() == 0
            tab.locator(".lm-TabBar-tabCloseIcon").click()
            page.wait_for_timeout(1_000)
            assert page.locator(".jp-Dialog").count() == 0, "closing the lesson asked to save it"


def test_trainer_sees_the_instructor_tools(trainer_lab, tmp_path):
    with _browser_page(tmp_path / "trainer.png") as page:
        _open_start_page(page, trainer_lab)
        assert "solutions" in _listed(page)
        page.locator(".lm-MenuBar-itemLabel").get_by_text("Nbgrader").wait_for(timeout=30_000)
        page.locator(".lm-MenuBar-itemLabel").get_by_text("Nbgrader").click()
        page.locator(".lm-Menu-itemLabel").get_by_text("Formgrader").first.wait_for(timeout=10_000)
