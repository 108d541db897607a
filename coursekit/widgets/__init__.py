"""Interactive exercises for the lessons.

Each widget keeps its logic in a plain Python class that tests can drive without a browser, and
puts a thin ipywidgets front end on top of it::

    from coursekit.widgets import review
    review()                      # displays the automation-bias review in a notebook
"""

from coursekit.widgets.review import CASES, POOL, Case, ReviewSession, ReviewWidget, draw, learner_seed, review

__all__ = ["CASES", "POOL", "Case", "ReviewSession", "ReviewWidget", "draw", "learner_seed", "review"]
