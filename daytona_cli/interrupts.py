"""Ctrl-C and SIGTERM: the first one interrupts the run, and a repeat never cuts its tidy-up short.

The first Ctrl-C (SIGINT) or SIGTERM raises KeyboardInterrupt, so that the run can tidy up (a
streamed ``exec`` deletes its session, which kills the remote command) and then say in one line
what happened. Until it has said so, a repeat is handled with care:

- SIGTERM again is ignored. ``timeout`` sends SIGTERM to the CLI and then to its whole process
  group, so a second one often comes right after the first; whoever will not wait sends SIGKILL.
- Ctrl-C again within :data:`REPEAT_WINDOW` of the first is ignored too: that is a program
  sending the signal twice (``timeout -s INT``), not a person pressing the keys again.
- A later Ctrl-C is a person who will not wait: the process exits 130 at once, after one line
  saying what may be left running.

Once the run has reported, :func:`exit_on_next_interrupt` makes either signal end the process at
once (interpreter shutdown may still be joining bulk workers). Only the main thread can set
signal handlers; elsewhere none of this does anything.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

INTERRUPTED = 130
TERMINATED = 143
SIGNALS = ((signal.SIGINT, INTERRUPTED), (signal.SIGTERM, TERMINATED))
REPEAT_WINDOW = 1.0
"""Seconds after the first signal in which another Ctrl-C is taken for a program's repeat."""
REMOTE_LEFT_RUNNING = "the remote command may still be running"

monotonic: Callable[[], float] = time.monotonic
"""The clock :data:`REPEAT_WINDOW` is measured on (tests replace it)."""


def _write_stderr(text: str) -> None:
    with suppress(OSError):
        os.write(2, f"error: {text}\n".encode(errors="backslashreplace"))


class _Tidying:
    """What the process knows once a first signal came: when, what a forced exit would leave
    behind, and how to say so (the run's own error line; plain stderr outside a run)."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.left_running: str | None = None
        self.say: Callable[[str], None] = _write_stderr

    def reset(self, say: Callable[[str], None] | None = None) -> None:
        self.since = None
        self.left_running = None
        self.say = say or _write_stderr


_tidying = _Tidying()


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def tidying(left_running: str | None = None) -> None:
    """A first signal has interrupted the run (or the run is reporting an interruption): from
    now on a repeat is ignored or forces the exit, as this module says. ``left_running`` says
    what a forced exit would leave behind."""
    if _tidying.since is None:
        _tidying.since = monotonic()
    if left_running:
        _tidying.left_running = left_running
    if _main_thread():
        for number, _code in SIGNALS:
            signal.signal(number, _repeat)


def _repeat(signum: int, _frame: object) -> None:
    if signum != signal.SIGINT:
        return
    since = _tidying.since
    if since is not None and monotonic() - since < REPEAT_WINDOW:
        return
    left = _tidying.left_running
    text = "interrupted again: exiting at once" + (f"; {left}" if left else "")
    try:
        _tidying.say(text)
    except Exception:  # in a signal handler: said plainly rather than not at all
        _write_stderr(text)
    os._exit(INTERRUPTED)


@contextmanager
def interruptible(on_terminate: Callable[[], None], say: Callable[[str], None]) -> Iterator[None]:
    """For one run: the first Ctrl-C or SIGTERM raises KeyboardInterrupt (SIGTERM calls
    ``on_terminate`` first) and starts the tidy-up; ``say`` words the line a forced exit
    prints. The handlers in place before are restored afterwards."""
    if not _main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number, _code in SIGNALS}

    def first(signum: int, _frame: object) -> None:
        if signum == signal.SIGTERM:
            on_terminate()
        tidying()
        raise KeyboardInterrupt

    _tidying.reset(say)
    for number, _code in SIGNALS:
        signal.signal(number, first)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        _tidying.reset()


def exit_on_next_interrupt() -> None:
    """From now on SIGINT ends the process with exit code 130, and SIGTERM with 143, at once:
    for after the run has said what happened."""
    if _main_thread():
        for number, _code in SIGNALS:
            signal.signal(number, _exit_at_once)


def _exit_at_once(signum: int, _frame: object) -> None:
    os._exit(TERMINATED if signum == signal.SIGTERM else INTERRUPTED)


class FirstInterrupt:
    """While a command runs remotely: the first Ctrl-C or SIGTERM raises KeyboardInterrupt (so
    that the run can kill the remote command), and repeats are handled as :func:`tidying` says
    (a forced exit says that the remote command may still be running); ``on_terminate`` is
    called first for SIGTERM. Outside the main thread it does nothing."""

    def __init__(
        self,
        on_terminate: Callable[[], None] | None = None,
        left_running: str = REMOTE_LEFT_RUNNING,
    ) -> None:
        self.on_terminate = on_terminate
        self.left_running = left_running
        self._previous: dict[int, Any] = {}
        self.triggered = False

    def __enter__(self) -> FirstInterrupt:
        if _main_thread():
            for number, _code in SIGNALS:
                self._previous[number] = signal.signal(number, self._first)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.triggered:
            return  # the tidy-up goes on after this block: repeats stay handled with care
        for number, previous in self._previous.items():
            signal.signal(number, previous if previous is not None else signal.SIG_DFL)

    def _first(self, signum: int, _frame: object) -> None:
        self.triggered = True
        if signum == signal.SIGTERM and self.on_terminate is not None:
            self.on_terminate()
        tidying(self.left_running)
        raise KeyboardInterrupt
