"""Grading limits: one configurable object, the same values everywhere, the CPU limit applied."""

from __future__ import annotations

import json
import sys

import pytest
from traitlets.config import Config

from coursekit.errors import UsageError
from coursekit.platform.grading import limits
from coursekit.platform.grading.results import CheckResult, QuestionResult, RunStatus, Status


def test_course_config_sets_the_defaults_and_flags_override_them():
    course = limits.resolve()                       # course/nbgrader_config.py
    assert course == limits.Limits(cell_timeout=30, notebook_timeout=300, memory_mb=4096, cpu_seconds=300,
                                   max_processes=64, scratch_mb=512)
    cfg = Config()
    cfg.GradingLimits.cell_timeout = 7
    cfg.GradingLimits.cpu_seconds = 40
    got = limits.resolve(cfg, memory_mb=1500, cell_timeout=None)
    assert (got.cell_timeout, got.cpu_seconds, got.memory_mb, got.notebook_timeout) == (7, 40, 1500, 300)


@pytest.mark.parametrize("bad", [0, -3, True, 2.5])
def test_a_limit_must_be_a_positive_whole_number(bad):
    with pytest.raises(UsageError, match="give a whole number above 0"):
        limits.Limits(cell_timeout=bad)


def test_the_check_command_and_the_check_cell_resolve_the_same_limits(tmp_path):
    """`coursekit check` (flags unset) and the check cell's subprocess both read the course's config."""
    import argparse

    parser = argparse.ArgumentParser()
    limits.add_arguments(parser)
    assert limits.from_arguments(parser.parse_args([])) == limits.resolve()
    assert limits.from_arguments(parser.parse_args(["--cpu-seconds", "9"])).cpu_seconds == 9


def _run_cells(tmp_path, code: str, **limits_kw) -> dict:
    """Run one cell in the grading runner under ``limits_kw``; the cell's outputs and how the run ended."""
    from coursekit.platform.grading import byvalue

    job = tmp_path / "job"
    scratch = job / "scratch"
    scratch.mkdir(parents=True)
    (job / "job.json").write_text(json.dumps({"steps": [{"cell": 0, "code": code}], "result": str(job / "result.json"),
                                              "scratch": str(scratch), "cwd": str(scratch)}))
    runner = byvalue.Runner.start(tmp_path)
    try:
        run = runner.run(job, limits.Limits(**limits_kw))
    finally:
        runner.close()
    result = byvalue._read_result(job) or {"cells": {}}
    return {"run": run, "outputs": result["cells"].get("0", {}).get("outputs", [])}


@pytest.mark.skipif(sys.platform == "win32", reason="rlimits are POSIX")
def test_the_cpu_limit_stops_a_busy_loop(tmp_path):
    got = _run_cells(tmp_path, "while True:\n    pass", cpu_seconds=1, cell_timeout=60)
    assert got["run"]["exit"] != 0 and got["run"]["status"] == "ok"   # SIGXCPU, never a hang


@pytest.mark.skipif(sys.platform == "win32", reason="no signals to interrupt a cell")
def test_a_cell_over_its_time_limit_is_interrupted_and_the_run_goes_on(tmp_path):
    got = _run_cells(tmp_path, "import time\ntime.sleep(30)", cell_timeout=1)
    assert got["run"]["status"] == "ok"
    assert [o.get("ename") for o in got["outputs"] if o["output_type"] == "error"] == ["CellTimeoutError"]


@pytest.mark.skipif(sys.platform == "win32", reason="no signals to interrupt a cell")
def test_a_cell_that_ignores_the_interrupt_is_killed(tmp_path):
    code = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(30)"
    got = _run_cells(tmp_path, code, cell_timeout=1)
    assert got["run"]["status"] == "cell-timeout-killed"


@pytest.mark.skipif(sys.platform == "win32", reason="rlimits are POSIX")
def test_the_memory_limit_raises_memory_error_in_learner_code(tmp_path):
    got = _run_cells(tmp_path, "b = bytearray(3 * 1024 ** 3)", memory_mb=2048)
    assert [o.get("ename") for o in got["outputs"] if o["output_type"] == "error"] == ["MemoryError"]


def test_a_check_result_renders_itself_and_escapes_learner_text():
    q = QuestionResult("q1", 0.0, 2.0, Status.FAILED, "Compare <b>rates</b> again.")
    w = QuestionResult("w1", None, 4.0, Status.NEEDS_GRADING, "Written answer.", autograded=False)
    result = CheckResult("m01_right_tool", "Is AI the right tool?", RunStatus.GRADED, "", [q, w])
    text = str(result)
    assert "q1" in text and "0 / 2" in text and "not yet" in text and "Autograded total: 0 / 2" in text
    page = result._repr_html_()
    assert "&lt;b&gt;rates&lt;/b&gt;" in page and "<b>rates</b>" not in page
    assert "trainer" in page
    again = CheckResult.from_json(result.as_json(), title=result.title)
    assert str(again) == text
