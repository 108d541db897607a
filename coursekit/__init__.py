"""coursekit: graded notebooks that teach civil servants to use AI responsibly."""

__version__ = "0.1.0"
