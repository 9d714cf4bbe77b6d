"""The only code that speaks HTTP: the transport with its retries, the Daytona API, the toolbox.

Importing this package does not import httpx; constructing a client does.
"""

from __future__ import annotations

from daytona_cli.client.api import DaytonaClient

__all__ = ["DaytonaClient"]
