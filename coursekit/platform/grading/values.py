"""Answers as plain data (grading by value): the codec lives in the learner toolkit,
:mod:`coursekit.plaindata`, because a learner's kernel encodes its answers with it too
(``check("q1")``); the grading code reads it from here."""

from coursekit.plaindata import MAX_DEPTH, MAX_ITEMS, NotPlain, decode, encode  # noqa: F401
