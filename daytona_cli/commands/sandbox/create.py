"""``daytona-cli sandbox create``: one sandbox (never two), waited for until it has started."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from daytona_cli.commands.base import at_least
from daytona_cli.commands.options import (
    DEFAULT_WAIT_TIMEOUT,
    JsonOption,
    LabelOption,
    NoWaitOption,
    TimeoutOption,
)
from daytona_cli.commands.sandbox.common import wait_until
from daytona_cli.commands.sandbox.create_body import CreateOptions, create_body
from daytona_cli.completion_names import snapshot_names
from daytona_cli.context import AppContext
from daytona_cli.errors import Category, CliError
from daytona_cli.params import check_output_flags
from daytona_cli.render.sandbox import describe, detail_rows
from daytona_cli.types import JSONObject


def run_create(app: AppContext, opts: CreateOptions) -> None:
    """``createSandbox``, then poll until ``started`` unless told not to wait.

    Under ``-q`` or ``--json`` the new sandbox's ID (or object) is printed even when the wait
    times out or is interrupted, so that a script can still delete what it made.
    """
    sandbox = submit(app, opts)
    if opts.wait:
        try:
            sandbox = wait_until(
                app, sandbox, {"started"}, opts.timeout, "started", offer_delete=True
            )
        except CliError as err:
            if opts.json_output or opts.quiet:
                _print(app, opts, sandbox)
            elif err.category not in (Category.TIMEOUT, Category.INTERRUPTED, Category.CONFLICT):
                # A failure of the wait itself (the network, say): the sandbox was made all the
                # same, so the error names it and how to follow up.
                ident = sandbox.get("id", "")
                err.hint = (
                    f"sandbox {describe(sandbox)} was created; check it with `daytona-cli "
                    f"sandbox get {ident}` or remove it with `daytona-cli sandbox delete "
                    f"{ident} --yes`"
                )
            raise
    _print(app, opts, sandbox)


def submit(app: AppContext, opts: CreateOptions) -> JSONObject:
    """``createSandbox`` with the body ``opts`` make (usage errors before any request) in the
    region asked for, else ``DAYTONA_TARGET``'s; returns the new sandbox without waiting."""
    body = create_body(opts, app.runtime.environ)
    region = opts.target or app.settings().target
    if region:
        body["target"] = region
    return app.client().create_sandbox(body)


def _print(app: AppContext, opts: CreateOptions, sandbox: JSONObject) -> None:
    out = app.output
    if opts.json_output:
        out.json(sandbox)
    elif opts.quiet:
        out.write(f"{sandbox.get('id', '')}\n")
    else:
        out.details(describe(sandbox), detail_rows(sandbox, out.view()))
        started = sandbox.get("state") == "started"
        out.success(
            f"Sandbox {describe(sandbox)} {'created and started' if started else 'created'}"
        )


