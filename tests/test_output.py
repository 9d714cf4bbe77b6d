"""The output module on its own: inert server strings, times, and the three stdout modes."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from daytona_cli.errors import Category, CliError
from daytona_cli.output import Output
from daytona_cli.render.columns import field_column, time_column
from daytona_cli.render.text import inert, iso_utc, relative_time
from daytona_cli.streams import Streams

NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)


def make_output(*, tty: bool, json_mode: bool = False, no_color: bool = False) -> Output:
    streams = Streams(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        stdin=io.StringIO(),
        stdout_tty=tty,
        stderr_tty=tty,
        stdin_tty=tty,
        width=100,
        color=not no_color,
    )
    return Output(streams, json_mode=json_mode)


def text_of(stream: object) -> str:
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def test_inert_escapes_terminal_control_sequences_and_bidi_overrides() -> None:
    assert inert("a\x1b[31mred\x1b[0m") == "a\\x1b[31mred\\x1b[0m"
    assert inert("evil\rover\nline\ttab") == "evil\\x0dover\\x0aline\\x09tab"
    assert inert("abc\u202edcba") == "abc\\u202edcba"
    assert inert("naïve 名前 ok") == "naïve 名前 ok"


@given(st.text())
def test_inert_output_never_contains_a_control_character(value: str) -> None:
    assert all(ch.isprintable() or ch == " " for ch in inert(value))


def test_relative_time_reads_like_a_person_would_say_it() -> None:
    assert relative_time("2026-11-29T11:59:40Z", NOW) == "just now"
    assert relative_time("2026-11-29T11:57:00Z", NOW) == "3 minutes ago"
    assert relative_time("2026-11-29T10:00:00Z", NOW) == "2 hours ago"
    assert relative_time("2026-11-27T12:00:00Z", NOW) == "2 days ago"
    assert relative_time("2026-11-29T12:05:00Z", NOW) == "in 5 minutes"
    assert relative_time("not a time", NOW) == "not a time"


def test_iso_utc_normalises_offsets_to_utc_with_z() -> None:
    assert iso_utc("2024-10-01T14:00:00+02:00") == "2024-10-01T12:00:00Z"
    assert iso_utc("2024-10-01T12:00:00.123Z") == "2024-10-01T12:00:00.123Z"
    assert iso_utc(None) == ""


def test_piped_table_is_tab_separated_without_headers_colour_or_truncation() -> None:
    out = make_output(tty=False)
    long_name = "n" * 300
    columns = [field_column("NAME", "name"), time_column("WHEN", "at")]
    count = out.table(columns, [[{"name": long_name, "at": "2024-10-01T12:00:00Z"}]])
    assert count == 1
    assert text_of(out.streams.stdout) == f"{long_name}\t2024-10-01T12:00:00Z\n"


def test_piped_table_escapes_tabs_and_newlines_so_each_record_stays_one_line() -> None:
    out = make_output(tty=False)
    out.table([field_column("NAME", "name")], [[{"name": "a\tb\nc"}]])
    assert text_of(out.streams.stdout) == "a\\x09b\\x0ac\n"


def test_terminal_table_shows_headers_and_does_not_obey_markup_or_escapes() -> None:
    out = make_output(tty=True)
    out.table([field_column("NAME", "name")], [[{"name": "[bold red]x[/] \x1b[2J"}]])
    shown = text_of(out.streams.stdout)
    assert "NAME" in shown
    assert "[bold red]x[/]" in shown
    assert "\x1b[2J" not in shown
    assert "\\x1b[2J" in shown


def test_no_color_keeps_terminal_tables_free_of_colour_codes() -> None:
    out = make_output(tty=True, no_color=True)
    out.table([field_column("STATE", "state", style="state")], [[{"state": "started"}]])
    assert "\x1b[3" not in text_of(out.streams.stdout)


def test_json_stream_writes_a_valid_array_page_by_page() -> None:
    out = make_output(tty=False, json_mode=True)
    count = out.json_stream(iter([[{"a": 1}, {"b": [1, 2]}], [], [{"c": "é"}]]))
    assert count == 3
    assert json.loads(text_of(out.streams.stdout)) == [{"a": 1}, {"b": [1, 2]}, {"c": "é"}]


def test_json_stream_of_nothing_is_an_empty_array() -> None:
    out = make_output(tty=False, json_mode=True)
    assert out.json_stream(iter([[]])) == 0
    assert json.loads(text_of(out.streams.stdout)) == []


def test_errors_are_one_line_with_a_hint_or_json_under_json_mode() -> None:
    err = CliError(Category.NOT_FOUND, "Sandbox x not found", hint="list them", status=404)
    plain = make_output(tty=False)
    plain.error(err)
    assert text_of(plain.streams.stderr) == "error: Sandbox x not found; list them\n"
    as_json = make_output(tty=False, json_mode=True)
    as_json.error(err)
    assert json.loads(text_of(as_json.streams.stderr)) == {
        "error": {
            "code": "not_found",
            "message": "Sandbox x not found",
            "status": 404,
            "hint": "list them",
        }
    }
    assert text_of(as_json.streams.stdout) == ""


def test_info_messages_are_silent_under_json_and_never_on_stdout() -> None:
    out = make_output(tty=False)
    out.info("hello")
    assert text_of(out.streams.stderr) == "hello\n"
    assert text_of(out.streams.stdout) == ""
    quiet = make_output(tty=False, json_mode=True)
    quiet.info("hello")
    assert text_of(quiet.streams.stderr) == ""
