"""A stateful fake of the Daytona API and Toolbox API, for the CLI's tests.

One object, two transports: ``httpx.MockTransport(fake.handler)`` runs the real client code
in-process, and ``fake.serve()`` puts the same logic behind a loopback HTTP server, so that
end-to-end tests can run the installed command as a subprocess and streaming tests can open the
log WebSocket (a WebSocket cannot be upgraded in-process). It copies the real servers' habits
(NOTES.md and the three specs in ``tests/``) and can be made unkind the way real servers are;
see :class:`tests.fake.core.FakeDaytona` for every switch. The code lives in ``tests/fake/``.

Try the CLI against it by hand with ``python -m tests.fake_daytona --seed``: the seeded
sandboxes run commands, sessions and file transfers through the loopback toolbox proxy.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

from tests.fake.common import (
    DEFAULT_SNAPSHOT,
    LISTABLE_STATES,
    PROXY_PATH,
    SANDBOX_STATES,
    STABLE_STATES,
    ApiError,
)
from tests.fake.core import FakeDaytona, Scripted
from tests.fake.records import LIST_FILTERS
from tests.fake.sessions import STDERR_PREFIX, STDOUT_PREFIX
from tests.fake.traffic import RECORD_ENV, dump

__all__ = [
    "DEFAULT_SNAPSHOT",
    "LISTABLE_STATES",
    "LIST_FILTERS",
    "PROXY_PATH",
    "SANDBOX_STATES",
    "STABLE_STATES",
    "STDERR_PREFIX",
    "STDOUT_PREFIX",
    "ApiError",
    "FakeDaytona",
    "Scripted",
    "main",
]


def _raise_interrupt() -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Serve the fake in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_daytona", description="Serve a fake Daytona API on loopback."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="fake-key")
    parser.add_argument("--seed", action="store_true", help="add demo sandboxes and snapshots")
    parser.add_argument("--transition-seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    fake = FakeDaytona(api_key=args.api_key, transition_seconds=args.transition_seconds)
    if args.seed:
        fake.seed()
    # Background jobs of a non-interactive shell ignore SIGINT; `kill` must stop the fake cleanly too.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: _raise_interrupt())
    with fake, fake.serve(args.host, args.port) as url:
        print(
            f"Fake Daytona API on {url} (Ctrl-C stops it); use: "
            f"export DAYTONA_API_URL={url} DAYTONA_API_KEY={args.api_key}",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    record = os.environ.get(RECORD_ENV)
    if record:
        # Run by a test: its contract check reads what this fake was sent and answered.
        dump(fake, Path(record) / f"fake-{os.getpid()}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
