"""The one place that decides how things are shown.

Three modes for stdout: a rich table on a terminal (colour, relative times), plain tab-separated
records in a pipe (no colour, no borders, no truncation, ISO-8601 UTC times), and ``--json`` (the
API's objects only). Messages, progress and errors always go to stderr. Server-supplied strings
are made inert before they reach a terminal: control characters are shown escaped, never obeyed,
and nothing is parsed as rich markup. rich is imported only when a terminal needs it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any

from daytona_cli.errors import CliError

JSONObject = dict[str, Any]


def inert(value: object) -> str:
    """Text safe to print: anything not printable (ESC, CR, TAB, bidi overrides) shown escaped."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable() or char == " ":
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def iso_utc(value: object) -> str:
    """ISO-8601 in UTC with a Z, or the server's text unchanged if it is not a timestamp."""
    parsed = parse_time(value)
    if parsed is None:
        return "" if value is None else inert(value)
    utc = parsed.astimezone(timezone.utc)
    timespec = "milliseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def relative_time(value: object, now: datetime | None = None) -> str:
    """'3 minutes ago' for people; falls back to the raw text when it is not a timestamp."""
    parsed = parse_time(value)
    if parsed is None:
        return "" if value is None else inert(value)
    now = now or datetime.now(timezone.utc)
    seconds = (now - parsed).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 45:
        return "just now"
    for unit, size in (("year", 31_536_000), ("month", 2_592_000), ("day", 86_400),
                       ("hour", 3_600), ("minute", 60)):  # fmt: skip
        if seconds >= size * 0.95 or unit == "minute":
            count = max(1, round(seconds / size))
            label = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {label}" if future else f"{label} ago"
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Column:
    """A column of a listing: its heading and how to get the cell, for people or for pipes."""

    heading: str
    value: Callable[[JSONObject, bool], str]  # (object, human) -> text
    style: str | None = None
    no_wrap: bool = False


def field_column(heading: str, key: str, **kwargs: Any) -> Column:
    return Column(heading, lambda obj, _human: scalar(obj.get(key)), **kwargs)


def time_column(heading: str, key: str) -> Column:
    return Column(
        heading,
        lambda obj, human: relative_time(obj.get(key)) if human else iso_utc(obj.get(key)),
        no_wrap=True,
    )


def fields_columns(fields: Sequence[str]) -> list[Column]:
    """Columns named by the user with --fields: the API's field names, times shown as times."""
    return [
        time_column(name, name) if name.endswith("At") else field_column(name, name)
        for name in fields
    ]


def project(obj: JSONObject, fields: Sequence[str] | None) -> JSONObject:
    """Keep only the chosen keys (all of them when none were chosen)."""
    return obj if fields is None else {name: obj.get(name) for name in fields}


def scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


STATE_STYLES = {
    "started": "green",
    "stopped": "yellow",
    "archived": "dim",
    "error": "red",
    "build_failed": "red",
    "active": "green",
    "inactive": "dim",
}


