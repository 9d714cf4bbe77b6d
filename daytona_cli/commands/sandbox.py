"""`daytona-cli sandbox ...`: parse options, call the client, hand the result to output."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from daytona_cli.bulk import (
    DEFAULT_PARALLEL,
    Outcome,
    Selector,
    Target,
    merge_targets,
    run_all,
    time_filters,
)
from daytona_cli.commands.common import (
    FieldsOption,
    JsonlOption,
    JsonOption,
    TimeoutOption,
    field_text,
    no_results,
    show_listing,
    state_of,
)
from daytona_cli.completion import choices, sandbox_names, snapshot_names
from daytona_cli.errors import (
    EXEC_CANNOT_START,
    EXEC_OWN_FAILURE,
    EXEC_TIMEOUT,
    Category,
    CliError,
    usage,
)
from daytona_cli.fields import SANDBOX_FIELDS, SANDBOX_LIST_FIELDS
from daytona_cli.output import (
    Column,
    field_column,
    iso_utc,
    project,
    relative_time,
    scalar,
    time_column,
)
from daytona_cli.params import (
    LISTABLE_STATES,
    ORDERS,
    SORT_FIELDS,
    check_choice,
    check_fields,
    check_identifier,
    check_image,
    check_states,
    parse_duration,
    parse_pairs,
)
from daytona_cli.provenance import provenance_labels
from daytona_cli.waiting import WaitTimeout, describe, failed_error, wait_for_state

if TYPE_CHECKING:
    from daytona_cli.app import AppContext
    from daytona_cli.client import DaytonaClient

JSONObject = dict[str, Any]

app = typer.Typer(
    help="List, create, inspect, delete, start, stop and run commands in sandboxes.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

STOPPED_STATES = frozenset({"stopped", "archived"})
# A stop that deletes the sandbox (auto-delete 0) has done what was asked, too.
STOP_GOALS = STOPPED_STATES | {"destroying", "destroyed"}
SETTLED_STATES = frozenset({"started", "stopped", "archived", "error", "build_failed"})
DEFAULT_WAIT_TIMEOUT = 180.0

NoWaitOption = Annotated[
    bool, typer.Option("--no-wait", help="Return once the API accepted the request.")
]
TargetsArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="NAME_OR_ID...", help="Sandbox names or IDs.", autocompletion=sandbox_names
    ),
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
            autocompletion=choices(LISTABLE_STATES),
        ),
    ] = None,
    snapshot: Annotated[
        list[str] | None,
        typer.Option(
            "--snapshot",
            metavar="NAME",
            help="Only from this snapshot; repeatable.",
            autocompletion=snapshot_names,
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            metavar="FIELD",
            help="Sort by: " + ", ".join(SORT_FIELDS) + ".",
            autocompletion=choices(SORT_FIELDS),
        ),
    ] = None,
    order: Annotated[
        str | None,
        typer.Option(
            "--order", metavar="asc|desc", help="Sort direction.", autocompletion=choices(ORDERS)
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, metavar="N", help="At most N sandboxes (default: all)."),
    ] = None,
    older_than: Annotated[
        str | None,
        typer.Option("--older-than", metavar="DURATION", help="Created over DURATION ago (7d)."),
    ] = None,
    idle_for: Annotated[
        str | None,
        typer.Option("--idle-for", metavar="DURATION", help="Idle for over DURATION (2h)."),
    ] = None,
    fields: FieldsOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print IDs only.")] = False,
    json_output: JsonOption = False,
    jsonl: JsonlOption = False,
) -> None:
    """List sandboxes, following every page. Example: daytona-cli sandbox list -l team=a --state started"""
    state = _state(ctx, json_output or jsonl)
    labels = parse_pairs(label or [], "label", "--label")
    states = check_states(state_filter or [])
    sort_field = check_choice(sort, SORT_FIELDS, "--sort")
    sort_order = check_choice(order, ORDERS, "--order")
    chosen = check_fields(fields, SANDBOX_LIST_FIELDS)
    extra = time_filters(
        parse_duration(older_than, "--older-than") if older_than is not None else None,
        parse_duration(idle_for, "--idle-for") if idle_for is not None else None,
    )
    pages = state.client().list_sandboxes(
        name=name,
        labels=labels,
        states=states,
        snapshots=snapshot or [],
        sort=sort_field,
        order=sort_order,
        limit=limit,
        extra=extra,
    )
    show_listing(state.output, pages, LIST_COLUMNS, "sandboxes", fields=chosen,
                 json_output=json_output, jsonl=jsonl, quiet=quiet)  # fmt: skip


# --- create ------------------------------------------------------------------------------------


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Option("--name", help="Sandbox name (default: its ID).")
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
            f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --image: "
            "a snapshot fixes the resources of its sandboxes",
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
    if not no_provenance:
        labels = {**provenance_labels(state.runtime.environ), **labels}
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

    last_seen = sandbox
    with state.output.progress(f"Waiting for {label} to be {goal}…") as update:

        def seen(current: JSONObject) -> None:
            nonlocal last_seen
            last_seen = current
            update(f"{label}: {current.get('state')} (waiting for {goal})")

        try:
            final = wait_for_state(
                fetch,
                targets,
                timeout=timeout,
                clock=state.runtime.clock,
                first=sandbox,
                gone_ok=gone_ok,
                on_update=seen,
            )
        except KeyboardInterrupt:
            raise CliError(
                Category.INTERRUPTED,
                f"interrupted while waiting for {label} to be {goal}; "
                f"it carries on in the background ({state_of(last_seen)} when last seen)",
                hint=(
                    f"check it with `daytona-cli sandbox get {ident}` or remove it with "
                    f"`daytona-cli sandbox delete {ident} --yes`"
                ),
            ) from None
        except WaitTimeout:
            raise CliError(
                Category.TIMEOUT,
                f"sandbox {ident} is still {state_of(last_seen)} after {timeout:g} s (was {doing})",
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
    _wait(state, client, current, set(SETTLED_STATES | STOP_GOALS), timeout, "changing state",
          gone_ok=True)  # fmt: skip
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
        ("CPU", scalar(sandbox.get("cpu"))),
        ("Memory", _gib(sandbox, "memory", True)),
        ("Disk", _gib(sandbox, "disk", True)),
        ("GPU", scalar(sandbox.get("gpu"))),
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


def _show(state: AppContext, sandbox: JSONObject) -> None:
    rows = _details(sandbox)
    human = state.output.human
    for heading, key in (("Created", "createdAt"), ("Last activity", "lastActivityAt")):
        value = sandbox.get(key)
        if value:
            rows.append((heading, _when(value, human)))
    state.output.details(describe(sandbox), rows)


def _when(value: str, human: bool) -> str:
    return f"{relative_time(value)} ({iso_utc(value)})" if human else iso_utc(value)


# --- get ---------------------------------------------------------------------------------------


@app.command()
def get(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            metavar="NAME_OR_ID", help="Sandbox name or ID.", autocompletion=sandbox_names
        ),
    ],
    fields: FieldsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show one sandbox. Example: daytona-cli sandbox get demo --fields id,state"""
    state = _state(ctx, json_output)
    chosen = check_fields(fields, SANDBOX_FIELDS)
    sandbox = state.client().get_sandbox(check_identifier(target))
    if json_output:
        state.output.json(project(sandbox, chosen))
    elif chosen is not None:
        state.output.details(describe(sandbox), [(key, field_text(sandbox, key)) for key in chosen])
    else:
        _show(state, sandbox)


