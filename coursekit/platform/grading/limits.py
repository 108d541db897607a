"""The limits learner code runs under, from one configurable object.

Set them in the course's ``course/nbgrader_config.py`` (a cohort folder's copy of it) like any
nbgrader setting::

    c.GradingLimits.cell_timeout = 30        # seconds one cell may run
    c.GradingLimits.notebook_timeout = 300   # seconds the whole notebook may take
    c.GradingLimits.memory_mb = 4096         # address space of the learner's kernel
    c.GradingLimits.cpu_seconds = 300        # CPU time of the learner's kernel
    c.GradingLimits.max_processes = 64       # processes and threads of learner code at once
    c.GradingLimits.scratch_mb = 512         # largest file learner code may write

Command-line flags override them for one run. ``coursekit check``, the check cell at the end of
an exercise and ``coursekit cohort grade`` all resolve them here, so they always agree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from traitlets import Int
from traitlets.config import Config, Configurable

from coursekit.errors import UsageError


class GradingLimits(Configurable):
    """nbgrader-style configuration of the grading limits (see the module docstring)."""

    cell_timeout = Int(30, help="Seconds one cell of learner code may run before it is interrupted.").tag(config=True)
    notebook_timeout = Int(300, help="Seconds the whole autograde of one notebook may take.").tag(config=True)
    memory_mb = Int(4096, help="Address-space limit of the learner's kernel, in MiB.").tag(config=True)
    cpu_seconds = Int(300, help="CPU-time limit of the learner's kernel, in seconds.").tag(config=True)
    max_processes = Int(64, help="Processes and threads learner code may run at once (all together where a "
                                 "cgroup is available).").tag(config=True)
    scratch_mb = Int(512, help="Largest file learner code may write in its scratch folder, in MiB.").tag(config=True)


FLAGS = {"cell_timeout": "--cell-timeout", "notebook_timeout": "--timeout", "memory_mb": "--memory-mb",
         "cpu_seconds": "--cpu-seconds", "max_processes": "--max-processes", "scratch_mb": "--scratch-mb"}


@dataclass(frozen=True)
class Limits:
    """Resolved limits: plain values that cross process boundaries (``asdict``)."""

    cell_timeout: int = GradingLimits.cell_timeout.default_value
    notebook_timeout: int = GradingLimits.notebook_timeout.default_value
    memory_mb: int = GradingLimits.memory_mb.default_value
    cpu_seconds: int = GradingLimits.cpu_seconds.default_value
    max_processes: int = GradingLimits.max_processes.default_value
    scratch_mb: int = GradingLimits.scratch_mb.default_value

    def __post_init__(self):
        for name, flag in FLAGS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise UsageError(f"{flag} {value!r}: give a whole number above 0")

    def as_dict(self) -> dict:
        return asdict(self)


def resolve(config: Config | None = None, **overrides) -> Limits:
    """The limits configured in ``config`` (default: the course's), with non-None ``overrides`` on top."""
    if config is None:
        from coursekit.platform.nbgrader_adapter import load_config

        config = load_config()
    conf = GradingLimits(config=config)
    values = {name: getattr(conf, name) for name in FLAGS}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Limits(**values)


def add_arguments(parser) -> None:
    """The override flags, shared by ``coursekit check`` and ``coursekit cohort grade``."""
    parser.add_argument("--cell-timeout", type=int, metavar="S",
                        help="seconds one cell may run (default: the course's setting, 30)")
    parser.add_argument("--timeout", type=int, dest="notebook_timeout", metavar="S",
                        help="seconds the whole notebook may run (default: the course's setting, 300)")
    parser.add_argument("--memory-mb", type=int, metavar="MB",
                        help="memory limit for learner code (default: the course's setting, 4096)")
    parser.add_argument("--cpu-seconds", type=int, metavar="S",
                        help="CPU-time limit for learner code (default: the course's setting, 300)")
    parser.add_argument("--max-processes", type=int, metavar="N",
                        help="processes and threads learner code may run at once (default: the course's setting, 64)")
    parser.add_argument("--scratch-mb", type=int, metavar="MB",
                        help="largest file learner code may write (default: the course's setting, 512)")


def from_arguments(args, config: Config | None = None) -> Limits:
    return resolve(config, **{name: getattr(args, name, None) for name in FLAGS})
