"""Options and arguments shared by commands, declared once (Typer ``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated

import typer

from daytona_cli.bulk import Selector
from daytona_cli.commands.base import at_least, seconds
from daytona_cli.completion import choices
from daytona_cli.completion_names import sandbox_names
from daytona_cli.params import check_states, parse_duration, parse_pairs
from daytona_cli.states import LISTABLE_STATES

DEFAULT_WAIT_TIMEOUT = 180.0
DEFAULT_RESTORE_TIMEOUT = 600.0
"""Restoring an archived sandbox brings its filesystem back from object storage: slower."""

JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print the API's objects as JSON on stdout, and nothing else."),
]
JsonlOption = Annotated[
    bool,
    typer.Option("--jsonl", help="Print one JSON object per line, page by page."),
]
FieldsOption = Annotated[
    str | None,
    typer.Option(
        "--fields",
        metavar="A,B,C",
        help="Only these API fields: the columns shown, or the keys under --json.",
    ),
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        callback=seconds(0),
        show_default=False,
        help="Give up waiting after SECONDS (exit 124); default 180, 0 waits for ever.",
    ),
]
StartTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        callback=seconds(0),
        show_default=False,
        help="Give up waiting after SECONDS (exit 124); default 180, or 600 to restore an "
        "archived sandbox; 0 waits for ever.",
    ),
]
NoWaitOption = Annotated[
    bool, typer.Option("--no-wait", help="Return once the API accepted the request.")
]
LabelOption = Annotated[
    list[str] | None,
    typer.Option("--label", "-l", metavar="KEY=VALUE", help="Label; repeat for several."),
]
TargetArgument = Annotated[
    str,
    typer.Argument(metavar="NAME_OR_ID", help="Sandbox name or ID.", autocompletion=sandbox_names),
]
TargetsArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="NAME_OR_ID...", help="Sandbox names or IDs.", autocompletion=sandbox_names
    ),
]
OptionalTargetsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[NAME_OR_ID]...", help="Sandbox names or IDs.", autocompletion=sandbox_names
    ),
]

# --- selecting sandboxes for a bulk action -----------------------------------------------------

SelectLabel = Annotated[
    list[str] | None,
    typer.Option(
        "--label", "-l", metavar="KEY=VALUE", help="Select sandboxes with this label; repeatable."
    ),
]
SelectState = Annotated[
    list[str] | None,
    typer.Option(
        "--state",
        metavar="STATE",
        help="Select sandboxes in this state; repeatable.",
        autocompletion=choices(LISTABLE_STATES),
    ),
]
SelectName = Annotated[
    str | None, typer.Option("--name", metavar="PREFIX", help="Select by name prefix.")
]
SelectOlder = Annotated[
    str | None,
    typer.Option(
        "--older-than", metavar="DURATION", help="Select sandboxes created over DURATION ago (7d)."
    ),
]
SelectIdle = Annotated[
    str | None,
    typer.Option(
        "--idle-for", metavar="DURATION", help="Select sandboxes idle for over DURATION (2h)."
    ),
]
SelectAll = Annotated[
    bool, typer.Option("--all", help="Select every sandbox (the only way to act on all).")
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be done and change nothing.")
]
MaxOption = Annotated[
    int | None,
    typer.Option(
        "--max",
        metavar="N",
        callback=at_least(0),
        help="Refuse if the selectors match more than N sandboxes.",
    ),
]
ParallelOption = Annotated[
    int,
    typer.Option(
        "--parallel",
        metavar="N",
        callback=at_least(1, 64),
        show_default=False,
        help="At most N requests at once (1 to 64, default 8).",
    ),
]


def selector(
    label: list[str] | None,
    state: list[str] | None,
    name: str | None,
    older_than: str | None,
    idle_for: str | None,
    everything: bool,
) -> Selector:
    """The selector options, checked (usage errors, exit 2) before any request."""
    return Selector(
        labels=parse_pairs(label or [], "label", "--label"),
        states=check_states(state or []),
        name=name,
        older_than=parse_duration(older_than, "--older-than") if older_than is not None else None,
        idle_for=parse_duration(idle_for, "--idle-for") if idle_for is not None else None,
        everything=everything,
    )
