"""Error categories, the exit codes they map to, and the one error type everything raises.

Every failure the CLI reports is a :class:`CliError` with a category; the category alone decides
the exit code, so scripts can tell "not found" from "rate limited" from "network down" without
parsing text. Errors carry data (status, the server's own message and code, the sandbox, a
:class:`Reason`); the client never words a CLI hint: ``hints.py`` does, from that data, and
``app.py`` is the one place that turns errors into output and an exit status.
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


class Reason(str, Enum):
    """Why the client failed, finer than the category: what ``hints.py`` words a hint from."""

    HTTP = "http"  # an HTTP error answer; the status says more
    NETWORK = "network"  # no connection, or it broke
    PROXY = "proxy"  # no connection through the proxy the environment names
    SOCKS_PROXY = "socks_proxy"  # the environment names a SOCKS proxy, and socksio is missing
    PROXY_SETTING = "proxy_setting"  # a proxy variable httpx cannot read
    DEADLINE = "deadline"  # no complete answer within the call's deadline
    REDIRECT = "redirect"  # a 3xx, never followed with the key attached
    WEB_PAGE = "web_page"  # an error answered with a web page (a gateway's, or not the API's)
    NOT_JSON = "not_json"  # a 2xx that is not JSON (a web page: the wrong DAYTONA_API_URL)
    NOT_DAYTONA = "not_daytona"  # a 404 that is not the API's: a page, or no such route
    MALFORMED = "malformed"  # JSON of the wrong shape
    UNSAFE_PROXY = "unsafe_proxy"  # a toolbox proxy URL the key must not be sent to
    CREATE_UNKNOWN = "create_unknown"  # a create whose outcome cannot be known
    EXEC_UNKNOWN = "exec_unknown"  # an exec whose answer was lost: it may have run
    NOT_PAUSABLE = "not_pausable"  # a 422 to pause: only VM sandbox classes can pause


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
    "7 network failure; 124 timed out; 130 interrupted; 143 terminated (SIGTERM)."
)


class CliError(Exception):
    """A failure to report: one line of message, an optional hint saying what to do, and data.

    ``status`` is the HTTP status, ``api_code`` and ``source`` the server's own error code and
    origin when it sent them, ``subject`` the sandbox (name or ID) the call was about,
    ``retry_after`` the seconds the API asked to wait, ``request_id`` a create's request-ID
    label, and ``ambiguous`` says a request was sent but its outcome is unknown (an answer lost,
    or a 5xx): the server may have acted on it.
    """

    def __init__(
        self,
        category: Category,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        ambiguous: bool = False,
        reason: Reason | None = None,
        api_code: str | None = None,
        source: str | None = None,
        subject: str | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
        host: str | None = None,
    ) -> None:
        super().__init__(message)
        self.category = category
        self.message = message
        self.hint = hint
        self.status = status
        self.ambiguous = ambiguous
        self.reason = reason
        self.api_code = api_code
        self.source = source
        self.subject = subject
        self.retry_after = retry_after
        self.request_id = request_id
        self.host = host

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.category]

    def to_json(self) -> dict[str, object]:
        """``{"error": {"code", "message", "status", "hint"}}``, the form README documents,
        plus ``apiCode`` and ``source`` when the server sent its own (NOTES.md, toolbox errors)."""
        error: dict[str, object] = {
            "code": self.category.value,
            "message": self.message,
            "status": self.status,
            "hint": self.hint,
        }
        if self.api_code is not None:
            error["apiCode"] = self.api_code
        if self.source is not None:
            error["source"] = self.source
        return {"error": error}


def usage(message: str, hint: str | None = None) -> CliError:
    return CliError(Category.USAGE, message, hint=hint)
