"""Running a cohort: the trainer's workflow around nbgrader.

``init`` (course folder, gradebook, roster), ``release``, ``collect``, ``grade`` (parallel, with
limits and a status per submission), ``feedback`` (hidden tests stripped) and ``export``
(per-question and per-competency evidence). See ``coursekit cohort --help`` and
``course/workshops/``.
"""

from coursekit.platform.cohort.folder import Cohort

__all__ = ["Cohort"]
