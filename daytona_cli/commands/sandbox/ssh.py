"""``daytona-cli sandbox ssh``: a short-lived SSH token, the system ``ssh``, the token revoked.

The API hands out a token and ``ssh -p <port> <token>@<host>`` (NOTES.md, "SSH, previews, pause
and archive"); the token is the user name and a secret. It is revoked as soon as ``ssh`` exits,
however it exits: Daytona's own CLI leaves a 24-hour token behind.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from daytona_cli.commands.base import at_least
from daytona_cli.commands.options import TargetArgument
from daytona_cli.commands.sandbox.common import require_started
from daytona_cli.commands.sandbox.exec import command_line
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError, Reason, usage
from daytona_cli.params import check_identifier
from daytona_cli.render.text import iso_utc, relative_time
from daytona_cli.types import JSONObject

DEFAULT_EXPIRES_MINUTES = 60
LEFT_IF_FORCED = "the SSH token may not be revoked (it stays valid until it expires)"


@dataclass
class SshOptions:
    target: str
    command: str | None = None
    """One remote command line (quoted as ``exec`` quotes it); None for a login shell."""
    expires: int = DEFAULT_EXPIRES_MINUTES
    start: bool = False
    print_only: bool = False
    json_output: bool = False


def find_ssh(environ: Mapping[str, str]) -> str:
    """The system ``ssh`` on the run's ``PATH`` (exit 1 with what to install when there is none)."""
    found = shutil.which("ssh", path=environ.get("PATH", os.defpath))
    if found is None:
        raise CliError(
            Category.OTHER,
            "no ssh command found on PATH",
            hint="install an OpenSSH client (openssh-client on Debian and Ubuntu, openssh "
            "elsewhere), or use --print to get the command",
        )
    return found


def ssh_arguments(ssh_command: str, command: str | None) -> list[str]:
    """The arguments after ``ssh`` for the API's ``sshCommand`` and a remote command line.

    Only ``ssh [-p PORT] USER@HOST`` is accepted (parsed with shlex, never given to a shell), so
    an answer cannot slip options such as ``-o ProxyCommand=...`` to the local ssh. The remote
    command goes after ``--`` and the destination, as one argument, so ssh never reads it as
    options. A malformed answer is exit 1; its message leaves the command (and token) out.
    """
    try:
        words = shlex.split(ssh_command)
    except ValueError:
        words = []
    options, destination = [], ""
    if len(words) == 4 and words[:2] == ["ssh", "-p"] and words[2].isdigit():
        options, destination = words[1:3], words[3]
    elif len(words) == 2 and words[0] == "ssh":
        destination = words[1]
    user, at, host = destination.partition("@")
    if not (user and at and host) or destination.startswith("-"):
        raise CliError(
            Category.OTHER,
            "unexpected answer from the API for POST ssh-access: sshCommand is not of the form "
            "`ssh -p PORT TOKEN@HOST`",
            reason=Reason.MALFORMED,
        )
    if command is None:
        return [*options, destination]
    return [*options, "--", destination, command]


def run_ssh(app: AppContext, opts: SshOptions) -> int:
    """Connect and return ssh's exit code (a signal N becomes 128+N); the token is revoked
    when ssh exits, also after a failure or Ctrl-C. ``--print`` and ``--json`` hand the token
    to the user instead: it then stays valid until it expires."""
    ssh = None if opts.print_only or opts.json_output else find_ssh(app.runtime.environ)
    sandbox = require_started(app, opts.target, start=opts.start)
    ident = str(sandbox["id"])
    access = app.client().create_ssh_access(ident, opts.expires)
    app.output.hide(access["token"])
    handed_over = False
    try:
        if opts.json_output:
            handed_over = True
            app.output.json(access)
            # stderr, so that the JSON stays machine output: the one warning it must carry.
            expires = access.get("expiresAt")
            app.output.warn(
                f"this JSON holds the SSH token (token, sshCommand), which stays valid until "
                f"{iso_utc(expires)} ({relative_time(expires, app.output.now())}) and is not "
                "revoked: anyone who has it can log in to the sandbox until then"
            )
            return 0
        arguments = ssh_arguments(access["sshCommand"], opts.command)
        if opts.print_only or ssh is None:
            handed_over = True
            _print_command(app, access, arguments)
            return 0
        return _run(app, [ssh, *arguments])
    finally:
        if not handed_over:
            _revoke(app, ident, access)


def _print_command(app: AppContext, access: JSONObject, arguments: list[str]) -> None:
    expires = access.get("expiresAt")
    app.output.write(shlex.join(["ssh", *arguments]) + "\n")
    app.output.info(
        f"The token in this command stays valid until {iso_utc(expires)} "
        f"({relative_time(expires, app.output.now())}) and is not revoked: "
        "anyone who has the command can log in to the sandbox until then."
    )