@dataclass
class Output:
    """Where and how to write: built once per command from the streams and the global options."""

    stdout: IO[str]
    stderr: IO[str]
    stdout_tty: bool
    stderr_tty: bool
    stdin_tty: bool
    no_color: bool = False
    json_mode: bool = False
    width: int | None = None
    _console: Any = field(default=None, repr=False)
    _progress_shown: bool = field(default=False, repr=False)
    secret: str | None = field(default=None, repr=False)
    """The API key: never written to stderr, even when a server message echoes it."""

    # --- stdout --------------------------------------------------------------------------------

    @property
    def human(self) -> bool:
        """Rich rendering for a person at a terminal (not when piped, not with --json)."""
        return self.stdout_tty and not self.json_mode

    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                file=self.stdout,
                force_terminal=True,
                no_color=self.no_color,
                highlight=False,
                markup=False,
                emoji=False,
                width=self.width,
            )
        return self._console

    def write(self, text: str) -> None:
        """Raw text to stdout, byte for byte (exec output)."""
        self.stdout.write(text)
        self.stdout.flush()

    @property
    def _indent(self) -> int | None:
        # Indented for a person; compact in a pipe, where json's C encoder is about 3x faster.
        return 2 if self.stdout_tty else None

    def json(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, indent=self._indent, ensure_ascii=False) + "\n")
        self.stdout.flush()

    def json_stream(self, pages: Iterable[Sequence[Any]]) -> int:
        """Write a JSON array page by page, so a long list is never held whole in memory.

        Nothing is written until the first page has arrived: a call that fails at once leaves
        stdout empty rather than holding a lone ``[``.
        """
        count = 0
        opened = False
        for page in pages:
            if not opened:
                self.stdout.write("[")
                opened = True
            for item in page:
                text = json.dumps(item, indent=self._indent, ensure_ascii=False)
                text = text.replace("\n", "\n  ") if self._indent else text
                self.stdout.write(("," if count else "") + "\n  " + text)
                count += 1
            self.stdout.flush()
        self.stdout.write(("\n]\n" if count else "]\n") if opened else "[]\n")
        self.stdout.flush()
        return count

    def jsonl_stream(self, pages: Iterable[Sequence[Any]]) -> int:
        """One compact JSON object per line, each page written as soon as it arrives."""
        count = 0
        for page in pages:
            for item in page:
                self.stdout.write(
                    json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"
                )
                count += 1
            self.stdout.flush()
        return count

    def lines(self, pages: Iterable[Iterable[str]]) -> int:
        count = 0
        for page in pages:
            for line in page:
                self.stdout.write(line + "\n")
                count += 1
            self.stdout.flush()
        return count

    def table(self, columns: Sequence[Column], pages: Iterable[Sequence[JSONObject]]) -> int:
        """A table on a terminal; one tab-separated record per line in a pipe, streamed."""
        if not self.human:
            return self.lines(
                ("\t".join(inert(col.value(obj, False)) for col in columns) for obj in page)
                for page in pages
            )
        from rich import box
        from rich.table import Table
        from rich.text import Text

        table = Table(box=box.SIMPLE_HEAD, highlight=False, pad_edge=False)
        for col in columns:
            table.add_column(col.heading, no_wrap=col.no_wrap, overflow="fold")
        count = 0
        for page in pages:
            for obj in page:
                cells = []
                for col in columns:
                    text = inert(col.value(obj, True))
                    style = STATE_STYLES.get(text, "") if col.style == "state" else col.style or ""
                    cells.append(Text(text, style=style))
                table.add_row(*cells)
                count += 1
        if count:
            self.console().print(table)
        return count

    def details(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        """Key/value view of one object: a panel on a terminal, ``key<TAB>value`` lines piped."""
        if not self.human:
            for key, value in rows:
                self.stdout.write(f"{key}\t{inert(value)}\n")
            self.stdout.flush()
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

    def redact(self, text: str) -> str:
        return text.replace(self.secret, "***") if self.secret else text

    def _paint(self, text: str, code: str) -> str:
        if self.stderr_tty and not self.no_color:
            return f"\x1b[{code}m{text}\x1b[0m"
        return text

    def info(self, text: str) -> None:
        """A message for the person running the command; never on stdout, silent under --json."""
        if not self.json_mode:
            self.stderr.write(self.redact(text) + "\n")
            self.stderr.flush()

    def success(self, text: str) -> None:
        """A done message; a green tick in front of it on a terminal."""
        self.info(f"{self._paint('✓', '32')} {text}" if self.stderr_tty else text)

    def warn(self, text: str) -> None:
        self.stderr.write(self._paint("warning:", "33") + " " + inert(self.redact(text)) + "\n")
        self.stderr.flush()

    def error(self, err: CliError) -> None:
        if self.json_mode:
            self.stderr.write(self.redact(json.dumps(err.to_json(), ensure_ascii=False)) + "\n")
        else:
            line = self._paint("error:", "1;31") + " " + inert(self.redact(err.message))
            if err.hint:
                line += "; " + inert(self.redact(err.hint))
            self.stderr.write(line + "\n")
        self.stderr.flush()

    def debug(self, text: str) -> None:
        self.stderr.write(self._paint(inert(self.redact(text)), "2") + "\n")
        self.stderr.flush()

    @contextmanager
    def progress(self, text: str) -> Iterator[Callable[[str], None]]:
        """A spinner on stderr while waiting, when stderr is a terminal; yields ``update(text)``.

        One at a time: progress asked for while another shows (a bulk action's workers) is silent.
        """
        if not self.stderr_tty or self._progress_shown:
            yield lambda _text: None
            return
        from rich.console import Console
        from rich.text import Text

        console = Console(file=self.stderr, force_terminal=True, no_color=self.no_color)
        self._progress_shown = True
        try:
            with console.status(Text(inert(text))) as status:
                yield lambda new: status.update(Text(inert(new)))
        finally:
            self._progress_shown = False

    def confirm(self, question: str) -> bool:
        """Ask on the terminal; the caller checks :meth:`can_prompt` first."""
        self.stderr.write(question + " [y/N]: ")
        self.stderr.flush()
        answer = sys.stdin.readline()
        return answer.strip().lower() in ("y", "yes")

    def can_prompt(self, environ_no_input: bool) -> bool:
        return self.stdin_tty and self.stderr_tty and not environ_no_input
