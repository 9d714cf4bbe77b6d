"""Running one command for ``execute_command``: the one function that decides how.

Today this is the toolbox's one-shot route (``ExecuteCommand`` in toolbox.yaml, or the legacy
route; NOTES.md, Running commands), whose answer merges stdout and stderr. When the session
runner of issue 11 (exec through a toolbox session, stdout and stderr apart) is on main,
:func:`run_command` switches to it; its callers and its result's shape stay as they are.
"""

from __future__ import annotations

from typing import TypedDict

from daytona_cli.commands.sandbox.exec import execute_body, timed_out
from daytona_cli.context import AppContext
from daytona_cli.errors import CliError
from daytona_cli.types import JSONObject


class CommandResult(TypedDict):
    """What a command did: its exit code (-1: it could not be started, or a signal killed it)
    and its output."""

    exitCode: int
    stdout: str
    stderr: str


def run_command(
    app: AppContext, sandbox: JSONObject, command: str, *, cwd: str | None, timeout: int | None
) -> CommandResult:
    """Run ``command`` (one shell command line) once in the started ``sandbox``; never retried.

    ``cwd`` is the working directory in the sandbox; ``timeout`` kills the command after that
    many whole seconds (None or 0: only the API's own limit, about 6 minutes).

    Today: one ``POST .../process/execute`` (``client.toolbox.execute``), which answers
    ``{"exitCode", "result"}`` with stdout and stderr merged in ``result``: ``stdout`` holds
    both and ``stderr`` is empty. TO SWITCH when issue 11 lands: run the command through the
    toolbox session runner instead and fill ``stdout`` and ``stderr`` apart; nothing else in
    the MCP server changes.

    Errors: a timeout is a :class:`CliError` of category ``timeout`` (the API discards the
    output); a lost answer has reason ``EXEC_UNKNOWN`` (the command may have run); the rest as
    the client raises them.
    """
    try:
        answer = app.client().toolbox.execute(sandbox, execute_body(command, cwd, timeout))
    except CliError as err:
        if err.status == 408:
            raise timed_out(err, timeout, option="timeout") from None
        raise
    return {"exitCode": int(answer["exitCode"]), "stdout": str(answer["result"]), "stderr": ""}
