"""`daytona-cli sandbox ...`: parse options, call the client, hand the result to output."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from daytona_cli.commands.common import (
    JsonOption,
    TimeoutOption,
    no_results,
    state_of,
)
from daytona_cli.errors import (
    EXEC_CANNOT_START,
    EXEC_OWN_FAILURE,
    EXEC_TIMEOUT,
    Category,
    CliError,
    usage,
)
from daytona_cli.output import Column, field_column, relative_time, time_column
from daytona_cli.params import (
    LISTABLE_STATES,
    ORDERS,
    SORT_FIELDS,
    check_choice,
    check_identifier,
    check_image,
    check_states,
    parse_pairs,
)
from daytona_cli.waiting import WaitTimeout, describe, failed_error, wait_for_state

if TYPE_CHECKING:
    from daytona_cli.app import AppContext
    from daytona_cli.client import DaytonaClient

JSONObject = dict[str, Any]

app = typer.Typer(
    help="List, create, inspect, delete, start, stop and run commands in sandboxes.",
    no_args_is_help=True,
)

STOPPED_STATES = frozenset({"stopped", "archived"})
SETTLED_STATES = frozenset({"started", "stopped", "archived", "error", "build_failed"})
DEFAULT_WAIT_TIMEOUT = 180.0

NoWaitOption = Annotated[
    bool, typer.Option("--no-wait", help="Return once the API accepted the request.")
]
TargetsArgument = Annotated[
    list[str], typer.Argument(metavar="NAME_OR_ID...", help="Sandbox names or IDs.")
]
LabelOption = Annotated[
    list[str] | None,
    typer.Option("--label", "-l", metavar="KEY=VALUE", help="Label; repeat for several."),
]


def _gib(obj: JSONObject, key: str, human: bool) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    text = f"{value:g}" if isinstance(value, (int, float)) else str(value)
    return f"{text} GiB" if human else text


LIST_COLUMNS = (
    field_column("NAME", "name", no_wrap=True),
    field_column("ID", "id", no_wrap=True),
    field_column("STATE", "state", style="state", no_wrap=True),
    field_column("SNAPSHOT", "snapshot"),
    field_column("CPU", "cpu"),
    Column("MEMORY", lambda obj, human: _gib(obj, "memory", human)),
    Column("DISK", lambda obj, human: _gib(obj, "disk", human)),
    field_column("REGION", "target"),
    time_column("LAST ACTIVITY", "lastActivityAt"),
)


def _state(ctx: typer.Context, json_output: bool = False) -> AppContext:
    state: AppContext = ctx.obj
    state.output.json_mode = json_output
    return state


# --- list --------------------------------------------------------------------------------------


@app.command("list")
def list_sandboxes(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Option("--name", metavar="PREFIX", help="Name prefix (any case).")
    ] = None,
    label: LabelOption = None,
    state_filter: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            metavar="STATE",
            help="Only this state; repeat for several. One of: " + ", ".join(LISTABLE_STATES),
        ),
    ] = None,
    snapshot: Annotated[
        list[str] | None,
        typer.Option("--snapshot", metavar="NAME", help="Only from this snapshot; repeatable."),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option("--sort", metavar="FIELD", help="Sort by: " + ", ".join(SORT_FIELDS) + "."),
    ] = None,
    order: Annotated[
        str | None, typer.Option("--order", metavar="asc|desc", help="Sort direction.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, metavar="N", help="At most N sandboxes (default: all)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print IDs only.")] = False,
    json_output: JsonOption = False,
) -> None:
    """List sandboxes, following every page. Example: daytona-cli sandbox list -l team=a --state started"""
    state = _state(ctx, json_output)
    labels = parse_pairs(label or [], "label", "--label")
    states = check_states(state_filter or [])
    sort_field = check_choice(sort, SORT_FIELDS, "--sort")
    sort_order = check_choice(order, ORDERS, "--order")
    pages = state.client().list_sandboxes(
        name=name,
        labels=labels,
        states=states,
        snapshots=snapshot or [],
        sort=sort_field,
        order=sort_order,
        limit=limit,
    )
    out = state.output
    if json_output:
        out.json_stream(pages)
        return
    if quiet:
        count = out.lines((str(item.get("id", "")) for item in page) for page in pages)
    else:
        count = out.table(LIST_COLUMNS, pages)
    if not count:
        no_results(out, "sandboxes")


# --- create ------------------------------------------------------------------------------------


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Option("--name", help="Sandbox name (default: its ID).")
    ] = None,
    snapshot: Annotated[
        str | None,
        typer.Option("--snapshot", metavar="NAME_OR_ID", help="Snapshot to start from."),
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
        int | None, typer.Option("--cpu", min=1, help="CPU cores (--image only).")
    ] = None,
    memory: Annotated[
        int | None, typer.Option("--memory", min=1, metavar="GIB", help="Memory (--image only).")
    ] = None,
    disk: Annotated[
        int | None, typer.Option("--disk", min=1, metavar="GIB", help="Disk (--image only).")
    ] = None,
    gpu: Annotated[int | None, typer.Option("--gpu", min=0, help="GPUs (--image only).")] = None,
    label: LabelOption = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", metavar="KEY=VALUE", help="Environment variable; repeatable."),
    ] = None,
    auto_stop: Annotated[
        int | None,
        typer.Option(
            "--auto-stop", min=0, metavar="MIN", help="Stop after MIN idle minutes; 0 never."
        ),
    ] = None,
    auto_archive: Annotated[
        int | None,
        typer.Option(
            "--auto-archive", min=0, metavar="MIN", help="Archive MIN minutes after stop."
        ),
    ] = None,
    auto_delete: Annotated[
        int | None,
        typer.Option(
            "--auto-delete", min=-1, metavar="MIN", help="Delete MIN minutes after stop; -1 never."
        ),
    ] = None,
    public: Annotated[bool, typer.Option("--public", help="Make HTTP previews public.")] = False,
    target: Annotated[
        str | None, typer.Option("--target", help="Region (default: $DAYTONA_TARGET).")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="OS user in the sandbox.")] = None,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print the new ID only.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Create a sandbox and wait until it has started.

    Example: daytona-cli sandbox create --name demo --snapshot daytonaio/sandbox:0.4.3
    """
    state = _state(ctx, json_output)
    resources = {"cpu": cpu, "memory": memory, "disk": disk, "gpu": gpu}
    given = [f"--{key}" for key, value in resources.items() if value is not None]
    if snapshot is not None and image is not None:
        raise usage(
            "--snapshot and --image are exclusive", hint="choose one source for the sandbox"
        )
    if given and image is None:
        raise usage(
            f"{', '.join(given)} need --image: a snapshot fixes the resources of its sandboxes",
            hint="drop the resource flags, or build from an image with --image IMAGE",
        )
    body: JSONObject = {}
    if name is not None:
        body["name"] = check_identifier(name, "sandbox name")
    if snapshot is not None:
        body["snapshot"] = check_identifier(snapshot, "snapshot")
    if image is not None:
        body["buildInfo"] = {"dockerfileContent": f"FROM {check_image(image)}\n"}
    body.update({key: value for key, value in resources.items() if value is not None})
    labels = parse_pairs(label or [], "label", "--label")
    if labels:
        body["labels"] = labels
    env_vars = parse_pairs(env or [], "variable", "--env")
    if env_vars:
        body["env"] = env_vars
    for key, value in (
        ("autoStopInterval", auto_stop),
        ("autoArchiveInterval", auto_archive),
        ("autoDeleteInterval", auto_delete),
    ):
        if value is not None:
            body[key] = value
    if public:
        body["public"] = True
    if user is not None:
        body["user"] = user
    client = state.client()
    region = target or state.settings().target
    if region:
        body["target"] = region
    out = state.output
    sandbox = client.create_sandbox(body)
    if not no_wait:
        sandbox = _wait(state, client, sandbox, {"started"}, timeout, "creating")
    if json_output:
        out.json(sandbox)
    elif quiet:
        out.write(f"{sandbox.get('id', '')}\n")
    else:
        _show(state, sandbox)
        verb = "created" if no_wait else "created and started"
        out.success(f"Sandbox {describe(sandbox)} {verb}")