# --- delete, start, stop -----------------------------------------------------------------------


SelectLabel = Annotated[
    list[str] | None,
    typer.Option(
        "--label", "-l", metavar="KEY=VALUE", help="Select sandboxes with this label; repeatable."
    ),
]
SelectState = Annotated[
    list[str] | None,
    typer.Option(
        "--state",
        metavar="STATE",
        help="Select sandboxes in this state; repeatable.",
        autocompletion=choices(LISTABLE_STATES),
    ),
]
SelectName = Annotated[
    str | None, typer.Option("--name", metavar="PREFIX", help="Select by name prefix.")
]
SelectOlder = Annotated[
    str | None,
    typer.Option(
        "--older-than", metavar="DURATION", help="Select sandboxes created over DURATION ago (7d)."
    ),
]
SelectIdle = Annotated[
    str | None,
    typer.Option(
        "--idle-for", metavar="DURATION", help="Select sandboxes idle for over DURATION (2h)."
    ),
]
SelectAll = Annotated[
    bool, typer.Option("--all", help="Select every sandbox (the only way to act on all).")
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be done and change nothing.")
]
MaxOption = Annotated[
    int | None,
    typer.Option(
        "--max", min=0, metavar="N", help="Refuse if the selectors match more than N sandboxes."
    ),
]
ParallelOption = Annotated[
    int,
    typer.Option("--parallel", min=1, max=64, metavar="N", help="At most N requests at once."),
]

