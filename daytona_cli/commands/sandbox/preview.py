"""``daytona-cli sandbox preview-url``: the URL of a sandbox's port, and how to reach it.

A private sandbox's preview URL wants the token in the ``X-Daytona-Preview-Token`` header of
every request; a signed URL carries its token in the host name and needs no header (NOTES.md,
"SSH, previews, pause and archive").
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import typer

from daytona_cli.commands.base import at_least
from daytona_cli.commands.options import TargetArgument
from daytona_cli.context import AppContext
from daytona_cli.errors import usage
from daytona_cli.params import check_identifier
from daytona_cli.render.sandbox import describe
from daytona_cli.render.text import duration, inert
from daytona_cli.times import iso_z
from daytona_cli.types import JSONObject

PREVIEW_TOKEN_HEADER = "X-Daytona-Preview-Token"  # noqa: S105 (a header name, not a secret)
SIGNED_DEFAULT_SECONDS = 60
"""How long a signed URL lasts when no expiry is asked for (``getSignedPortPreviewUrl``)."""
SIGNED_MAX_SECONDS = 86400
"""The longest a signed URL can last (24 hours): the API refuses more."""


@dataclass
class PreviewOptions:
    target: str
    port: int
    signed: bool = False
    expires: int | None = None
    """Seconds a signed URL is valid; None: the API's default."""
    json_output: bool = False


def run_preview(app: AppContext, opts: PreviewOptions) -> None:
    """Print the URL on stdout; on stderr how to use it (the header and its token for a private
    sandbox, the expiry of a signed URL). ``--json``: the API's object, nothing else."""
    client = app.client()
    sandbox = client.get_sandbox(opts.target)
    ident = str(sandbox["id"])
    if opts.signed:
        answer = client.signed_preview_url(ident, opts.port, opts.expires)
    else:
        answer = client.preview_url(ident, opts.port)
    out = app.output
    if sandbox.get("state") != "started":
        out.warn(
            f"sandbox {describe(sandbox)} is {sandbox.get('state')}: the URL answers once it "
            f"has started (`daytona-cli sandbox start {opts.target}`)"
        )
    if opts.json_output:
        out.json(answer)
        return
    url = inert(answer["url"])
    out.write(url + "\n")
    if opts.signed:
        seconds = opts.expires or SIGNED_DEFAULT_SECONDS
        until = iso_z(out.now() + timedelta(seconds=seconds))
        out.info(f"Signed URL, valid for {duration(seconds)} (until {until}); it needs no header.")
    elif not sandbox.get("public"):
        out.info(_private_note(url, answer))


def _private_note(url: str, answer: JSONObject) -> str:
    header = f"{PREVIEW_TOKEN_HEADER}: {inert(answer.get('token') or '')}"
    return (
        f"The sandbox is private: send its token in the {PREVIEW_TOKEN_HEADER} header, e.g.\n"
        f"  curl -H {shlex.quote(header)} {shlex.quote(url)}\n"
        "or use --signed for a URL that needs no header."
    )


def preview_url(
    ctx: typer.Context,
    target: TargetArgument,
    port: Annotated[
        int,
        typer.Option(
            "--port",
            metavar="N",
            callback=at_least(1, 65535),
            show_default=False,
            help="The port in the sandbox (1 to 65535).",
        ),
    ],
    signed: Annotated[
        bool,
        typer.Option("--signed", help="A URL with its token inside: it needs no header."),
    ] = False,
    expires: Annotated[
        int | None,
        typer.Option(
            "--expires",
            metavar="SECONDS",
            callback=at_least(1, SIGNED_MAX_SECONDS, beyond=" (24 hours, the API's limit)"),
            help="With --signed: the URL works for SECONDS, at most 86400 (the API's default "
            "is 60).",
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print the API's object (URL and token) as JSON, only."),
    ] = False,
) -> None:
    """Print the preview URL of a port of a sandbox.

    For a private sandbox, stderr shows the token and how to send it (the
    X-Daytona-Preview-Token header); --signed gives a URL that needs no header instead.

    \b
    Examples:
      daytona-cli sandbox preview-url demo --port 3000
      daytona-cli sandbox preview-url demo --port 8080 --signed --expires 3600
    """
    app = AppContext.of(ctx, json_mode=json_output)
    if expires is not None and not signed:
        raise usage("--expires applies to --signed URLs only")
    opts = PreviewOptions(check_identifier(target), port, signed, expires, json_output)
    run_preview(app, opts)