def _wait(
    state: AppContext,
    client: DaytonaClient,
    sandbox: JSONObject,
    targets: set[str],
    timeout: float,
    doing: str,
    *,
    gone_ok: bool = False,
) -> JSONObject:
    """Poll until ``targets``, with a spinner on a terminal; on timeout, say how to follow up."""
    ident = str(sandbox.get("id") or "")
    label = describe(sandbox)
    goal = "/".join(sorted(targets))

    def fetch() -> JSONObject | None:
        try:
            return client.get_sandbox(ident)
        except CliError as err:
            if err.category is Category.NOT_FOUND:
                return None
            raise

    with state.output.progress(f"Waiting for {label} to be {goal}…") as update:
        try:
            final = wait_for_state(
                fetch,
                targets,
                timeout=timeout,
                clock=state.runtime.clock,
                first=sandbox,
                gone_ok=gone_ok,
                on_update=lambda s: update(f"{label}: {s.get('state')} (waiting for {goal})"),
            )
        except KeyboardInterrupt:
            raise CliError(
                Category.INTERRUPTED,
                f"interrupted while waiting for {label} to be {goal}; "
                f"it carries on in the background ({state_of(sandbox)} when last seen)",
                hint=(
                    f"check it with `daytona-cli sandbox get {ident}` or remove it with "
                    f"`daytona-cli sandbox delete {ident} --yes`"
                ),
            ) from None
        except WaitTimeout as exc:
            last = state_of(exc.last or sandbox)
            raise CliError(
                Category.TIMEOUT,
                f"sandbox {ident} is still {last} after {timeout:g} s (was {doing})",
                hint=(
                    f"it carries on in the background: check it with `daytona-cli sandbox get "
                    f"{ident}` or remove it with `daytona-cli sandbox delete {ident} --yes`"
                ),
            ) from None
    if final is None:
        return {**sandbox, "state": "destroyed"}
    return final


