"""The framing inside exec's log stream, however the messages are cut: the stdout/stderr
prefixes (NOTES.md, Sessions) and the end markers that carry the exit code (exec_end.py)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from daytona_cli.client.stream import STDERR, STDOUT, Demux
from daytona_cli.commands.sandbox.exec_end import EndMarkers

OUT, ERR = b"\x01\x01\x01", b"\x02\x02\x02"


def cut(data: bytes, points: list[int]) -> list[bytes]:
    edges = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def joined(pieces: list[tuple[int, bytes]]) -> dict[int, bytes]:
    found = {STDOUT: b"", STDERR: b""}
    for target, data in pieces:
        found[target] += data
    return found


def demux_all(chunks: list[bytes]) -> list[tuple[int, bytes]]:
    demux = Demux()
    pieces = [piece for chunk in chunks for piece in demux.feed(chunk)]
    return pieces + demux.flush()


# Payloads the format can carry: no three equal marker bytes in a row, and no marker byte at the
# end, where it would run into the next prefix (the daemon's chunks end with a newline anyway).
payload = st.binary(max_size=40).filter(
    lambda b: (
        b"\x01\x01\x01" not in b and b"\x02\x02\x02" not in b and not b.endswith((b"\x01", b"\x02"))
    )
)


@given(
    st.lists(st.tuples(st.sampled_from([STDOUT, STDERR]), payload), max_size=8),
    st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_the_log_splits_back_into_stdout_and_stderr_wherever_it_is_cut(
    writes: list[tuple[int, bytes]], points: list[int]
) -> None:
    raw = b"".join((OUT if target == STDOUT else ERR) + data for target, data in writes)
    expected = joined(writes)
    assert joined(demux_all(cut(raw, points))) == expected
    assert joined(demux_all([bytes([b]) for b in raw])) == expected  # every prefix split


def test_order_is_kept_and_marker_bytes_that_are_not_a_prefix_are_data() -> None:
    raw = OUT + b"a\x01\x01b" + ERR + b"c\x02" + OUT + b"d\x01"
    pieces = demux_all([raw[:5], raw[5:9], raw[9:]])
    merged = [(t, d) for t, d in pieces if d]
    assert b"".join(d for _, d in merged) == b"a\x01\x01bc\x02d\x01"
    assert joined(merged) == {STDOUT: b"a\x01\x01bd\x01", STDERR: b"c\x02"}


def test_bytes_before_any_prefix_are_stdout() -> None:
    assert demux_all([b"early", ERR + b"late"]) == [(STDOUT, b"early"), (STDERR, b"late")]


def run_markers(markers: EndMarkers, out: bytes, err: bytes, points: list[int]) -> tuple:
    passed: list[tuple[int, bytes]] = []
    for target, data in ((STDOUT, out), (STDERR, err)):
        for chunk in cut(data, points):
            passed += markers.feed([(target, chunk)])
    return joined(passed), markers.exit_code


@given(payload, payload, st.integers(0, 255), st.lists(st.integers(0, 200), max_size=10))
def test_the_end_markers_are_taken_out_and_carry_the_exit_code(
    out: bytes, err: bytes, code: int, points: list[int]
) -> None:
    markers = EndMarkers()
    token = markers.token
    found, exit_code = run_markers(
        markers, out + token + f" {code}\n".encode() + b"ignored", err + token + b"\n", points
    )
    assert found == {STDOUT: out, STDERR: err}
    assert exit_code == code


def test_no_exit_code_until_both_markers_and_the_whole_code_are_in() -> None:
    markers = EndMarkers()
    token = markers.token
    assert markers.feed([(STDOUT, b"x" + token + b" 4")]) == [(STDOUT, b"x")]
    assert markers.exit_code is None  # the line is not complete yet
    markers.feed([(STDOUT, b"2\n")])
    assert markers.exit_code is None  # stderr's marker has not arrived
    markers.feed([(STDERR, token[:5]), (STDERR, token[5:] + b"\n")])
    assert markers.exit_code == 42


def test_a_held_back_start_of_a_marker_that_never_completes_is_output_after_all() -> None:
    markers = EndMarkers()
    start = markers.token[:7]
    assert markers.feed([(STDOUT, b"text " + start)]) == [(STDOUT, b"text ")]
    assert markers.flush() == [(STDOUT, start)]


def test_the_marked_command_keeps_the_users_status_for_the_shell() -> None:
    line = EndMarkers().command("{ false\n} < /dev/null")
    assert line.startswith("{ false\n} < /dev/null; __daytona_cli_status=$?\n")
    assert line.endswith('(exit "$__daytona_cli_status")')
