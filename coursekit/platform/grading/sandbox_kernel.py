"""The kernel that runs learner code while grading: ipykernel under resource limits.

Learner code is untrusted. The grader starts this module as the kernel (through a kernelspec that
coursekit writes next to the course folder), so the limits bind the learner's code and not the
grader. ``COURSEKIT_MEMORY_MB`` caps the address space; ``COURSEKIT_CPU_SECONDS`` caps CPU time.
"""

from __future__ import annotations

import os
import sys


def apply_limits() -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the grader's wall-clock limit still applies
        return
    mem_mb = int(os.environ.get("COURSEKIT_MEMORY_MB", "0") or 0)
    if mem_mb > 0:
        limit = mem_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = int(os.environ.get("COURSEKIT_CPU_SECONDS", "0") or 0)
    if cpu > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def main() -> None:
    # One BLAS thread per kernel: parallel grading already uses every core, and each BLAS thread
    # reserves address space that would count against the memory limit.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    apply_limits()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=sys.argv[1:])


if __name__ == "__main__":
    main()
