"""`coursekit lab` really opens the course: JupyterLab in headless Chromium shows the start page
with the modules from the syllabus."""

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
pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def lab_server(tmp_path):
    if CHROMIUM is None:
        unavailable("Chromium", "apt-get install chromium")
    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               COURSEKIT_HOME=str(tmp_path / "learner"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "coursekit", "lab", "--no-browser", "--port", str(port),
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


def test_lab_opens_on_the_start_page(lab_server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{lab_server}/", wait_until="domcontentloaded")  # redirects to the start page
        # The default URL opens START.ipynb, whose generated Markdown table lists the syllabus's
        # modules: shown rendered, with nothing to run.
        first = syllabus.modules()[0].title
        try:
            page.locator(".jp-RenderedMarkdown table").get_by_text(first).first.wait_for(timeout=60_000)
        finally:
            page.screenshot(path=str(tmp_path / "start.png"))
        assert page.get_by_text("Checking an exercise").count() >= 1
        page.screenshot(path=str(tmp_path / "start.png"))
        browser.close()


def test_exercise_checks_itself_from_inside_jupyterlab(lab_server, tmp_path):
    """A learner who never opens a terminal: the exercise's last cell grades the saved notebook."""
    from playwright.sync_api import sync_playwright

    first = syllabus.modules()[0]
    rel = first.exercise_notebook.relative_to(REPO).as_posix()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{lab_server}/lab/tree/{rel}", wait_until="domcontentloaded")
        cell = page.locator(".jp-Cell").filter(has_text="check_this_notebook()").last
        cell.wait_for(timeout=60_000)
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        try:
            page.get_by_text("Autograded total: 0 /").wait_for(timeout=120_000)
        finally:
            page.screenshot(path=str(tmp_path / "check.png"))
        browser.close()
