"""The one place that knows nbgrader's internals.

- :mod:`.config`: the course's nbgrader configuration and an ``NbGraderAPI`` for a course folder;
- :mod:`.cells`: which cells are answers, tests and written answers, and the region markers,
  read from the course's configuration (a course that configures other markers keeps its checks);
- :mod:`.release`: the one wrapper around ``generate_assignment``, copying sources with nbgrader's
  own ``CourseDirectory.ignore``;
- :mod:`.gradebook`: the score rule, opening and stamping gradebooks, merging one graded
  submission into another gradebook, and reading a submission's question scores;
- :mod:`.gradebook_read`: the fast reader of counted grades for evidence (SQL over nbgrader's tables).

Everything else in the kit calls these; nothing else imports ``nbgrader``'s API, preprocessors or
ORM directly (``tests/test_layout.py`` keeps it so).
"""

from coursekit.platform.nbgrader_adapter.config import api, api_for, course_config, load_config

__all__ = ["api", "api_for", "course_config", "load_config"]
