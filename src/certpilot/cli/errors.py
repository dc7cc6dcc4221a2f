"""The CLI's one error type."""


class CLIError(Exception):
    """A user-facing failure: printed as `error: <message>` and exit status 1."""
