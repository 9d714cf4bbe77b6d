"""Options and small helpers shared by the command groups."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from daytona_cli.output import Output

JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print the API's objects as JSON on stdout, and nothing else."),
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=0,
        metavar="SECONDS",
        help="Give up waiting after SECONDS (exit 124); 0 waits for ever.",
    ),
]


def no_results(out: Output, what: str) -> None:
    """An empty list is not an error: say so on stderr (stdout stays empty for scripts)."""
    out.info(f"No {what} found.")


def state_of(obj: dict[str, Any]) -> str:
    return str(obj.get("state") or "unknown")