OUTCOME_COLUMNS = (
    Column("NAME", lambda row, _human: str(row.get("name") or "")),
    Column("ID", lambda row, _human: str(row.get("id") or "")),
    Column("RESULT", lambda row, _human: str(row.get("result") or "")),
)


def _selector(
    label: list[str] | None,
    state_filter: list[str] | None,
    name: str | None,
    older_than: str | None,
    idle_for: str | None,
    everything: bool,
) -> Selector:
    return Selector(
        labels=parse_pairs(label or [], "label", "--label"),
        states=check_states(state_filter or []),
        name=name,
        older_than=parse_duration(older_than, "--older-than") if older_than is not None else None,
        idle_for=parse_duration(idle_for, "--idle-for") if idle_for is not None else None,
        everything=everything,
    )


def _lifecycle(
    state: AppContext,
    *,
    verb: str,
    done: str,
    names: Sequence[str],
    selector: Selector,
    action: Callable[[Target], JSONObject | None],
    confirm: bool,
    yes: bool,
    dry_run: bool,
    max_count: int | None,
    parallel: int,
    json_output: bool,
) -> None:
    """Pick the targets, guard, confirm, act on all with bounded concurrency, then report.

    Named targets alone keep the plain contract (JSON: the API's objects). With selectors the
    report is one outcome per sandbox (JSON: ``{"id", "name", "ok", "error"}``).
    """
    out = state.output
    named = [check_identifier(name) for name in names]
    if not named and not selector.active:
        raise usage(
            f"nothing to {verb}: give sandbox names or IDs, or select them with "
            "--label, --state, --name, --older-than or --idle-for, or --all",
        )
    client = state.client()  # made here, once, before workers share it
    selected: list[JSONObject] = []
    if selector.active:
        for page in client.list_sandboxes(**selector.list_filters()):
            selected += page
        if max_count is not None and len(selected) > max_count:
            raise usage(
                f"the selection matches {len(selected)} sandboxes, more than --max {max_count}; "
                "nothing was done",
                hint="narrow the selectors, or raise --max if that is what you meant",
            )
    targets = merge_targets(named, selected)
    if not targets:
        no_results(out, "sandboxes matched")
        if json_output:
            out.json([])
        return
    if dry_run:
        if json_output:
            out.json([{"id": t.ident or t.key, "name": t.name} for t in targets])
        else:
            rows = [{"name": t.name or t.key, "id": t.ident or "", "result": f"would {verb}"}
                    for t in targets]  # fmt: skip
            out.table(OUTCOME_COLUMNS, [rows])
            out.info(f"Dry run: would {verb} {len(targets)} sandbox(es); nothing was changed.")
        return
    if confirm and not yes:
        if not out.can_prompt(state.no_input):
            raise usage(
                f"refusing to {verb} without confirmation: no terminal to ask on",
                hint=f"pass --yes to {verb} non-interactively (or --dry-run to see the targets)",
            )
        shown = ", ".join(t.label() for t in targets[:20])
        more = f" and {len(targets) - 20} more" if len(targets) > 20 else ""
        question = f"{verb.capitalize()} {len(targets)} sandbox(es): {shown}{more}?"
        if verb == "delete":
            question += " This cannot be undone."
        if not out.confirm(question):
            raise CliError(Category.OTHER, f"cancelled; nothing was {done}")
    finished = 0
    with out.progress(f"{verb.capitalize()}: 0/{len(targets)} done") as update:

        def on_done(outcome: Outcome) -> None:
            nonlocal finished
            finished += 1
            update(f"{verb.capitalize()}: {finished}/{len(targets)} done")
            if not outcome.ok and not selector.active:
                assert outcome.error is not None
                if len(targets) > 1:
                    outcome.error.message = f"{outcome.target.key}: {outcome.error.message}"
                out.error(outcome.error)
            elif outcome.ok and not selector.active and outcome.result is not None:
                out.success(_done_message(outcome.result, outcome.target, verb, done))

        outcomes = run_all(targets, action, parallel=parallel, on_done=on_done)
    failures = [outcome.error for outcome in outcomes if outcome.error is not None]
    if selector.active:
        if json_output:
            out.json([outcome.record() for outcome in outcomes])
        else:
            rows = [
                {
                    **o.record(),
                    "result": done if o.ok else f"failed: {o.error.message if o.error else ''}",
                }
                for o in outcomes
            ]
            out.table(OUTCOME_COLUMNS, [rows])
            out.info(f"{len(outcomes) - len(failures)} of {len(outcomes)} {done}.")
    elif json_output and len(failures) < len(outcomes):
        out.json([o.result for o in outcomes if o.ok and o.result is not None])
    if failures:
        raise typer.Exit(failures[0].exit_code)