def _run(app: AppContext, argv: list[str]) -> int:
    """Run ssh on the terminal and wait for it. Ctrl-C goes to ssh (it is in the terminal's
    process group); the CLI only notes it, so that it outlives ssh and revokes the token.
    SIGTERM (``kill``, ``docker stop``, ``timeout``) may reach the CLI alone: it is passed on to
    ssh, and once ssh has exited the run ends as terminated (exit 143), the token revoked."""
    import signal
    import subprocess
    import threading

    from daytona_cli.interrupts import tidying

    streams = app.runtime.streams
    streams.stdout.flush()
    streams.stderr.flush()
    main = threading.current_thread() is threading.main_thread()
    process: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: Any) -> None:
        app.terminated = True
        if process is None:
            raise KeyboardInterrupt  # ssh is not running yet: end as any run does
        process.send_signal(signum)  # a no-op once ssh has exited

    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    if main:
        # A handler, not SIG_IGN: ignored signals stay ignored in the child, handled ones not.
        signal.signal(signal.SIGINT, _outlive)
        signal.signal(signal.SIGTERM, forward)
    try:
        try:
            process = subprocess.Popen(argv, env=dict(app.runtime.environ))
        except OSError as exc:
            raise CliError(Category.OTHER, f"cannot run {argv[0]}: {exc.strerror or exc}") from None
        code = process.wait()
    finally:
        if main:
            for number, handler in previous.items():
                signal.signal(number, handler if handler is not None else signal.SIG_DFL)
    if app.terminated:
        # `timeout` sends SIGTERM again, to the process group: it must not skip the revoke.
        tidying(LEFT_IF_FORCED)
        raise CliError(Category.INTERRUPTED, "terminated; ssh got the signal too and has exited")
    return 128 - code if code < 0 else code


def _outlive(_signum: int, _frame: Any) -> None:
    """SIGINT while ssh runs: ssh got it too and decides; the CLI carries on to revoke."""


def _revoke(app: AppContext, ident: str, access: JSONObject) -> None:
    """``revokeSshAccess`` of this one token; a failure is a warning (the token then expires
    on its own), never the exit code: that stays ssh's."""
    try:
        app.client().revoke_ssh_access(ident, access["token"])
    except (CliError, KeyboardInterrupt) as err:
        why = err.message if isinstance(err, CliError) else "interrupted"
        app.output.warn(
            f"could not revoke the SSH token ({why}); it stays valid until "
            f"{iso_utc(access.get('expiresAt'))}"
        )


def ssh(
    ctx: typer.Context,
    target: TargetArgument,
    command: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[-- COMMAND [ARG...]]",
            help="Run this instead of a login shell: one argument is a shell command line "
            "as-is; several are quoted and joined.",
        ),
    ] = None,
    expires: Annotated[
        int,
        typer.Option(
            "--expires",
            metavar="MIN",
            callback=at_least(1),
            show_default=False,
            help="Make the SSH token valid for MIN minutes (default 60).",
        ),
    ] = DEFAULT_EXPIRES_MINUTES,
    start_first: Annotated[
        bool, typer.Option("--start", help="Start the sandbox first if it is not started.")
    ] = False,
    print_only: Annotated[
        bool,
        typer.Option(
            "--print", help="Print the ssh command instead of running it; the token stays valid."
        ),
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the API's SSH access object (token included) instead of connecting; "
            "the token stays valid (stderr warns of it).",
        ),
    ] = False,
) -> None:
    """Open an SSH session to a sandbox with the system ssh.

    The SSH token is made for this session and revoked as soon as ssh exits, also after
    Ctrl-C or a failure. SIGTERM is passed on to ssh. Exit: ssh's own code (the remote
    command's; 255 when ssh itself fails); 143 when SIGTERM ended it; 1 when there is no ssh
    on PATH; the usual codes when nothing ran.

    \b
    Examples:
      daytona-cli sandbox ssh demo
      daytona-cli sandbox ssh demo -- 'cd /app && make test'
    """
    app = AppContext.of(ctx, json_mode=json_output)
    if print_only and json_output:
        raise usage(
            "--print and --json cannot be used together",
            hint="--print gives the ssh command, --json the access object: choose one",
        )
    opts = SshOptions(
        target=check_identifier(target),
        command=command_line(command) if command else None,
        expires=expires,
        start=start_first,
        print_only=print_only,
        json_output=json_output,
    )
    raise typer.Exit(run_ssh(app, opts))
