"""What to do next: the hint after an error, worded from the data the error carries.

The client reports what happened (category, status, :class:`~daytona_cli.errors.Reason`, the
sandbox, the wait the API asked for); this module is the one place that turns that into advice
naming the CLI's own commands, options and variables.
"""

from __future__ import annotations

from daytona_cli.errors import Category, CliError, Reason
from daytona_cli.provenance import REQUEST_ID_LABEL

_BY_REASON = {
    Reason.REDIRECT: "check DAYTONA_API_URL",
    Reason.DEADLINE: "the API is slow or unreachable; try again, or raise --request-timeout",
    Reason.NETWORK: "check your network connection and DAYTONA_API_URL",
    Reason.PROXY: "check the proxy settings (HTTPS_PROXY, ALL_PROXY, NO_PROXY) and your network",
    Reason.SOCKS_PROXY: "install it with pip install 'daytona-cli[socks]', or unset that variable",
    Reason.PROXY_SETTING: "give proxies as http://host:port (or unset the variable)",
    Reason.NOT_JSON: "check DAYTONA_API_URL points at the Daytona API",
    Reason.NOT_DAYTONA: "check DAYTONA_API_URL: it should be the API's base URL, such as "
    "https://app.daytona.io/api",
    Reason.MALFORMED: "check DAYTONA_API_URL points at the Daytona API; the API may have changed",
    Reason.UNSAFE_PROXY: "only https (or loopback http) proxy URLs are used",
    Reason.WEB_PAGE: "the answer was a web page, not the Daytona API's JSON: check "
    "DAYTONA_API_URL, and if it is right try again (https://status.daytona.io)",
    Reason.EXEC_UNKNOWN: "check its effects before running it again",
}

_BY_STATUS = {
    401: "check DAYTONA_API_KEY; create a new key in the Daytona Dashboard (API Keys)",
    403: "the key is valid but not allowed to do this; check its permissions and organization",
}


# Where seeing the HTTP exchange helps; said only when --debug is not already on.
_SHOW_EXCHANGE = frozenset({Reason.NOT_JSON, Reason.NOT_DAYTONA, Reason.MALFORMED})


def hint_for(err: CliError, *, debug: bool = False) -> str | None:
    """The error's own hint if it has one, else advice from its data, else None.

    With ``debug`` off, a hint about an answer that makes no sense adds "run with --debug to
    see the exchange"; with it on, the exchange is already on stderr above the error.
    """
    hint = _hint(err)
    if hint and not debug and err.reason in _SHOW_EXCHANGE:
        hint += " (run with --debug to see the exchange)"
    return hint


def _hint(err: CliError) -> str | None:
    if err.hint:
        return err.hint
    if err.reason is Reason.CREATE_UNKNOWN:
        find = f"`daytona-cli sandbox list -l {REQUEST_ID_LABEL}={err.request_id}`"
        if err.category is Category.INTERRUPTED:
            return f"look for it with {find}"
        return f"the sandbox may have been created; look for it with {find}"
    if err.reason is Reason.NOT_PAUSABLE:
        stop = f"`daytona-cli sandbox stop {err.subject}`" if err.subject else "`sandbox stop`"
        return (
            "only VM sandboxes (class linux-vm or windows) can pause; a container sandbox "
            f"stops instead ({stop}), which frees its CPU and memory too"
        )
    if err.reason is not None and err.reason in _BY_REASON:
        return _BY_REASON[err.reason]
    if err.status is None:
        return None
    if err.status == 403 and err.category is not Category.AUTH:  # the daemon's: a path
        return "the sandbox's user may not read or write that path: check its permissions there"
    if err.status in _BY_STATUS:
        return _BY_STATUS[err.status]
    if err.status == 409 and "already exists" in err.message.lower():
        return "choose another name, or use that sandbox (`daytona-cli sandbox list` shows it)"
    if err.status == 404 and err.subject is not None:
        return "list sandboxes with `daytona-cli sandbox list`"
    if err.status == 429:
        if err.retry_after is not None:
            return f"rate limited by the API; try again in {err.retry_after:g} s"
        return "rate limited by the API; try again shortly"
    if err.status >= 500 and err.category is Category.SERVER:
        return (
            "the Daytona API failed; try again, and check https://status.daytona.io if it persists"
        )
    return None
