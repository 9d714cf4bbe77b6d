"""The per-run context: what the outside world gives a run, and what commands find in ``ctx.obj``.

Commands import this module, never ``app.py``. Tests build their own :class:`Runtime` (a fake
transport, streams that pretend to be a terminal of some width, a virtual clock).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from daytona_cli.clock import Clock
from daytona_cli.output import Output
from daytona_cli.streams import Streams

if TYPE_CHECKING:
    import httpx
    import typer

    from daytona_cli.client import DaytonaClient
    from daytona_cli.config import Settings


@dataclass
class Runtime:
    """Environment, directory, streams, network and time: everything a run takes from outside.

    :meth:`from_process` is the real one.
    """

    environ: Mapping[str, str]
    cwd: Path
    streams: Streams
    transport: httpx.BaseTransport | None = None
    clock: Clock = field(default_factory=Clock)

    @classmethod
    def from_process(cls) -> Runtime:
        return cls(environ=os.environ, cwd=Path.cwd(), streams=Streams.from_process(os.environ))


class AppContext:
    """The object every command finds in ``ctx.obj``: output, settings and one shared client.

    Settings are read and the client is built on first use, so ``--help`` and usage errors cost
    no file reads and no httpx import.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.debug = False
        self.env_file: Path | None = None
        self.request_timeout: float | None = None
        self.terminated = False
        """Set when SIGTERM ended the run: exit 143 instead of Ctrl-C's 130."""
        self.own_failure_exit: int | None = None
        """Set by `sandbox exec`: its own failures exit 125, never passing for remote codes."""
        self.output = Output(
            runtime.streams, now=runtime.clock.now, monotonic=runtime.clock.monotonic
        )
        self._settings: Settings | None = None
        self._client: DaytonaClient | None = None

    @classmethod
    def of(cls, ctx: typer.Context, *, json_mode: bool | None = None) -> AppContext:
        """The run's context from a command's Typer context; a command with ``--json`` passes
        ``json_mode``, which keeps messages off stdout and errors in JSON."""
        state: AppContext = ctx.obj
        if json_mode is not None:
            state.output.json_mode = json_mode
        return state

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @property
    def no_input(self) -> bool:
        """Never prompt in CI or when asked not to, even if a terminal seems attached."""
        env = self.runtime.environ
        return bool(env.get("CI") or env.get("DAYTONA_NO_INPUT"))

    @property
    def no_input_reason(self) -> str | None:
        """Which variable turned prompting off (``CI is set``), for the refusal to say so."""
        env = self.runtime.environ
        for name in ("CI", "DAYTONA_NO_INPUT"):
            if env.get(name):
                return f"{name} is set"
        return None

    def settings(self) -> Settings:
        if self._settings is None:
            from daytona_cli.config import load_settings

            self._settings = load_settings(
                self.runtime.environ, self.runtime.cwd, self.env_file, warn=self.output.warn
            )
            self.output.secret = self._settings.api_key
        return self._settings

    def client(self) -> DaytonaClient:
        """The run's one client (one connection pool), built on first use."""
        if self._client is None:
            from daytona_cli.client import DaytonaClient

            settings = self.settings()
            self._client = DaytonaClient(
                api_url=settings.api_url,
                api_key=settings.api_key,
                organization_id=settings.organization_id,
                transport=self.runtime.transport,
                debug=self.output.debug if self.debug else None,
                notice=self.output.info,
                max_attempts=settings.max_attempts,
                monotonic=self.clock.monotonic,
                sleep=self.clock.sleep,
                environ=self.runtime.environ,
                **({"request_timeout": self.request_timeout} if self.request_timeout else {}),
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
