"""Ctrl-C and SIGTERM while a command runs remotely: the first one lets the run tidy up (kill
the remote command), a second one ends the process at once."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any

INTERRUPTED = 130
TERMINATED = 143
SIGNALS = ((signal.SIGINT, INTERRUPTED), (signal.SIGTERM, TERMINATED))


def exit_on_next_interrupt() -> None:
    """From now on SIGINT ends the process with exit code 130, and SIGTERM with 143, without
    cleaning up; only the main thread can set a signal handler, elsewhere this does nothing."""
    if threading.current_thread() is threading.main_thread():
        for number, _code in SIGNALS:
            signal.signal(number, _exit_at_once)


def _exit_at_once(signum: int, _frame: object) -> None:
    os._exit(TERMINATED if signum == signal.SIGTERM else INTERRUPTED)


class FirstInterrupt:
    """While active, the first Ctrl-C or SIGTERM raises KeyboardInterrupt (so the run can tidy
    up, say by killing a remote command) and arms :func:`exit_on_next_interrupt` before
    anything else runs; ``on_terminate`` is called first for SIGTERM. Outside the main thread
    it does nothing."""

    def __init__(self, on_terminate: Callable[[], None] | None = None) -> None:
        self.on_terminate = on_terminate
        self._previous: dict[int, Any] = {}
        self.triggered = False

    def __enter__(self) -> FirstInterrupt:
        if threading.current_thread() is threading.main_thread():
            for number, _code in SIGNALS:
                self._previous[number] = signal.signal(number, self._first)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.triggered:
            return
        for number, previous in self._previous.items():
            signal.signal(number, previous if previous is not None else signal.SIG_DFL)

    def _first(self, signum: int, _frame: object) -> None:
        self.triggered = True
        if signum == signal.SIGTERM and self.on_terminate is not None:
            self.on_terminate()
        exit_on_next_interrupt()
        raise KeyboardInterrupt
