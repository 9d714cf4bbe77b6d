"""Settings: the real environment first, then a .env file (./.env or --env-file).

Nothing here runs at import time; :func:`load_settings` is called once a command needs the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from daytona_cli.client.http import DEFAULT_MAX_ATTEMPTS, is_loopback
from daytona_cli.errors import Category, CliError, usage

DEFAULT_API_URL = "https://app.daytona.io/api"

MISSING_KEY_HINT = (
    "create a key in the Daytona Dashboard (API Keys), then export DAYTONA_API_KEY=... "
    "or put DAYTONA_API_KEY=... in ./.env (or a file named with --env-file)"
)


@dataclass(frozen=True)
class Settings:
    api_key: str
    api_url: str
    organization_id: str | None
    target: str | None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


def _read_env_file(path: Path, shown: str) -> tuple[dict[str, str], str | None]:
    """The file's values, and one warning naming the lines python-dotenv could not parse.

    python-dotenv skips such a line and logs it through ``logging`` (which would print its own
    unprefixed line, or nothing); the log records are caught here and worded once.
    """
    import logging

    # Imported here: python-dotenv is only needed by commands that talk to the API.
    from dotenv import dotenv_values

    logger = logging.getLogger("dotenv.main")
    caught = _Records()
    logger.addHandler(caught)
    propagate, logger.propagate = logger.propagate, False
    try:
        values = dotenv_values(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise usage(f"cannot read env file {path}: {exc}") from None
    finally:
        logger.removeHandler(caught)
        logger.propagate = propagate
    lines = [
        str(record.args[0])
        for record in caught.records
        if isinstance(record.args, tuple) and record.args
    ]
    # A name alone on its line parses as a key without a value: read as empty, and warned of
    # (but for the key, whose error already says it has no value in the file).
    bare = [key for key, value in values.items() if value is None and key != "DAYTONA_API_KEY"]
    problems = []
    if lines:
        which = f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(lines)}"
        problems.append(f"{shown}, {which}: not KEY=VALUE, ignored")
    if bare:
        names = ", ".join(bare)
        problems.append(f"{shown}: {names} without =VALUE, read as empty")
    return {key: value or "" for key, value in values.items()}, "; ".join(problems) or None


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.records.append(record)


def _env_file_values(cwd: Path, env_file: Path | None) -> tuple[dict[str, str], str | None]:
    """The env file's values, and a warning about lines it could not read."""
    if env_file is not None:
        if env_file.is_dir():
            raise usage(
                f"--env-file {env_file} is a directory, not a file",
                hint="name the file itself, e.g. --env-file ./ci.env",
            )
        if not env_file.exists():  # a pipe (--env-file <(...)) or /dev/null is fine
            raise usage(
                f"env file not found: {env_file}",
                hint="check the path given to --env-file",
            )
        return _read_env_file(env_file, str(env_file))
    if (cwd / ".env").is_file():
        return _read_env_file(cwd / ".env", ".env")
    return {}, None


