"""``daytona-cli sandbox ...``: one module per verb, registered here in the order help shows."""

from __future__ import annotations

import typer

from daytona_cli.commands.sandbox import create, delete, get, lifecycle, wait
from daytona_cli.commands.sandbox import exec as exec_module
from daytona_cli.commands.sandbox import list as list_module

app = typer.Typer(
    help="List, create, inspect, delete, start, stop and run commands in sandboxes.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.command("list")(list_module.list_sandboxes)
app.command("create")(create.create)
app.command("get")(get.get)
app.command("delete")(delete.delete)
app.command("start")(lifecycle.start)
app.command("stop")(lifecycle.stop)
app.command("wait")(wait.wait)
app.command("exec", cls=exec_module.ExecCommand)(exec_module.exec_)
