"""Views of the evidence: a learner's progress and a ministry's pledge report."""