def _done_message(result: JSONObject, target: Target, verb: str, done: str) -> str:
    shown = describe(result) if result.get("id") else target.key
    if done == "deleted":
        return f"Deleted sandbox {shown}"
    current = result.get("state")
    if current == done or (done == "stopped" and current in STOP_GOALS):
        return f"Sandbox {shown} {current}"
    # --no-wait: the API answers before acting, still showing the state being left.
    return f"Sandbox {shown}: {verb} requested"


@app.command()
def delete(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME_OR_ID]...", help="Sandbox names or IDs.", autocompletion=sandbox_names
        ),
    ] = None,
    label: SelectLabel = None,
    state_filter: SelectState = None,
    name: SelectName = None,
    older_than: SelectOlder = None,
    idle_for: SelectIdle = None,
    everything: SelectAll = False,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    max_count: MaxOption = None,
    ignore_not_found: Annotated[
        bool, typer.Option("--ignore-not-found", help="A missing sandbox is not an error.")
    ] = False,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    json_output: JsonOption = False,
) -> None:
    """Delete sandboxes, named or selected (asks first on a terminal).

    Examples: daytona-cli sandbox delete demo --yes;
    daytona-cli sandbox delete -l daytona-cli/run=$GITHUB_RUN_ID --yes
    """
    state = _state(ctx, json_output)

    def delete_one(target: Target) -> JSONObject | None:
        client = state.client()
        try:
            return _when_settled(
                state, client, target.key, client.delete_sandbox, DEFAULT_WAIT_TIMEOUT
            )
        except CliError as err:
            if ignore_not_found and err.category is Category.NOT_FOUND:
                state.output.info(f"Sandbox {target.key} not found; nothing to delete")
                return None
            raise

    _lifecycle(
        state,
        verb="delete",
        done="deleted",
        names=targets or [],
        selector=_selector(label, state_filter, name, older_than, idle_for, everything),
        action=delete_one,
        confirm=True,
        yes=yes,
        dry_run=dry_run,
        max_count=max_count,
        parallel=parallel,
        json_output=json_output,
    )


@app.command()
def start(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME_OR_ID]...", help="Sandbox names or IDs.", autocompletion=sandbox_names
        ),
    ] = None,
    label: SelectLabel = None,
    state_filter: SelectState = None,
    name: SelectName = None,
    older_than: SelectOlder = None,
    idle_for: SelectIdle = None,
    everything: SelectAll = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
    dry_run: DryRunOption = False,
    max_count: MaxOption = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    json_output: JsonOption = False,
) -> None:
    """Start sandboxes and wait until they have started (a started one is fine).

    Examples: daytona-cli sandbox start demo; daytona-cli sandbox start -l team=data --state stopped
    """
    state = _state(ctx, json_output)

    def start_one(target: Target) -> JSONObject:
        client = state.client()
        sandbox = _when_settled(state, client, target.key, client.start_sandbox, timeout)
        if sandbox.get("state") in ("error", "build_failed"):
            raise failed_error(sandbox)
        if not no_wait:
            sandbox = _wait(state, client, sandbox, {"started"}, timeout, "starting")
        return sandbox

    _lifecycle(
        state,
        verb="start",
        done="started",
        names=targets or [],
        selector=_selector(label, state_filter, name, older_than, idle_for, everything),
        action=start_one,
        confirm=False,
        yes=True,
        dry_run=dry_run,
        max_count=max_count,
        parallel=parallel,
        json_output=json_output,
    )


