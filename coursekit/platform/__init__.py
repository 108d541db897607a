"""The platform: everything around the notebooks that learners never import.

The nbgrader adapter (``nbgrader_adapter``), grading (``grading``), evidence and competencies,
cohorts (``cohort``), reports (``reports``) and authoring (``authoring``). The platform may import
the learner toolkit (``coursekit.datasets``, ``coursekit.fairness``, ...); the toolkit never imports
the platform, and nothing imports the command line (``coursekit.cli``). ``tests/test_layout.py``
keeps it so.
"""
