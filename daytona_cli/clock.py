"""Time, injected: the real clock in a run, a virtual one in tests (no test sleeps for real)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Clock:
    """``monotonic()`` in seconds and ``sleep(seconds)``; every wait, backoff and deadline uses it.

    ``now()`` is the wall clock (aware, UTC): relative times and age filters are measured from it.
    """

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = field(default=utc_now)
