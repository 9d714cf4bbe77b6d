"""``daytona-cli completion SHELL``: print the shell completion script."""

from __future__ import annotations

from typing import Annotated

import typer

from daytona_cli.completion import SHELLS, choices, script
from daytona_cli.context import AppContext
from daytona_cli.errors import usage


def completion(
    ctx: typer.Context,
    shell: Annotated[
        str,
        typer.Argument(
            metavar="bash|zsh|fish",
            help="The shell to print the script for.",
            autocompletion=choices(SHELLS),
        ),
    ],
) -> None:
    """Print the completion script for bash, zsh or fish.

    The README says where each shell looks for it.

    \b
    Example:
      daytona-cli completion fish > ~/.config/fish/completions/daytona-cli.fish
    """
    chosen = shell.strip().lower()
    if chosen not in SHELLS:
        raise usage(f"unsupported shell {shell!r}: choose one of {', '.join(SHELLS)}")
    AppContext.of(ctx).output.write(script(chosen))
