"""The one place that decides how things are shown, and on which stream.

Three modes for stdout: a rich table on a terminal (colour, relative times), plain tab-separated
records in a pipe (no colour, no borders, no truncation, ISO-8601 UTC times), and ``--json`` (the
API's objects only). Messages, progress and errors always go to stderr. Server-supplied strings
are made inert before they reach a terminal: control characters are shown escaped, never obeyed,
and nothing is parsed as rich markup. rich is imported only when a terminal needs it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from daytona_cli.errors import CliError
from daytona_cli.hints import hint_for
from daytona_cli.render.columns import STATE_STYLES, Column, View
from daytona_cli.render.fit import fit_columns, table_width
from daytona_cli.render.text import inert
from daytona_cli.streams import Streams
from daytona_cli.types import JSONObject


@dataclass
class Output:
    """Where and how to write: built once per run from the streams and the global options."""

    streams: Streams
    json_mode: bool = False
    secret: str | None = field(default=None, repr=False)
    """The API key: never written to stderr, even when a server message echoes it."""
    secrets: list[str] = field(default_factory=list, repr=False)
    """Other secrets a command holds (an SSH token, :meth:`hide`), kept off stderr the same way."""
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc), repr=False)
    """The wall clock, for relative times ("3 minutes ago"); a run's comes from its Clock."""
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    """The run's monotonic clock: a progress bar's rate and time left are measured on it."""
    debugging: bool = False
    """--debug is on: HTTP exchanges are on stderr, so hints do not suggest turning it on."""
    _console: Any = field(default=None, repr=False)
    _live: Any = field(default=None, repr=False)
    """The console a spinner is drawn on, while one shows: stderr lines go above it."""
    _midline: bool = field(default=False, repr=False)
    """stderr's cursor is after a prompt nobody answered with Enter (EOF, Ctrl-C)."""

    # --- stdout --------------------------------------------------------------------------------

    @property
    def human(self) -> bool:
        """Rich rendering for a person at a terminal (not when piped, not with --json)."""
        return self.streams.stdout_tty and not self.json_mode

    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                file=self.streams.stdout,
                force_terminal=True,
                no_color=not self.streams.color,
                highlight=False,
                markup=False,
                emoji=False,
                width=self.streams.width,
            )
        return self._console

    def write(self, text: str) -> None:
        """Text to stdout as it is, flushed."""
        self.streams.stdout.write(text)
        self.streams.stdout.flush()

    @property
    def _indent(self) -> int | None:
        # Indented for a person; compact in a pipe, where json's C encoder is about 3x faster.
        return 2 if self.streams.stdout_tty else None

    def _dumps(self, value: Any) -> str:
        """Indented on a terminal; compact in a pipe (no spaces after ``,`` and ``:``)."""
        if self._indent:
            return json.dumps(value, indent=self._indent, ensure_ascii=False)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def json(self, value: Any) -> None:
        """One JSON value; an array in the same form as a streamed list (one element a line)."""
        if isinstance(value, list):
            self.json_stream([value])
            return
        self.write(self._dumps(value) + "\n")

    def json_stream(self, pages: Iterable[Sequence[Any]]) -> int:
        """Write a JSON array page by page, so a long list is never held whole in memory.

        Nothing is written until the first page has arrived: a call that fails at once leaves
        stdout empty rather than holding a lone ``[``.
        """
        stdout = self.streams.stdout
        count = 0
        opened = False
        for page in pages:
            if not opened:
                stdout.write("[")
                opened = True
            for item in page:
                text = self._dumps(item)
                text = text.replace("\n", "\n  ") if self._indent else text
                stdout.write(("," if count else "") + "\n  " + text)
                count += 1
            stdout.flush()
        self.write(("\n]\n" if count else "]\n") if opened else "[]\n")
        return count

    def jsonl_stream(self, pages: Iterable[Sequence[Any]]) -> int:
        """One compact JSON object per line, each page written as soon as it arrives."""
        return self.lines(
            (json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in page)
            for page in pages
        )

    def lines(self, pages: Iterable[Iterable[str]]) -> int:
        stdout = self.streams.stdout
        count = 0
        for page in pages:
            for line in page:
                stdout.write(line + "\n")
                count += 1
            stdout.flush()
        return count

    def view(self) -> View:
        """How cells are shown now: for a person or a pipe, and the time relative times use."""
        return View(human=self.human, now=self.now())

    def table(self, columns: Sequence[Column], pages: Iterable[Sequence[JSONObject]]) -> int:
        """A table on a terminal, fitted to its width; one tab-separated record per line in a
        pipe, streamed page by page."""
        view = self.view()
        if not self.human:
            return self.lines(
                ("\t".join(inert(col.value(obj, view)) for col in columns) for obj in page)
                for page in pages
            )
        rows = [[inert(col.value(obj, view)) for col in columns] for page in pages for obj in page]
        if rows:
            self._print_table(columns, rows)
        return len(rows)

    def _print_table(self, columns: Sequence[Column], rows: list[list[str]]) -> None:
        """Only the columns that fit (``render/fit.py``); no cell wraps, a cut one ends in …."""
        from rich import box
        from rich.table import Table
        from rich.text import Text

        console = self.console()
        chosen = fit_columns(columns, rows, console.width)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
        for index, width in chosen:
            table.add_column(columns[index].heading, width=width, no_wrap=True, overflow="ellipsis")
        for row in rows:
            cells = []
            for index, _width in chosen:
                col, text = columns[index], row[index]
                style = STATE_STYLES.get(text, "") if col.style == "state" else col.style or ""
                cells.append(Text(text, style=style))
            table.add_row(*cells)
        # Wider than the terminal only when the columns never cut do not fit: the terminal then
        # wraps the lines, and every ID stays whole (rich would squeeze them to fit otherwise).
        needed, terminal = table_width([width for _index, width in chosen]), console.width
        console.width = max(needed, terminal)
        try:
            console.print(table, crop=False)
        finally:
            console.width = terminal

    def details(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        """Key/value view of one object: a panel on a terminal, ``key<TAB>value`` lines piped."""
        if not self.human:
            self.lines([(f"{key}\t{inert(value)}" for key, value in rows)])
            return
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for key, value in rows:
            text = inert(value)
            grid.add_row(Text(key), Text(text, style=STATE_STYLES.get(text, "")))
        self.console().print(Panel(grid, title=Text(inert(title)), expand=False))

    # --- stderr --------------------------------------------------------------------------------

    def hide(self, secret: str) -> None:
        """Never write ``secret`` to stderr from now on (stdout is what the user asked for)."""
        if secret:
            self.secrets.append(secret)

    def redact(self, text: str) -> str:
        for secret in (self.secret, *self.secrets):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _paint(self, text: str, code: str) -> str:
        if self.streams.stderr_tty and self.streams.color:
            return f"\x1b[{code}m{text}\x1b[0m"
        return text

    def _stderr(self, line: str) -> None:
        """One line on stderr, always starting on a fresh line: printed above a spinner that
        shows, and after a newline when a prompt was left unanswered."""
        live = self._live
        if live is not None:
            from rich.text import Text

            live.print(Text.from_ansi(line), soft_wrap=True)
            return
        if self._midline:
            self._midline = False
            line = "\n" + line
        self.streams.stderr.write(line + "\n")
        self.streams.stderr.flush()

    def info(self, text: str) -> None:
        """A message for the person running the command; never on stdout, silent under --json.
        Inert: a sandbox name in it cannot move the cursor or colour the terminal."""
        if not self.json_mode:
            self._stderr("\n".join(inert(line) for line in self.redact(text).split("\n")))

    def lines_to_stderr(self, lines: Iterable[str]) -> None:
        """Text of the CLI's own (a usage line) on stderr, as it is; silent under --json."""
        for line in lines:
            self.info(line)

    def success(self, text: str) -> None:
        """A done message (inert); a green tick in front of it on a terminal."""
        if self.json_mode:
            return
        shown = inert(self.redact(text))
        self._stderr(f"{self._paint('✓', '32')} {shown}" if self.streams.stderr_tty else shown)

    def warn(self, text: str) -> None:
        self._stderr(self._paint("warning:", "33") + " " + inert(self.redact(text)))

    def error(self, err: CliError) -> None:
        """One line on stderr (JSON under --json), with the hint ``hints.py`` words for it."""
        err.hint = hint_for(err, debug=self.debugging)
        if self.json_mode:
            self._stderr(self.redact(json.dumps(err.to_json(), ensure_ascii=False)))
            return
        message = err.message.rstrip()
        if err.hint:  # "...a response.; check" reads badly: the message's own full stop goes
            message = message.removesuffix(".") if not message.endswith("..") else message
        line = self._paint("error:", "1;31") + " " + inert(self.redact(message))
        if err.hint:
            line += "; " + inert(self.redact(err.hint))
        self._stderr(line)

    def debug(self, text: str) -> None:
        self._stderr(self._paint(inert(self.redact(text)), "2"))

    def traceback(self, text: str) -> None:
        """A traceback under --debug, key redacted."""
        self.streams.stderr.write(self.redact(text))
        self.streams.stderr.flush()

    @contextmanager
    def progress(self, text: str) -> Iterator[Callable[[str], None]]:
        """A spinner on stderr while waiting, when stderr is a terminal; yields ``update(text)``.

        One at a time: progress asked for while another shows (a bulk action's workers) is silent.
        """
        if not self.streams.stderr_tty or self._live is not None:
            yield lambda _text: None
            return
        from rich.console import Console
        from rich.text import Text

        console = Console(
            file=self.streams.stderr, force_terminal=True, no_color=not self.streams.color
        )
        try:
            with console.status(Text(inert(text))) as status:
                self._live = console
                yield lambda new: status.update(Text(inert(new)))
        finally:
            self._live = None

    @contextmanager
    def transfer(
        self, text: str, total: int | None, *, data_on_terminal: bool = False
    ) -> Iterator[Callable[[int], None]]:
        """A progress bar on stderr (bytes, rate, time left) while bytes move, when stderr is
        a terminal; yields ``advance(bytes)``. ``total`` None: no bar length, no time left.
        ``data_on_terminal``: the bytes themselves are typed in or shown on a terminal, which
        the bar would draw over, so there is none (as curl shows none then)."""
        if data_on_terminal or not self.streams.stderr_tty or self._live is not None:
            yield lambda _count: None
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        console = Console(
            file=self.streams.stderr, force_terminal=True, no_color=not self.streams.color
        )
        columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TransferSpeedColumn(), TimeRemainingColumn()]  # fmt: skip
        try:
            with Progress(
                *columns, console=console, transient=True, get_time=self.monotonic
            ) as progress:
                self._live = console
                task = progress.add_task(inert(text), total=total)
                yield lambda count: progress.advance(task, count)
        finally:
            self._live = None

    def can_prompt(self, no_input: bool) -> bool:
        """True when a person can answer: stdin and stderr are terminals and no_input is off."""
        return self.streams.stdin_tty and self.streams.stderr_tty and not no_input

    def passed_through(self, data: bytes, *, to_stderr: bool) -> None:
        """A command's output has just been written as it is: when it went to the terminal
        stderr is on (the same screen) and left the cursor mid-line, the next message starts
        on a fresh line rather than after ``y^C``."""
        tty = self.streams.stderr_tty if to_stderr else self.streams.stdout_tty
        if tty and self.streams.stderr_tty and data:
            self._midline = not data.endswith(b"\n")

    def confirm(self, question: str, lines: Sequence[str] = ()) -> bool:
        """Show ``lines`` (the CLI's own text, already inert), then ask on the terminal; the
        caller checks :meth:`can_prompt` first."""
        stderr = self.streams.stderr
        stderr.write("".join(line + "\n" for line in lines) + question + " [y/N]: ")
        stderr.flush()
        self._midline = True
        answer = self.streams.stdin.readline()
        self._midline = not answer.endswith("\n")  # EOF: the cursor is still after the question
        return answer.strip().lower() in ("y", "yes")
