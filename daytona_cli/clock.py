"""Time, injected: the real clock in a run, a virtual one in tests (no test sleeps for real)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Clock:
    """``monotonic()`` in seconds and ``sleep(seconds)``; every wait, backoff and deadline uses it."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
