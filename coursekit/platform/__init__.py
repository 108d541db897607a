"""The platform: everything around the notebooks that learners never import.

The nbgrader adapter (``nbgrader_adapter``), grading (``grading``), evidence and competencies,
cohorts (``cohort``), reports (``reports``) and authoring (``authoring``). The platform may import
the learner toolkit (``coursekit.datasets``, ``coursekit.fairness``, ...); the toolkit never imports
the platform, and nothing imports the command line (``coursekit.cli``). ``tests/test_layout.py``
keeps it so.
"""

import sys as _sys

# nbformat validates notebooks with jsonschema, which imports rfc3987_syntax when it is installed
# (jupyter-events asks for it) only to check the "iri" string format, which no notebook schema
# uses. Its import compiles a grammar: 2.5 s in every grading, check and cohort process, measured
# with `python -X importtime -c "import nbformat"`. jsonschema skips that one format when the import
# fails, so the platform's processes mark it as absent.
_sys.modules.setdefault("rfc3987_syntax", None)
