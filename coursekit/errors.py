"""Errors a user can fix. The command line prints them as one line and exits with status 2."""


class UsageError(Exception):
    """Bad input: the message says what was wrong and how to fix it."""

    exit_status = 2