def _when_settled(
    state: AppContext,
    client: DaytonaClient,
    target: str,
    action: Callable[[str], JSONObject],
    timeout: float,
) -> JSONObject:
    """Run a lifecycle action; if another transition is under way (409), wait it out, then retry."""
    try:
        return action(target)
    except CliError as err:
        if err.status != 409 or "progress" not in err.message.lower():
            raise
    current = client.get_sandbox(target)
    _wait(state, client, current, set(SETTLED_STATES), timeout, "changing state", gone_ok=True)
    return action(target)


def _details(sandbox: JSONObject) -> list[tuple[str, str]]:
    def interval(key: str, off: int) -> str:
        value = sandbox.get(key)
        if value is None:
            return ""
        if value == off:
            return "disabled"
        if key == "autoDeleteInterval" and value == 0:
            return "on stop"
        return f"{value:g} min" if isinstance(value, (int, float)) else str(value)

    rows = [
        ("ID", str(sandbox.get("id", ""))),
        ("Name", str(sandbox.get("name", ""))),
    ]
    current, desired = sandbox.get("state"), sandbox.get("desiredState")
    rows.append(("State", str(current or "")))
    if desired and desired != current:
        rows.append(("Desired state", str(desired)))
    if sandbox.get("errorReason"):
        rows.append(("Error", str(sandbox["errorReason"])))
    rows += [
        ("Snapshot", str(sandbox.get("snapshot") or "")),
        ("CPU", _scalar(sandbox.get("cpu"))),
        ("Memory", _gib(sandbox, "memory", True)),
        ("Disk", _gib(sandbox, "disk", True)),
        ("GPU", _scalar(sandbox.get("gpu"))),
        ("Region", str(sandbox.get("target") or "")),
        ("User", str(sandbox.get("user") or "")),
        ("Public", "yes" if sandbox.get("public") else "no"),
    ]
    labels = sandbox.get("labels") or {}
    rows.append(("Labels", ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))))
    env = sandbox.get("env") or {}
    rows.append(("Env", ", ".join(sorted(env)) + (" (values hidden)" if env else "")))
    rows += [
        ("Auto-stop", interval("autoStopInterval", 0)),
        ("Auto-archive", interval("autoArchiveInterval", -1)),
        ("Auto-delete", interval("autoDeleteInterval", -1)),
    ]
    return rows


