"""coursekit: graded notebooks that teach civil servants to use AI responsibly."""

import sys

__version__ = "0.1.0"

if "IPython" in sys.modules:   # in a notebook: tables left-aligned, without row numbers (coursekit.tables)
    from coursekit.tables import register as _register_tables

    _register_tables()


def my_items(module: str | None = None) -> None:
    """Print which questions of this exercise are yours, by your job profile (see :mod:`coursekit.profile`)."""
    from coursekit.profile import my_items as _my_items

    _my_items(module)


def choose_profile(profile: str) -> None:
    """Choose your job profile, e.g. ``coursekit.choose_profile("caseworker")`` (see :mod:`coursekit.profile`)."""
    from coursekit.profile import choose

    choose(profile)
