"""Grading limits: one configurable object, the same values everywhere, the CPU limit applied."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from traitlets.config import Config

from coursekit.errors import UsageError
from coursekit.platform.grading import autograde, limits
from coursekit.platform.grading.results import CheckResult, QuestionResult, RunStatus, Status


def test_course_config_sets_the_defaults_and_flags_override_them():
    course = limits.resolve()                       # course/nbgrader_config.py
    assert course == limits.Limits(cell_timeout=30, notebook_timeout=300, memory_mb=4096, cpu_seconds=300)
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


def test_kernelspec_passes_memory_and_cpu_limits(tmp_path):
    lim = limits.Limits(memory_mb=1234, cpu_seconds=56)
    spec = json.loads((autograde.write_kernelspec(tmp_path, lim) / "kernels" / autograde.KERNEL_NAME
                       / "kernel.json").read_text())
    assert spec["env"] == {"COURSEKIT_MEMORY_MB": "1234", "COURSEKIT_CPU_SECONDS": "56"}
    assert spec["argv"][1:3] == ["-m", "coursekit.platform.grading.sandbox_kernel"]


@pytest.mark.skipif(sys.platform == "win32", reason="rlimits are POSIX")
def test_the_cpu_limit_stops_a_busy_loop():
    code = textwrap.dedent("""
        from coursekit.platform.grading.sandbox_kernel import apply_limits
        apply_limits()
        while True:
            pass
    """)
    proc = subprocess.run([sys.executable, "-c", code], env={"COURSEKIT_CPU_SECONDS": "1", "PATH": ""},
                          capture_output=True, timeout=60)
    assert proc.returncode != 0          # SIGXCPU (or SIGKILL at the hard limit), never a hang


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