def load_settings(
    environ: Mapping[str, str],
    cwd: Path,
    env_file: Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> Settings:
    """Resolve settings: real environment > env file (--env-file, else ./.env only, no walking up).

    ``warn`` hears about lines of the file that could not be read, as soon as it is read.
    """
    file_values, file_warning = _env_file_values(cwd, env_file)
    if file_warning and warn is not None:
        warn(file_warning)  # now, before an error the skipped line may explain

    def pick(name: str) -> tuple[str | None, bool]:
        """A value and whether it came from the file; blank counts as unset."""
        value = (environ.get(name) or "").strip()
        if value:
            return value, False
        value = (file_values.get(name) or "").strip()
        return (value, True) if value else (None, False)

    api_key, key_from_file = pick("DAYTONA_API_KEY")
    api_key = _checked_key(api_key, empty_in_file="DAYTONA_API_KEY" in file_values)
    raw_url, url_from_file = pick("DAYTONA_API_URL")
    api_url = normalise_api_url(raw_url or DEFAULT_API_URL)
    organization_id, _ = pick("DAYTONA_ORGANIZATION_ID")
    if organization_id:
        header_safe("DAYTONA_ORGANIZATION_ID", organization_id)
    target, _ = pick("DAYTONA_TARGET")
    max_attempts = _attempts(pick("DAYTONA_MAX_ATTEMPTS")[0])
    if url_from_file and not key_from_file and env_file is None and not is_daytonas_own(api_url):
        # A ./.env picked up implicitly (a cloned repository may carry one) must not send a key
        # from the real environment to another host; naming the file, or the environment, is consent.
        raise usage(
            f"refusing to send the API key from the environment to {urlsplit(api_url).hostname}, "
            "named only by DAYTONA_API_URL in ./.env",
            hint="set DAYTONA_API_URL in the environment or pass --env-file .env if you trust "
            "that file, or remove the line from ./.env",
        )
    return Settings(
        api_key=api_key,
        api_url=api_url,
        organization_id=organization_id,
        target=target,
        max_attempts=max_attempts,
    )


def _checked_key(api_key: str | None, *, empty_in_file: bool) -> str:
    """The key, or why it cannot be one: missing (exit 4), not a header value (exit 2), an
    unexpanded ``${...}`` (exit 4)."""
    if not api_key:
        raise CliError(
            Category.AUTH,
            "no API key: DAYTONA_API_KEY "
            + ("has no value in the env file" if empty_in_file else "is not set"),
            hint=MISSING_KEY_HINT,
        )
    header_safe("DAYTONA_API_KEY", api_key)
    if _placeholder(api_key):
        raise CliError(
            Category.AUTH,
            f"DAYTONA_API_KEY is the text {api_key!r}: whatever started daytona-cli (an MCP "
            "host's configuration, say) did not fill in the key",
            hint="export DAYTONA_API_KEY in the environment that starts it, or name a file "
            "holding it with --env-file",
        )
    return api_key


def _attempts(text: str | None) -> int:
    """``DAYTONA_MAX_ATTEMPTS``: a whole number from 1 to 10 (usage error otherwise)."""
    if not text:
        return DEFAULT_MAX_ATTEMPTS
    try:
        attempts = int(text)
    except ValueError:
        attempts = 0
    if not 1 <= attempts <= 10:
        raise usage(f"DAYTONA_MAX_ATTEMPTS must be a whole number from 1 to 10, got {text!r}")
    return attempts


DAYTONAS_OWN_HOSTS = ("app.daytona.io",)


def is_daytonas_own(api_url: str) -> bool:
    """Whether the API URL is Daytona's own service (``app.daytona.io``)."""
    host = (urlsplit(api_url).hostname or "").lower()
    return host in DAYTONAS_OWN_HOSTS


def _placeholder(value: str) -> bool:
    """``${DAYTONA_API_KEY}``, ``${env:DAYTONA_API_KEY}``, ``$DAYTONA_API_KEY``: a variable's
    name left unexpanded, never a key."""
    import re

    return re.fullmatch(r"\$\{?[A-Za-z_][\w:.-]*\}?", value) is not None


def header_safe(name: str, value: str) -> None:
    """A value sent in an HTTP header must be visible ASCII: a line break or a non-ASCII letter
    (a key pasted with its line end, or mistyped) is a usage error that never shows the value."""
    if not all("!" <= char <= "~" for char in value):
        what = (
            "a line break"
            if any(char in value for char in "\r\n")
            else ("a space or a character an HTTP header cannot carry")
        )
        raise usage(
            f"{name} contains {what}",
            hint=f"set {name} again, copied exactly as given (visible ASCII characters only)",
        )


def _http_url(url: str) -> SplitResult | None:
    """The URL's parts when it is an http(s) URL with a host and a valid port, else None."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:  # a bad port, an unclosed [IPv6 bracket
        return None
    return parts if parts.scheme in ("http", "https") and parts.hostname else None


def normalise_api_url(url: str) -> str:
    """Check the base URL and strip a trailing slash; a path prefix (``/api``) is kept as given."""
    parts = _http_url(url)
    if parts is None or parts.hostname is None:
        raise usage(
            f"DAYTONA_API_URL is not an http(s) URL: {url!r}",
            hint=f"use the API base URL, e.g. {DEFAULT_API_URL}",
        )
    if parts.username is not None or parts.password is not None:
        raise usage(
            "DAYTONA_API_URL must not carry a user name or password",
            hint="the key in DAYTONA_API_KEY is what authenticates; remove user:password@",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise usage(
            f"refusing to send the API key over plain http to {parts.hostname}",
            hint="use an https:// DAYTONA_API_URL (plain http is allowed for loopback only)",
        )
    if parts.query or parts.fragment:
        raise usage(f"DAYTONA_API_URL must not have a query or fragment: {url!r}")
    return url.strip().rstrip("/")
