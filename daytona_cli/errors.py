"""Error categories and the exit codes they map to.

Every failure the CLI reports is a :class:`CliError` with a category; the category alone decides
the exit code, so scripts can tell "not found" from "rate limited" from "network down" without
parsing text. ``app.py`` is the one place that turns these into output and an exit status.
"""

from __future__ import annotations

from enum import Enum


class Category(str, Enum):
    """What kind of failure happened; the value is the machine-readable ``code`` in JSON errors."""

    USAGE = "usage"
    AUTH = "auth"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMIT = "rate_limit"
    NETWORK = "network"
    TIMEOUT = "timeout"
    SERVER = "server"
    INTERRUPTED = "interrupted"
    OTHER = "error"


EXIT_CODES: dict[Category, int] = {
    Category.OTHER: 1,
    Category.SERVER: 1,
    Category.USAGE: 2,
    Category.NOT_FOUND: 3,
    Category.AUTH: 4,
    Category.CONFLICT: 5,
    Category.RATE_LIMIT: 6,
    Category.NETWORK: 7,
    Category.TIMEOUT: 124,
    Category.INTERRUPTED: 130,
}

# `sandbox exec` keeps the remote command's exit code; its own failures use docker's conventions.
EXEC_OWN_FAILURE = 125
EXEC_CANNOT_START = 126
EXEC_TIMEOUT = 124

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 other failure; 2 usage or invalid input; 3 not found; "
    "4 missing key or not authorised; 5 conflict or wrong state; 6 rate limited; "
    "7 network failure; 124 timed out; 130 interrupted."
)


class CliError(Exception):
    """A failure to report to the user: one line of message, an optional hint saying what to do."""

    def __init__(
        self,
        category: Category,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.category = category
        self.message = message
        self.hint = hint
        self.status = status
        # True when a request was sent but its outcome is unknown (answer lost, or a 5xx):
        # the server may have acted on it.
        self.ambiguous = ambiguous

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.category]

    def to_json(self) -> dict[str, object]:
        return {
            "error": {
                "code": self.category.value,
                "message": self.message,
                "status": self.status,
                "hint": self.hint,
            }
        }


def usage(message: str, hint: str | None = None) -> CliError:
    return CliError(Category.USAGE, message, hint=hint)
