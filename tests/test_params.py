"""Parsers of user input: every one rejects bad input with a usage error (exit 2) before a request."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daytona_cli.errors import Category, CliError
from daytona_cli.params import (
    LISTABLE_STATES,
    check_choice,
    check_identifier,
    check_image,
    check_states,
    parse_pairs,
)


def test_pairs_keep_equals_signs_and_empty_values() -> None:
    assert parse_pairs(["a=1", "b=x=y", "c="], "label", "--label") == {
        "a": "1",
        "b": "x=y",
        "c": "",
    }


@pytest.mark.parametrize("bad", ["novalue", "=v", " =v"])
def test_pairs_without_a_key_are_usage_errors(bad: str) -> None:
    with pytest.raises(CliError) as caught:
        parse_pairs([bad], "label", "--label")
    assert caught.value.category is Category.USAGE
    assert "KEY=VALUE" in caught.value.message


@given(st.text().filter(lambda key: "=" not in key), st.text())
def test_any_printable_pair_round_trips(key: str, value: str) -> None:
    raw = f"{key}={value}"
    if key.strip() and key.isprintable() and value.isprintable():
        assert parse_pairs([raw], "label", "--label") == {key.strip(): value}
    else:
        with pytest.raises(CliError):
            parse_pairs([raw], "label", "--label")


def test_states_are_checked_against_the_api_states_and_destroyed_is_not_listable() -> None:
    assert check_states(["Started", "stopped"]) == ["started", "stopped"]
    assert "destroyed" not in LISTABLE_STATES
    with pytest.raises(CliError) as caught:
        check_states(["destroyed"])
    assert "valid states" in (caught.value.hint or "")


def test_choices_are_case_insensitive_and_return_the_api_spelling() -> None:
    assert check_choice("memorygib", ("name", "memoryGib"), "--sort") == "memoryGib"
    with pytest.raises(CliError):
        check_choice("size", ("name",), "--sort")


@pytest.mark.parametrize("bad", ["", "   ", "a\x00b", "x\ny", "n" * 256])
def test_obviously_invalid_identifiers_are_rejected(bad: str) -> None:
    with pytest.raises(CliError) as caught:
        check_identifier(bad)
    assert caught.value.category is Category.USAGE


@given(st.text(min_size=1, max_size=255).filter(lambda s: s.strip() and s.isprintable()))
def test_any_printable_identifier_is_accepted_as_is(value: str) -> None:
    assert check_identifier(value) == value


@pytest.mark.parametrize("bad", ["", "python:3.12\nRUN curl evil", "a b", "x\x1b"])
def test_image_references_cannot_inject_dockerfile_lines(bad: str) -> None:
    with pytest.raises(CliError):
        check_image(bad)
    assert check_image("ghcr.io/org/img:1.2") == "ghcr.io/org/img:1.2"


def test_a_key_given_twice_with_two_values_is_a_usage_error() -> None:
    from daytona_cli.params import parse_pairs

    assert parse_pairs(["team=a", "team=a"], "label", "--label") == {"team": "a"}
    try:
        parse_pairs(["team=a", "team=b"], "label", "--label")
    except CliError as err:
        assert err.category is Category.USAGE
        assert err.message == "--label team is given twice, as 'a' and as 'b'"
    else:
        raise AssertionError("no usage error")


def test_a_zero_duration_says_it_must_be_more_than_zero() -> None:
    from daytona_cli.params import parse_duration

    try:
        parse_duration("0m", "--older-than")
    except CliError as err:
        assert err.message == "--older-than must be more than zero; got '0m'"
    else:
        raise AssertionError("no usage error")