def create(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Option("--name", metavar="NAME", help="Sandbox name (default: its ID).")
    ] = None,
    snapshot: Annotated[
        str | None,
        typer.Option(
            "--snapshot",
            metavar="NAME_OR_ID",
            help="Snapshot to start from.",
            autocompletion=snapshot_names,
        ),
    ] = None,
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            metavar="IMAGE",
            help="Build from this image instead of a snapshot; the only way to set resources.",
        ),
    ] = None,
    dockerfile: Annotated[
        Path | None,
        typer.Option(
            "--dockerfile",
            metavar="PATH",
            help="Build from this Dockerfile's content (no build context); sets resources too.",
        ),
    ] = None,
    cpu: Annotated[
        int | None,
        typer.Option(
            "--cpu",
            metavar="N",
            callback=at_least(1),
            help="CPU cores (with --image or --dockerfile).",
        ),
    ] = None,
    memory: Annotated[
        int | None,
        typer.Option(
            "--memory",
            metavar="GIB",
            callback=at_least(1),
            help="Memory in GiB (with --image or --dockerfile).",
        ),
    ] = None,
    disk: Annotated[
        int | None,
        typer.Option(
            "--disk",
            metavar="GIB",
            callback=at_least(1),
            help="Disk in GiB (with --image or --dockerfile).",
        ),
    ] = None,
    gpu: Annotated[
        int | None,
        typer.Option(
            "--gpu", metavar="N", callback=at_least(0), help="GPUs (with --image or --dockerfile)."
        ),
    ] = None,
    label: LabelOption = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", metavar="KEY=VALUE", help="Environment variable; repeatable."),
    ] = None,
    secret: Annotated[
        list[str] | None,
        typer.Option(
            "--secret",
            metavar="ENV=SECRET_NAME",
            help="Mount an organization secret as variable ENV; repeatable.",
        ),
    ] = None,
    volume: Annotated[
        list[str] | None,
        typer.Option(
            "--volume",
            metavar="VOLUME:/mount/path",
            help="Attach a volume (name or ID) at an absolute path; repeatable.",
        ),
    ] = None,
    auto_stop: Annotated[
        int | None,
        typer.Option(
            "--auto-stop",
            metavar="MIN",
            callback=at_least(0),
            help="Stop after MIN idle minutes; 0 never.",
        ),
    ] = None,
    auto_pause: Annotated[
        int | None,
        typer.Option(
            "--auto-pause",
            metavar="MIN",
            callback=at_least(0),
            help="Pause after MIN idle minutes (VM classes; instead of --auto-stop); 0 never.",
        ),
    ] = None,
    auto_archive: Annotated[
        int | None,
        typer.Option(
            "--auto-archive",
            metavar="MIN",
            callback=at_least(0),
            help="Archive MIN minutes after stop.",
        ),
    ] = None,
    auto_delete: Annotated[
        int | None,
        typer.Option(
            "--auto-delete",
            metavar="MIN",
            callback=at_least(-1),
            help="Delete MIN minutes after stop; -1 never.",
        ),
    ] = None,
    ttl: Annotated[
        int | None,
        typer.Option(
            "--ttl",
            metavar="MIN",
            callback=at_least(0),
            help="Delete MIN minutes after creation, whatever its state.",
        ),
    ] = None,
    network_block_all: Annotated[
        bool, typer.Option("--network-block-all", help="Block all network access.")
    ] = False,
    network_allow_list: Annotated[
        str | None,
        typer.Option(
            "--network-allow-list",
            metavar="CIDR[,CIDR]",
            help="Allow network access only to these networks.",
        ),
    ] = None,
    public: Annotated[bool, typer.Option("--public", help="Make HTTP previews public.")] = False,
    target: Annotated[
        str | None,
        typer.Option("--target", metavar="REGION", help="Region (default: $DAYTONA_TARGET)."),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", metavar="USER", help="OS user in the sandbox.")
    ] = None,
    no_provenance: Annotated[
        bool,
        typer.Option(
            "--no-provenance",
            help="Under CI, do not add the daytona-cli/ci and daytona-cli/run labels.",
        ),
    ] = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print the new ID only.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Create a sandbox and wait until it has started.

    \b
    Examples:
      daytona-cli sandbox create --name demo --snapshot daytonaio/sandbox:0.4.3
      daytona-cli sandbox create --image python:3.12-slim --cpu 2 --memory 4
    """
    app = AppContext.of(ctx, json_mode=json_output)
    check_output_flags(json_output=json_output, quiet=quiet)
    opts = CreateOptions(
        name=name,
        snapshot=snapshot,
        image=image,
        dockerfile=dockerfile,
        resources={"cpu": cpu, "memory": memory, "disk": disk, "gpu": gpu},
        labels=label or [],
        env=env or [],
        secrets=secret or [],
        volumes=volume or [],
        auto_stop=auto_stop,
        auto_pause=auto_pause,
        auto_archive=auto_archive,
        auto_delete=auto_delete,
        ttl=ttl,
        network_block_all=network_block_all,
        network_allow_list=network_allow_list,
        public=public,
        target=target,
        user=user,
        provenance=not no_provenance,
        wait=not no_wait,
        timeout=timeout,
        quiet=quiet,
        json_output=json_output,
    )
    run_create(app, opts)
