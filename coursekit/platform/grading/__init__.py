"""Grading learner notebooks: limits, isolation, the pre-warmed cell runner, grading by value, autograde runs
and their results."""
