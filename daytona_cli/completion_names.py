"""Sandbox and snapshot names for shell completion, from the API.

One request with a short timeout and no retries, cached for a few seconds (so that pressing TAB
again does not ask again); any failure means no candidates: a completion never writes to
stderr. Nothing heavy is imported at module level: command modules load this one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from daytona_cli.clock import Clock

if TYPE_CHECKING:
    from daytona_cli.config import Settings

API_TIMEOUT = 1.5  # seconds for the one request a completion may make, connecting included
CACHE_TTL = 5.0  # seconds a list of names is reused
LIMIT = 50  # names asked for: more than a shell shows at once
PROG_NAME = "daytona-cli"

Candidates = list[tuple[str, str]]


# --- names from the API ------------------------------------------------------------------------


def sandbox_names(ctx: typer.Context, incomplete: str) -> Candidates:
    """``autocompletion=`` for sandbox names (unnamed sandboxes are named by their ID)."""
    given = ctx.params.get("targets") or ()
    candidates = _names(ctx, "sandbox", incomplete)
    return [(name, help_text) for name, help_text in candidates if name not in given]


def snapshot_names(ctx: typer.Context, incomplete: str) -> Candidates:
    """``autocompletion=`` for snapshot names."""
    return _names(ctx, "snapshot", incomplete)


def _names(ctx: typer.Context, kind: str, incomplete: str) -> Candidates:
    try:
        items = _fetch_cached(ctx, kind, incomplete)
    except Exception:  # no key, no network, a malformed answer, an unwritable cache...
        return []
    found = sorted(
        item for item in items if item[0].startswith(incomplete) and item[0].isprintable()
    )
    if _shell(ctx) != "bash":
        return found  # zsh and fish quote what they insert
    # bash inserts a candidate as it is: a name with a space, `$(...)` or a quote must come
    # escaped, or the command line it lands on splits it, or runs it.
    return [(bash_escape(name), text) for name, text in found]


_BASH_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@%+=,-")


def bash_escape(word: str) -> str:
    """``word`` for a bash command line, each special character behind a backslash (``my\\ box``);
    unlike quoting, it keeps a typed prefix a prefix, so bash can complete from it."""
    return "".join(char if char in _BASH_PLAIN else "\\" + char for char in word)


def _shell(ctx: typer.Context) -> str:
    environ = getattr(getattr(ctx.obj, "runtime", None), "environ", os.environ)
    return str(environ.get("_DAYTONA_CLI_COMPLETE", "")).removeprefix("complete_")


def _fetch_cached(ctx: typer.Context, kind: str, prefix: str) -> Candidates:
    from daytona_cli.config import load_settings

    state = ctx.obj
    runtime = getattr(state, "runtime", None)
    environ: Mapping[str, str] = runtime.environ if runtime is not None else os.environ
    cwd = runtime.cwd if runtime is not None else Path.cwd()
    env_file = ctx.find_root().params.get("env_file")
    settings = load_settings(environ, cwd, Path(env_file) if env_file else None)
    path = _cache_file(environ)
    cache = _Cache(path, _scope(kind, settings)) if path is not None else None
    cached = cache.lookup(prefix) if cache is not None else None
    if cached is not None:
        return cached
    items, complete = _fetch(
        kind, prefix, settings, getattr(runtime, "transport", None), getattr(runtime, "clock", None)
    )
    if cache is not None:
        cache.store(prefix, items, complete=complete)
    return items


def _fetch(
    kind: str, prefix: str, settings: Settings, transport: Any, clock: Clock | None
) -> tuple[Candidates, bool]:
    """One request (one page), at most :data:`API_TIMEOUT` seconds of ``clock``, no retries.

    Also says whether the list is complete: every name matching ``prefix`` is in it.
    """
    from daytona_cli.client import DaytonaClient
    from daytona_cli.client.filters import SandboxFilter

    clock = clock or Clock()
    with DaytonaClient(
        api_url=settings.api_url,
        api_key=settings.api_key,
        organization_id=settings.organization_id,
        transport=transport,
        request_timeout=API_TIMEOUT,
        max_attempts=1,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    ) as client:
        items: Candidates = []
        if kind == "sandbox":
            page = next(
                iter(client.list_sandboxes(SandboxFilter(name=prefix or None), limit=LIMIT))
            )
            for sandbox in page:
                name, ident = str(sandbox.get("name") or sandbox["id"]), str(sandbox["id"])
                state = str(sandbox.get("state") or "")
                items.append((name, state if name == ident else f"{state} {ident}".strip()))
            # The client drops what the API's `_`/`%` wildcards matched: the page may be short.
            complete = len(page) < LIMIT and "_" not in prefix and "%" not in prefix
        else:
            page = next(iter(client.list_snapshots(name=prefix or None, limit=LIMIT)))
            # `name` matches anywhere in the name: keep prefixes only.
            items += [
                (str(snap["name"]), str(snap.get("state") or ""))
                for snap in page
                if str(snap.get("name", "")).lower().startswith(prefix.lower())
            ]
            complete = len(page) < LIMIT
        return items, complete


def _scope(kind: str, settings: Settings) -> str:
    """What a cached list belongs to: the API, the organization and the key (hashed, never kept)."""
    import hashlib

    key_hash = hashlib.sha256(settings.api_key.encode()).hexdigest()
    return f"{kind} {settings.api_url} {settings.organization_id or '-'} {key_hash}"


def _cache_file(environ: Mapping[str, str]) -> Path | None:
    """``$XDG_CACHE_HOME/daytona-cli/completion.json`` (``~/.cache`` by default); None: no cache."""
    base, home = environ.get("XDG_CACHE_HOME", ""), environ.get("HOME", "")
    if base and os.path.isabs(base):
        root = Path(base)
    elif home and os.path.isabs(home):
        root = Path(home) / ".cache"
    else:
        return None
    return root / PROG_NAME / "completion.json"


class _Cache:
    """Lists of names, each for a prefix and fresh for :data:`CACHE_TTL` seconds, in one JSON file.

    A complete list (fewer than :data:`LIMIT` names) for ``de`` also answers ``dem``: the API
    matches names case-insensitively, so everything matching ``dem`` is in it.
    """

    def __init__(self, path: Path, scope: str) -> None:
        self.path = path
        self.scope = scope
        self.now = time.time()

    def _entries(self) -> list[dict[str, Any]]:
        import json

        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        entries = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            return []
        return [
            entry
            for entry in entries
            if isinstance(entry, dict)
            and isinstance(entry.get("at"), (int, float))
            and 0 <= self.now - entry["at"] < CACHE_TTL
        ]

    def lookup(self, prefix: str) -> Candidates | None:
        for entry in self._entries():
            if entry.get("scope") != self.scope or not isinstance(entry.get("prefix"), str):
                continue
            exact = entry["prefix"] == prefix
            covers = entry.get("complete") is True and prefix.lower().startswith(
                entry["prefix"].lower()
            )
            if exact or covers:
                try:
                    return [(str(name), str(text)) for name, text in entry.get("items", [])]
                except (TypeError, ValueError):
                    return None
        return None

    def store(self, prefix: str, items: Candidates, *, complete: bool) -> None:
        """Best effort: a cache that cannot be written only means asking the API next time."""
        with suppress(OSError):
            self._write(prefix, items, complete)

    def _write(self, prefix: str, items: Candidates, complete: bool) -> None:
        import json
        import tempfile

        entries = [
            entry
            for entry in self._entries()
            if (entry.get("scope"), entry.get("prefix")) != (self.scope, prefix)
        ]
        entries.append(
            {"scope": self.scope, "prefix": prefix, "at": self.now, "complete": complete,
             "items": items}
        )  # fmt: skip
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written aside and renamed, so that a completion running alongside never reads half.
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".completion-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump({"entries": entries}, file)
            os.replace(temp, self.path)
        except BaseException:
            os.unlink(temp)
            raise
