"""Keep httpx's own command-line client, and click, rich and pygments with it, out of every run.

``import httpx`` ends with ``from ._main import main`` inside ``try/except ImportError``, and
``httpx/_main.py`` imports click, rich and pygments. Without click that import fails at once and
costs nothing; with click installed (the ``mcp`` extra brings it, through uvicorn) every API
command would load all three, some 40 ms of start-up. :func:`keep_httpx_cli_out` registers a
stand-in for ``httpx._main`` before httpx is first imported, so httpx finds its ``main`` there.
"""

from __future__ import annotations

import sys
import types


def _main() -> None:
    sys.exit("httpx's command line is not available in this process (daytona-cli keeps it out)")


def keep_httpx_cli_out() -> None:
    """Register the stand-in, unless httpx (or its command line) is already imported: a process
    that loaded them itself keeps them as they are."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main", "daytona-cli's stand-in for httpx's command line")
    stand_in.__dict__["main"] = _main
    sys.modules["httpx._main"] = stand_in
