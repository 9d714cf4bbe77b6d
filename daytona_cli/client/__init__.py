"""The only code that speaks HTTP: the transport with its retries, the Daytona API, the toolbox.

Importing this package does not import httpx; constructing a client does. Every module that
imports httpx is in this package, so the stand-in for httpx's command line is registered here,
before any of them can (``httpx_cli.py``).
"""

from __future__ import annotations

from daytona_cli.client.httpx_cli import keep_httpx_cli_out

keep_httpx_cli_out()

from daytona_cli.client.api import DaytonaClient  # noqa: E402  (after the stand-in)

__all__ = ["DaytonaClient"]
