"""``daytona-cli sandbox create``: one sandbox (never two), waited for until it has started."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
from daytona_cli.completion import snapshot_names
from daytona_cli.context import AppContext
from daytona_cli.errors import usage
from daytona_cli.params import check_identifier, check_image, check_output_flags, parse_pairs
from daytona_cli.provenance import provenance_labels
from daytona_cli.render.sandbox import describe, detail_rows
from daytona_cli.types import JSONObject

INTERVALS = (
    ("autoStopInterval", "auto_stop"),
    ("autoArchiveInterval", "auto_archive"),
    ("autoDeleteInterval", "auto_delete"),
)


@dataclass
class CreateOptions:
    """The sandbox asked for (``CreateSandbox`` fields, by their CLI names) and how to report it."""

    name: str | None = None
    snapshot: str | None = None
    image: str | None = None
    resources: dict[str, int | None] = field(default_factory=dict)  # cpu, memory, disk, gpu
    labels: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    auto_stop: int | None = None
    auto_archive: int | None = None
    auto_delete: int | None = None
    public: bool = False
    target: str | None = None
    user: str | None = None
    provenance: bool = True
    wait: bool = True
    timeout: float = DEFAULT_WAIT_TIMEOUT
    quiet: bool = False
    json_output: bool = False


def create_body(opts: CreateOptions, environ: Mapping[str, str]) -> JSONObject:
    """The ``CreateSandbox`` body; usage errors (exit 2) for what the API would refuse."""
    given = [f"--{key}" for key, value in opts.resources.items() if value is not None]
    if opts.snapshot is not None and opts.image is not None:
        raise usage(
            "--snapshot and --image are exclusive", hint="choose one source for the sandbox"
        )
    if given and opts.image is None:
        raise usage(
            f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --image: "
            "a snapshot fixes the resources of its sandboxes",
            hint="drop the resource flags, or build from an image with --image IMAGE",
        )
    body: JSONObject = {}
    if opts.name is not None:
        body["name"] = check_identifier(opts.name, "sandbox name")
    if opts.snapshot is not None:
        body["snapshot"] = check_identifier(opts.snapshot, "snapshot")
    if opts.image is not None:
        body["buildInfo"] = {"dockerfileContent": f"FROM {check_image(opts.image)}\n"}
    body.update({key: value for key, value in opts.resources.items() if value is not None})
    labels = parse_pairs(opts.labels, "label", "--label")
    if opts.provenance:
        labels = {**provenance_labels(environ), **labels}
    if labels:
        body["labels"] = labels
    env_vars = parse_pairs(opts.env, "variable", "--env")
    if env_vars:
        body["env"] = env_vars
    for key, attribute in INTERVALS:
        value = getattr(opts, attribute)
        if value is not None:
            body[key] = value
    if opts.public:
        body["public"] = True
    if opts.user is not None:
        body["user"] = opts.user
    return body


def run_create(app: AppContext, opts: CreateOptions) -> None:
    """``createSandbox``, then poll until ``started`` unless told not to wait."""
    body = create_body(opts, app.runtime.environ)
    client = app.client()
    region = opts.target or app.settings().target
    if region:
        body["target"] = region
    sandbox = client.create_sandbox(body)
    if opts.wait:
        sandbox = wait_until(app, sandbox, {"started"}, opts.timeout, "started", offer_delete=True)
    out = app.output
    if opts.json_output:
        out.json(sandbox)
    elif opts.quiet:
        out.write(f"{sandbox.get('id', '')}\n")
    else:
        out.details(describe(sandbox), detail_rows(sandbox, out.view()))
        out.success(
            f"Sandbox {describe(sandbox)} {'created and started' if opts.wait else 'created'}"
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
    cpu: Annotated[
        int | None,
        typer.Option("--cpu", metavar="N", callback=at_least(1), help="CPU cores (--image only)."),
    ] = None,
    memory: Annotated[
        int | None,
        typer.Option(
            "--memory", metavar="GIB", callback=at_least(1), help="Memory in GiB (--image only)."
        ),
    ] = None,
    disk: Annotated[
        int | None,
        typer.Option(
            "--disk", metavar="GIB", callback=at_least(1), help="Disk in GiB (--image only)."
        ),
    ] = None,
    gpu: Annotated[
        int | None,
        typer.Option("--gpu", metavar="N", callback=at_least(0), help="GPUs (--image only)."),
    ] = None,
    label: LabelOption = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", metavar="KEY=VALUE", help="Environment variable; repeatable."),
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
        resources={"cpu": cpu, "memory": memory, "disk": disk, "gpu": gpu},
        labels=label or [],
        env=env or [],
        auto_stop=auto_stop,
        auto_archive=auto_archive,
        auto_delete=auto_delete,
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
