"""Shell completion: the scripts, the answer to a completion request, and what to complete.

The scripts are Typer's own (bash, zsh, fish). A shell asks for candidates by running
``daytona-cli`` with ``_DAYTONA_CLI_COMPLETE=complete_<shell>`` and the words typed so far
(bash: ``COMP_WORDS`` and ``COMP_CWORD``; zsh and fish: ``_TYPER_COMPLETE_ARGS``, fish also
``_TYPER_COMPLETE_FISH_ACTION``); :func:`respond` answers through Typer's completion classes.

Sandbox and snapshot names come from the API with a short timeout and no retries, are cached for a
few seconds (so that pressing TAB again does not ask again), and any failure means no candidates:
a completion never writes to stderr. Nothing heavy (httpx, rich) is imported at module level:
this module is loaded by every command.

Regenerate ``completions/`` with ``python -m daytona_cli.completion --write completions``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from daytona_cli.clock import Clock

if TYPE_CHECKING:
    from daytona_cli.config import Settings
    from daytona_cli.context import AppContext

PROG_NAME = "daytona-cli"
COMPLETE_VAR = "_DAYTONA_CLI_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
# The files in completions/ (zsh autoloads `_daytona-cli` from $fpath by its #compdef line).
SCRIPT_FILES = {"bash": "daytona-cli.bash", "zsh": "_daytona-cli", "fish": "daytona-cli.fish"}

# What Typer's completion classes read besides COMPLETE_VAR.
PROTOCOL_VARS = ("COMP_WORDS", "COMP_CWORD", "_TYPER_COMPLETE_ARGS", "_TYPER_COMPLETE_FISH_ACTION")

API_TIMEOUT = 1.5  # seconds for the one request a completion may make, connecting included
CACHE_TTL = 5.0  # seconds a list of names is reused
LIMIT = 50  # names asked for: more than a shell shows at once

Candidates = list[tuple[str, str]]


# --- scripts -----------------------------------------------------------------------------------


def script(shell: str) -> str:
    """The completion script for ``shell`` (one of :data:`SHELLS`), ending in a newline."""
    from daytona_cli.typer_compat import completion_script

    if shell not in SHELLS:
        raise ValueError(f"unsupported shell {shell!r}")
    text = completion_script(PROG_NAME, COMPLETE_VAR, shell)
    return text + "\n" + (_ZSH_FIRST_TAB if shell == "zsh" else "")


# Typer's zsh script only registers its function, so loaded from $fpath (where the file is the
# body of _daytona-cli, run at the first TAB) the first TAB of every shell would offer nothing.
_ZSH_FIRST_TAB = """
# Loaded from $fpath, this file runs at the first TAB: complete that TAB too.
if [ "$funcstack[1]" = "_daytona-cli" ]; then
  _daytona_cli_completion "$@"
fi
"""


def write_scripts(directory: Path) -> list[Path]:
    """Write every shell's script into ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell in SHELLS:
        path = directory / SCRIPT_FILES[shell]
        path.write_text(script(shell), encoding="utf-8", newline="\n")
        written.append(path)
    return written


def stale_scripts(directory: Path) -> list[Path]:
    """The files in ``directory`` that are missing or differ from what the app generates now."""
    stale = []
    for shell in SHELLS:
        path = directory / SCRIPT_FILES[shell]
        try:
            current = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != script(shell):
            stale.append(path)
    return stale


# --- answering a completion request ------------------------------------------------------------


def respond(command: Any, state: AppContext) -> int:
    """Answer the shell's completion request (``_DAYTONA_CLI_COMPLETE`` is set); the exit code.

    Typer's classes print the candidates in each shell's format. Any failure is silent: a
    traceback would land in the middle of the user's command line.
    """
    from daytona_cli.typer_compat import answer_completion

    environ = state.runtime.environ
    instruction = environ.get(COMPLETE_VAR, "")
    try:
        with _protocol_environ(environ):
            return answer_completion(command, {"obj": state}, PROG_NAME, COMPLETE_VAR, instruction)
    except SystemExit as exc:  # fish asks "are these arguments?" and hears an exit status
        return exc.code if isinstance(exc.code, int) else 1
    except Exception:
        return 1


@contextmanager
def _protocol_environ(environ: Mapping[str, str]) -> Iterator[None]:
    """Typer's classes read the words typed from ``os.environ``; a run's environment may differ."""
    if environ is os.environ:
        yield
        return
    saved = {name: os.environ.get(name) for name in PROTOCOL_VARS}
    try:
        for name in PROTOCOL_VARS:
            if name in environ:
                os.environ[name] = environ[name]
            else:
                os.environ.pop(name, None)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- static candidates -------------------------------------------------------------------------


def choices(values: Sequence[str]) -> Callable[[str], list[str]]:
    """An ``autocompletion=`` callback offering fixed values (Typer keeps those that match)."""

    def complete(incomplete: str) -> list[str]:
        return [value for value in values if value.lower().startswith(incomplete.lower())]

    return complete


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
    return sorted(item for item in items if item[0].startswith(incomplete))


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
            page = next(iter(client.list_sandboxes(name=prefix or None, limit=LIMIT)))
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


# --- regenerating completions/ -----------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m daytona_cli.completion --write DIR`` (or ``--check DIR``, exit 1 when stale)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m daytona_cli.completion",
        description="Write or check the generated shell completion scripts.",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="DIR", type=Path, help="write the scripts into DIR")
    group.add_argument("--check", metavar="DIR", type=Path, help="exit 1 if DIR's are stale")
    args = parser.parse_args(argv)
    if args.write is not None:
        for path in write_scripts(args.write):
            print(f"wrote {path}")
        return 0
    stale = stale_scripts(args.check)
    for path in stale:
        print(
            f"stale: {path}; regenerate with python -m daytona_cli.completion --write {args.check}"
        )
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
