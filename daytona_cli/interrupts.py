"""Ctrl-C while the CLI tidies up: a second one ends the process at once."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

INTERRUPTED = 130


def exit_on_next_interrupt() -> None:
    """From now on SIGINT ends the process with exit code 130, without cleaning up; only the
    main thread can set a signal handler, elsewhere this does nothing."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda _signum, _frame: os._exit(INTERRUPTED))


class FirstInterrupt:
    """While active, the first Ctrl-C raises KeyboardInterrupt (so the run can tidy up, say
    by killing a remote command) and arms :func:`exit_on_next_interrupt` for the next one
    before anything else runs. Outside the main thread it does nothing."""

    def __init__(self) -> None:
        self._previous: Any = None
        self._installed = False
        self.triggered = False

    def __enter__(self) -> FirstInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._first)
            self._installed = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._installed and not self.triggered:
            signal.signal(signal.SIGINT, self._previous or signal.default_int_handler)

    def _first(self, _signum: int, _frame: object) -> None:
        self.triggered = True
        exit_on_next_interrupt()
        raise KeyboardInterrupt
