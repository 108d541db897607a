"""Grading learner notebooks: limits, the sandbox kernel, autograde runs and their results."""
