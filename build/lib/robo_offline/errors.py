"""Errors a user can cause and fix: the CLI prints their message alone, without a traceback."""


class UserError(Exception):
    """Raised for bad input the user can correct; the message must name the fix."""
