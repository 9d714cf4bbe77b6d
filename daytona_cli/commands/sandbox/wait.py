"""``daytona-cli sandbox wait``: until every sandbox is in a state (already there is success)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import typer

from daytona_cli.commands.options import (
    DEFAULT_WAIT_TIMEOUT,
    JsonOption,
    TargetsArgument,
    TimeoutOption,
)
from daytona_cli.commands.sandbox.common import wait_until
from daytona_cli.completion import choices
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError
from daytona_cli.params import check_choice, check_identifier
from daytona_cli.render.sandbox import describe
from daytona_cli.types import JSONObject

WAIT_GOALS = ("started", "stopped", "paused", "archived", "deleted")


@dataclass
class WaitOptions:
    targets: Sequence[str]
    goal: str  # one of WAIT_GOALS
    timeout: float = DEFAULT_WAIT_TIMEOUT
    json_output: bool = False


def run_wait(app: AppContext, opts: WaitOptions) -> None:
    """Wait for each target in turn, all under one deadline; ``deleted`` accepts a 404."""
    client = app.client()
    clock = app.clock
    deadline = clock.monotonic() + opts.timeout if opts.timeout else None
    results: list[JSONObject] = []
    for target in opts.targets:
        remaining = 0.0 if deadline is None else max(0.001, deadline - clock.monotonic())
        try:
            first = client.get_sandbox(target)
        except CliError as err:
            if opts.goal == "deleted" and err.category is Category.NOT_FOUND:
                app.output.success(f"Sandbox {target} is deleted")
                continue
            raise
        goals = {"destroyed"} if opts.goal == "deleted" else {opts.goal}
        final = wait_until(app, first, goals, remaining, opts.goal,
                           gone_ok=opts.goal == "deleted", budget=opts.timeout)  # fmt: skip
        results.append(final)
        app.output.success(f"Sandbox {describe(first)} is {opts.goal}")
    if opts.json_output:
        app.output.json(results)


def wait(
    ctx: typer.Context,
    targets: TargetsArgument,
    goal: Annotated[
        str,
        typer.Option(
            "--for",
            metavar="STATE",
            help="started, stopped, paused, archived or deleted.",
            autocompletion=choices(WAIT_GOALS),
        ),
    ],
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
    json_output: JsonOption = False,
) -> None:
    """Wait until every sandbox is in a state.

    Already being there is success. Fails early (exit 5) if one lands in error or
    build_failed; exit 124 on timeout.

    \b
    Example:
      daytona-cli sandbox wait demo --for started --timeout 300
    """
    app = AppContext.of(ctx, json_mode=json_output)
    chosen = check_choice(goal, WAIT_GOALS, "--for") or goal
    named = list(dict.fromkeys(check_identifier(target) for target in targets))  # each once
    run_wait(app, WaitOptions(named, chosen, timeout, json_output))