def _scalar(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _show(state: AppContext, sandbox: JSONObject) -> None:
    rows = _details(sandbox)
    human = state.output.human
    for heading, key in (("Created", "createdAt"), ("Last activity", "lastActivityAt")):
        value = sandbox.get(key)
        if value:
            rows.append((heading, _when(value, human)))
    state.output.details(describe(sandbox), rows)


def _when(value: str, human: bool) -> str:
    from daytona_cli.output import iso_utc

    return f"{relative_time(value)} ({iso_utc(value)})" if human else iso_utc(value)


# --- get ---------------------------------------------------------------------------------------


@app.command()
def get(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(metavar="NAME_OR_ID", help="Sandbox name or ID.")],
    json_output: JsonOption = False,
) -> None:
    """Show one sandbox. Example: daytona-cli sandbox get demo"""
    state = _state(ctx, json_output)
    sandbox = state.client().get_sandbox(check_identifier(target))
    if json_output:
        state.output.json(sandbox)
    else:
        _show(state, sandbox)


# --- delete, start, stop -----------------------------------------------------------------------


def _each(
    state: AppContext,
    targets: Sequence[str],
    action: Callable[[str], JSONObject],
    json_output: bool,
) -> None:
    """Run ``action`` on every target, reporting each failure; fail with the first failure's code."""
    checked = [check_identifier(target) for target in targets]
    results: list[JSONObject] = []
    first_failure: CliError | None = None
    for target in checked:
        try:
            results.append(action(target))
        except CliError as err:
            if len(checked) == 1:
                raise
            err.message = f"{target}: {err.message}"
            state.output.error(err)
            first_failure = first_failure or err
    if json_output:
        state.output.json(results)
    if first_failure is not None:
        raise typer.Exit(first_failure.exit_code)


