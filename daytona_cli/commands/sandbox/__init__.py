"""``daytona-cli sandbox ...``: one module per verb, registered here in the order help shows."""

from __future__ import annotations

import typer

from daytona_cli.commands.base import (
    Command,
    TargetThenCommand,
    group_with_aliases,
    help_when_no_command,
)
from daytona_cli.commands.sandbox import cp, create, delete, get, lifecycle, wait
from daytona_cli.commands.sandbox import exec as exec_module
from daytona_cli.commands.sandbox import list as list_module
from daytona_cli.commands.sandbox import pause_archive as pause_module
from daytona_cli.commands.sandbox import preview as preview_module
from daytona_cli.commands.sandbox import ssh as ssh_module

ALIASES = {"ls": "list", "rm": "delete"}

app = typer.Typer(
    help="Manage sandboxes and run commands in them.",
    cls=group_with_aliases(ALIASES),
    rich_markup_mode=None,
)
app.callback(invoke_without_command=True)(help_when_no_command)
app.command("list", cls=Command)(list_module.list_sandboxes)
app.command("create", cls=Command)(create.create)
app.command("get", cls=Command)(get.get)
app.command("delete", cls=Command)(delete.delete)
app.command("start", cls=Command)(lifecycle.start)
app.command("stop", cls=Command)(lifecycle.stop)
app.command("pause", cls=Command)(pause_module.pause)
app.command("archive", cls=Command)(pause_module.archive)
app.command("wait", cls=Command)(wait.wait)
app.command("exec", cls=exec_module.ExecCommand)(exec_module.exec_)
app.command("cp", cls=cp.CpCommand)(cp.cp)
app.command("ssh", cls=TargetThenCommand)(ssh_module.ssh)
app.command("preview-url", cls=Command)(preview_module.preview_url)