@app.command()
def stop(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME_OR_ID]...", help="Sandbox names or IDs.", autocompletion=sandbox_names
        ),
    ] = None,
    label: SelectLabel = None,
    state_filter: SelectState = None,
    name: SelectName = None,
    older_than: SelectOlder = None,
    idle_for: SelectIdle = None,
    everything: SelectAll = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    max_count: MaxOption = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    json_output: JsonOption = False,
) -> None:
    """Stop sandboxes and wait until they have stopped (a stopped one is fine).

    Selecting with --label, --state, --name, --older-than, --idle-for or --all asks first on a
    terminal (--yes otherwise). Examples: daytona-cli sandbox stop demo;
    daytona-cli sandbox stop --idle-for 2h --yes
    """
    state = _state(ctx, json_output)
    selector = _selector(label, state_filter, name, older_than, idle_for, everything)

    def stop_one(target: Target) -> JSONObject:
        client = state.client()
        try:
            sandbox = _when_settled(state, client, target.key, client.stop_sandbox, timeout)
        except CliError as err:
            # "not in a stoppable state": fine if it is already stopped; otherwise say so.
            if err.status != 400:
                raise
            current = client.get_sandbox(target.key)
            if current.get("state") not in STOPPED_STATES:
                raise
            return current
        if not no_wait:
            sandbox = _wait(state, client, sandbox, set(STOP_GOALS), timeout, "stopping",
                            gone_ok=True)  # fmt: skip
        return sandbox

    _lifecycle(
        state,
        verb="stop",
        done="stopped",
        names=targets or [],
        selector=selector,
        action=stop_one,
        confirm=selector.active,
        yes=yes,
        dry_run=dry_run,
        max_count=max_count,
        parallel=parallel,
        json_output=json_output,
    )


# --- wait --------------------------------------------------------------------------------------

WAIT_GOALS = ("started", "stopped", "archived", "deleted")


@app.command()
def wait(
    ctx: typer.Context,
    targets: TargetsArgument,
    goal: Annotated[
        str,
        typer.Option(
            "--for",
            metavar="STATE",
            help="started, stopped, archived or deleted.",
            autocompletion=choices(WAIT_GOALS),
        ),
    ],
    timeout: TimeoutOption = DEFAULT_WAIT_TIMEOUT,
    json_output: JsonOption = False,
) -> None:
    """Wait until every sandbox is in a state (already there is success).

    Fails early (exit 5) if one lands in error or build_failed; exit 124 on timeout.
    Example: daytona-cli sandbox wait demo --for started --timeout 300
    """
    state = _state(ctx, json_output)
    chosen = check_choice(goal, WAIT_GOALS, "--for")
    assert chosen is not None
    named = [check_identifier(target) for target in targets]
    client = state.client()
    deadline = state.runtime.clock.monotonic() + timeout if timeout else None
    results: list[JSONObject] = []
    for target in named:
        remaining = (
            0.0 if deadline is None else max(0.001, deadline - state.runtime.clock.monotonic())
        )
        try:
            first: JSONObject | None = client.get_sandbox(target)
        except CliError as err:
            if chosen == "deleted" and err.category is Category.NOT_FOUND:
                state.output.success(f"Sandbox {target} is deleted")
                continue
            raise
        assert first is not None
        goals = {"destroyed"} if chosen == "deleted" else {chosen}
        final = _wait(state, client, first, goals, remaining, f"waiting for {chosen}",
                      gone_ok=chosen == "deleted")  # fmt: skip
        results.append(final)
        state.output.success(f"Sandbox {describe(first)} is {chosen}")
    if json_output:
        state.output.json(results)


# --- exec --------------------------------------------------------------------------------------


@app.command(name="exec")
def exec_(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            metavar="NAME_OR_ID", help="Sandbox name or ID.", autocompletion=sandbox_names
        ),
    ],
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
        int | None,
        typer.Option(
            "--timeout",
            min=0,
            metavar="SECONDS",
            help="Kill the command after SECONDS, whole seconds (exit 124); default: no limit.",
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
        sandbox = _when_settled(
            state, client, str(sandbox["id"]), client.start_sandbox, DEFAULT_WAIT_TIMEOUT
        )
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
