"""Check an exercise from inside the notebook: the last cell of every exercise calls
:func:`check_this_notebook`; :func:`check` checks one question at once and :func:`hint` gives its
hints (the platform's :mod:`coursekit.platform.grading.question`, kept running beside the kernel).

This module belongs to the learner toolkit and stays thin: it runs the platform's check in a
separate process (``python -m coursekit.platform.grading.check``) and shows what comes back, so
the learner's kernel never imports nbgrader, and the limits are the course's, exactly as with
``coursekit check`` in a terminal.
"""

from __future__ import annotations

import os
from pathlib import Path

from coursekit import _platform_view, plaindata

HOW_TO = ("To check this exercise, save it (Ctrl+S) and run in a terminal:\n"
          "    coursekit check exercises/<module>/exercise.ipynb")


def check_this_notebook() -> None:
    """Grade the notebook this is called from (its last saved version) and show the report.

    JupyterLab tells the kernel which notebook it belongs to (``JPY_SESSION_NAME``). While nbgrader
    itself grades the notebook, this does nothing; outside JupyterLab, it says how to check.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return  # being graded: never grade recursively
    session = os.environ.get("JPY_SESSION_NAME", "")
    if not session.endswith(".ipynb") or not Path(session).exists():
        print(HOW_TO)
        return
    print("Checking the last saved version of this notebook (save with Ctrl+S first) ...", flush=True)
    answer = _platform_view.run("coursekit.platform.grading.check", session)
    if "html" not in answer:
        print(f"Could not check this notebook: {answer.get('error')}")
        return
    _platform_view.show(answer)


# --- one question at once: check("q1") and hint("q1") -------------------------------------------

QUESTION_MODULE = "coursekit.platform.grading.question"
NOT_HERE = ('{call} works in an exercise opened in JupyterLab (`coursekit lab`). '
            "Elsewhere, save the notebook and run `coursekit check` on it.")
_services: dict[str, _platform_view.Service] = {}


class Verdict:
    """What ``check`` found for one question; shows itself as HTML in a notebook, as text elsewhere."""

    def __init__(self, answer: dict):
        self.question = answer.get("question")
        self.passed = answer.get("passed")          # None when the question could not be checked
        self.text = answer.get("text") or f"Could not check this question: {answer.get('error')}"
        self.html = answer.get("html")
        self.mode = answer.get("mode")
        self.parts = answer.get("parts", [])

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str | None:
        if self.html is None:
            from html import escape

            return f"<p>{escape(self.text)}</p>"
        return self.html


def _notebook(notebook) -> str | None:
    """The exercise asked about: ``notebook`` if given, else the one this kernel belongs to."""
    path = notebook or os.environ.get("JPY_SESSION_NAME", "")
    if not str(path).endswith(".ipynb") or not Path(path).exists():
        return None
    return str(Path(path).resolve())


def _service(notebook: str) -> _platform_view.Service:
    if notebook not in _services:
        _services[notebook] = _platform_view.Service(QUESTION_MODULE, notebook)
    return _services[notebook]


def _user_namespace(fallback: dict) -> dict:
    try:
        from IPython import get_ipython
    except ImportError:
        return fallback
    shell = get_ipython()
    return shell.user_ns if shell is not None else fallback


def check(question, *, notebook=None, namespace: dict | None = None) -> Verdict | None:
    """Whether your answer to ``question`` ("q1", "q3"...) is right, at once, without saving.

    The question's own tests judge the answer, as the full check does and with the same feedback;
    nothing is saved as a grade (``coursekit check`` and the last cell do that), but the attempt is
    noted in your own records. Run the answer cell first: the check reads what it defined.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return None             # being graded: the graded run checks everything itself
    import inspect

    frame = inspect.currentframe()
    caller = frame.f_back.f_globals if frame is not None and frame.f_back is not None else {}
    ns = namespace if namespace is not None else _user_namespace(caller)
    path = _notebook(notebook)
    if path is None:
        return Verdict({"error": NOT_HERE.format(call=f"check({str(question)!r})")})
    try:
        service = _service(path)
        wanted = service.ask({"op": "names", "question": str(question)})
        if "error" in wanted:
            return Verdict(wanted)
        values, unreadable = {}, []
        for name in wanted["names"]:
            if name in ns:
                try:
                    values[name] = plaindata.encode(ns[name])
                except Exception as exc:   # NotPlain, or an object that fails when read
                    unreadable.append(f"{name} ({str(exc)[:200] or exc.__class__.__name__})")
        if unreadable:
            return Verdict({"error": "the answer is not plain data that can be checked: " + "; ".join(unreadable)})
        return Verdict(service.ask({"op": "check", "question": str(question), "values": values}))
    except Exception as exc:    # one sentence, never a traceback
        return Verdict({"error": f"{exc.__class__.__name__}: {exc}"})


class Hint(str):
    """A hint: prints as itself, without quotes, in a notebook."""

    def __repr__(self) -> str:
        return str(self)


def hint(question, level: int | None = None, *, notebook=None) -> Hint | None:
    """The next hint for ``question``, from gentle to specific; none gives the answer away.

    ``level`` asks for one hint again (1 is the first).
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return None
    path = _notebook(notebook)
    if path is None:
        return Hint(NOT_HERE.format(call=f"hint({str(question)!r})"))
    try:
        answer = _service(path).ask({"op": "hint", "question": str(question), "level": level})
    except Exception as exc:
        answer = {"error": f"{exc.__class__.__name__}: {exc}"}
    return Hint(answer.get("text") or f"No hint could be given: {answer.get('error')}")


def _warm_up() -> None:
    """In an exercise open in JupyterLab, start the checking process as the setup cell imports this
    module, so that even the first ``check`` answers quickly. Never while being graded."""
    if os.environ.get("NBGRADER_EXECUTION") or os.environ.get("COURSEKIT_SANDBOX"):
        return
    path = _notebook(None)
    if path is not None and Path(path).name != "lesson.ipynb":
        try:
            _service(path).start()
        except OSError:
            pass      # the first check starts it, or says why it cannot


_warm_up()