@app.command()
def delete(
    ctx: typer.Context,
    targets: TargetsArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Delete sandboxes (asks first on a terminal). Example: daytona-cli sandbox delete demo --yes"""
    state = _state(ctx, json_output)
    out = state.output
    checked = [check_identifier(target) for target in targets]
    if not yes:
        if not out.can_prompt(state.no_input):
            raise usage(
                "refusing to delete without confirmation: no terminal to ask on",
                hint="pass --yes to delete non-interactively",
            )
        names = ", ".join(checked)
        if not out.confirm(f"Delete {len(checked)} sandbox(es): {names}? This cannot be undone."):
            raise CliError(Category.OTHER, "cancelled; nothing was deleted")
    client = state.client()

    def delete_one(target: str) -> JSONObject:
        sandbox = _when_settled(state, client, target, client.delete_sandbox, DEFAULT_WAIT_TIMEOUT)
        out.success(f"Deleted sandbox {describe(sandbox) if sandbox.get('id') else target}")
        return sandbox

    _each(state, checked, delete_one, json_output)


@app.command()
def start(
    ctx: typer.Context,
    targets: TargetsArgument,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
    json_output: JsonOption = False,
) -> None:
    """Start sandboxes and wait until they have started (a started one is fine).

    Example: daytona-cli sandbox start demo
    """
    state = _state(ctx, json_output)
    client = state.client()

    def start_one(target: str) -> JSONObject:
        sandbox = _when_settled(state, client, target, client.start_sandbox, timeout)
        if sandbox.get("state") in ("error", "build_failed"):
            raise failed_error(sandbox)
        if not no_wait:
            sandbox = _wait(state, client, sandbox, {"started"}, timeout, "starting")
        state.output.success(f"Sandbox {describe(sandbox)} {state_of(sandbox)}")
        return sandbox

    _each(state, targets, start_one, json_output)


@app.command()
def stop(
    ctx: typer.Context,
    targets: TargetsArgument,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
    json_output: JsonOption = False,
) -> None:
    """Stop sandboxes and wait until they have stopped (a stopped one is fine).

    Example: daytona-cli sandbox stop demo
    """
    state = _state(ctx, json_output)
    client = state.client()

    def stop_one(target: str) -> JSONObject:
        try:
            sandbox = _when_settled(state, client, target, client.stop_sandbox, timeout)
        except CliError as err:
            # "not in a stoppable state": fine if it is already stopped; otherwise say so.
            if err.status != 400:
                raise
            current = client.get_sandbox(target)
            if current.get("state") not in STOPPED_STATES:
                raise
            state.output.success(f"Sandbox {describe(current)} is already {current['state']}")
            return current
        if not no_wait:
            sandbox = _wait(state, client, sandbox, set(STOPPED_STATES), timeout, "stopping",
                            gone_ok=True)  # fmt: skip
        state.output.success(f"Sandbox {describe(sandbox)} {state_of(sandbox)}")
        return sandbox

    _each(state, targets, stop_one, json_output)


# --- exec --------------------------------------------------------------------------------------


@app.command(name="exec")
def exec_(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(metavar="NAME_OR_ID", help="Sandbox name or ID.")],
    command: Annotated[
        list[str],
        typer.Argument(
            metavar="-- COMMAND [ARG...]",
            help="One argument is a shell command line as-is; several are quoted and joined.",
        ),
    ],
    cwd: Annotated[
        str | None, typer.Option("--cwd", metavar="DIR", help="Working directory in the sandbox.")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0,
            metavar="SECONDS",
            help="Kill the command after SECONDS (exit 124); default: no limit.",
        ),
    ] = None,
    start_first: Annotated[
        bool, typer.Option("--start", help="Start the sandbox first if it is stopped.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Run a command in a sandbox and exit with its exit code.

    Output is written to stdout exactly as the sandbox returns it (stdout and stderr merged).
    Exit: the command's own code; 124 if it timed out; 126 if it could not be started;
    125 if daytona-cli itself failed. Example: daytona-cli sandbox exec demo -- ls -la /tmp
    """
    state = _state(ctx, json_output)
    state.own_failure_exit = EXEC_OWN_FAILURE
    out = state.output
    line = command[0] if len(command) == 1 else shlex.join(command)
    if not line.strip():
        raise usage("empty command", hint="give the command after --, e.g. -- echo hello")
    client = state.client()
    sandbox = client.get_sandbox(check_identifier(target))
    current = sandbox.get("state")
    if current != "started":
        if not start_first:
            raise CliError(
                Category.CONFLICT,
                f"sandbox {describe(sandbox)} is {current}, not started",
                hint=(
                    f"start it with `daytona-cli sandbox start {target}` "
                    "or pass --start to start it first"
                ),
            )
        sandbox = client.start_sandbox(str(sandbox["id"]))
        sandbox = _wait(state, client, sandbox, {"started"}, DEFAULT_WAIT_TIMEOUT, "starting")
    body: JSONObject = {"command": line}
    if cwd is not None:
        body["cwd"] = cwd
    if timeout:
        body["timeout"] = timeout
    try:
        answer = _execute(client, sandbox, body)
    except _ExecTimeout as err:
        out.error(err)
        raise typer.Exit(EXEC_TIMEOUT) from None
    exit_code = int(answer["exitCode"])
    if json_output:
        out.json(answer)
    elif exit_code == -1:
        reason = answer["result"].strip() or "no reason given"
        out.error(
            CliError(
                Category.OTHER,
                f"the sandbox could not start the command: {reason}",
                hint="check the command and --cwd",
            )
        )
    else:
        out.write(answer["result"])
    raise typer.Exit(exit_code if 0 <= exit_code <= 255 else EXEC_CANNOT_START)


def _execute(client: DaytonaClient, sandbox: JSONObject, body: JSONObject) -> JSONObject:
    sandbox_id = str(sandbox["id"])
    try:
        try:
            return client.execute(sandbox_id, body)
        except CliError as err:
            if err.status not in (404, 405, 410):
                raise
        # The legacy route is gone (the sandbox was found a moment ago): use the toolbox proxy.
        proxy = sandbox.get("toolboxProxyUrl") or client.toolbox_proxy_url(sandbox_id)
        return client.execute(sandbox_id, body, proxy_url=str(proxy))
    except CliError as err:
        if err.status == 408:
            raise _ExecTimeout(body.get("timeout")) from None
        if err.ambiguous:
            err.message = f"lost the answer ({err.message}): the command may have run"
            err.hint = "check its effects before running it again"
        raise


class _ExecTimeout(CliError):
    def __init__(self, limit: float | None) -> None:
        after = f" after {limit:g} s" if limit else ""
        super().__init__(
            Category.TIMEOUT,
            f"the command timed out{after} and was killed; the API discards its output",
            hint="raise --timeout, or write output to a file in the sandbox and read it after",
        )
