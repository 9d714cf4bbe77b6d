"""The eight tools as MCP sees them: names, titles, descriptions, input and output schemas,
annotations. Each tool's signature is its input schema (every field described); the model in
its return annotation is its output schema. The work is in ``tools.py``.
"""

from collections.abc import Callable
from typing import Annotated, Any

import anyio
import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from daytona_cli.commands.base import MAX_SECONDS
from daytona_cli.commands.options import DEFAULT_RESTORE_TIMEOUT, DEFAULT_WAIT_TIMEOUT
from daytona_cli.mcp_server import tools
from daytona_cli.mcp_server.execute import STOP_GRACE, Cancel
from daytona_cli.mcp_server.tools import Session, ToolResult
from daytona_cli.params import MAX_IDENTIFIER_LENGTH
from daytona_cli.states import LISTABLE_STATES

Answer = Callable[[str, Callable[[], ToolResult]], CallToolResult]
"""Runs one call to its result (``server.answer``): the tool's name, then its work."""

TOOL_NAMES = (
    "list_sandboxes",
    "create_sandbox",
    "get_sandbox",
    "delete_sandbox",
    "start_sandbox",
    "stop_sandbox",
    "execute_command",
    "list_snapshots",
)

# Every tool talks to Daytona's API: an open world. Reads change nothing; start and stop
# repeated have no further effect; delete cannot be undone.
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)
CHANGES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True)
LIFECYCLE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
# Idempotent in the spec's sense, of effects: a delete repeated deletes nothing more, though
# its answer may then be not_found (unless ignore_not_found).
DESTRUCTIVE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)
RUNS_CODE = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=True)

# An enum in the schema; checked by the tool itself (params.check_states), so that a wrong one
# gets the CLI's own error and hint.
State = Annotated[str, WithJsonSchema({"type": "string", "enum": list(LISTABLE_STATES)})]
SandboxRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_IDENTIFIER_LENGTH,
        description="The sandbox's name or ID.",
    ),
]
WaitSeconds = Annotated[
    float,
    Field(
        ge=1,
        le=3600,
        description="Wait at most this many seconds for the sandbox to get there "
        f"(default {DEFAULT_WAIT_TIMEOUT:g}); it carries on in the background after that.",
    ),
]
StartSeconds = Annotated[
    float | None,
    Field(
        ge=1,
        le=3600,
        description=f"Wait at most this many seconds for it to start (default "
        f"{DEFAULT_WAIT_TIMEOUT:g}, {DEFAULT_RESTORE_TIMEOUT:g} to restore an archived one); it "
        "carries on in the background after that.",
    ),
]
Limit = Annotated[int, Field(ge=1, le=1000, description="At most this many items (default 100).")]
Pairs = dict[str, str]


class Sandbox(BaseModel):
    """A Daytona sandbox, the API's object as it is (openapi.yaml ``Sandbox``)."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(description="The sandbox's ID.")
    name: str | None = Field(default=None, description="Its name (its ID when none was given).")
    state: str | None = Field(default=None, description="Its state: started, stopped, ...")


class Deletion(BaseModel):
    """The sandbox being deleted or deleted, the API's object as it is; or, when it was not
    found and ignore_not_found was true, ``{"notFound": true}`` alone."""

    model_config = ConfigDict(extra="allow")
    id: str | None = Field(default=None, description="The sandbox's ID (absent when not found).")
    name: str | None = Field(default=None, description="Its name, as it was before the delete.")
    state: str | None = Field(default=None, description="Its state: destroying, destroyed.")
    notFound: bool | None = Field(  # in the API's case, as its own fields
        default=None,
        description="True when there was no such sandbox and ignore_not_found made that a "
        "success (nothing was deleted).",
    )


class SandboxList(BaseModel):
    sandboxes: list[Sandbox] = Field(description="The sandboxes, most recently active first.")
    truncated: bool = Field(description="True when there were more than the limit.")


class Snapshot(BaseModel):
    """A snapshot, the API's object as it is (openapi.yaml ``SnapshotDto``)."""

    model_config = ConfigDict(extra="allow")
    name: str | None = Field(default=None, description="The snapshot's name.")
    state: str | None = Field(default=None, description="Its state: active, ...")


class SnapshotList(BaseModel):
    snapshots: list[Snapshot] = Field(description="The snapshots.")
    truncated: bool = Field(description="True when there were more than the limit.")


class CommandOutput(BaseModel):
    exitCode: int = Field(  # the API's name
        description="The command's exit code; -1: it could not be started, or a signal "
        "killed it (its output so far is kept)."
    )
    stdout: str = Field(
        description="What the command wrote to stdout (with its stderr too on a server without "
        "a toolbox session API, where the two come merged)."
    )
    stderr: str = Field(description="What the command wrote to stderr.")


def register_tools(server: MCPServer[Any], answer: Answer, session: Session) -> None:
    for register in (_lists, _create, _one_sandbox, _lifecycle, _execute):
        register(server, answer, session)


def _lists(server: MCPServer[Any], answer: Answer, session: Session) -> None:
    @server.tool(name="list_sandboxes", title="List sandboxes", annotations=READ_ONLY)
    def list_sandboxes(
        labels: Annotated[
            Pairs | None, Field(description="Only sandboxes with all of these labels.")
        ] = None,
        states: Annotated[
            list[State] | None, Field(description="Only sandboxes in one of these states.")
        ] = None,
        name_prefix: Annotated[
            str | None, Field(description="Only names that start with this (any case).")
        ] = None,
        limit: Limit = 100,
    ) -> Annotated[CallToolResult, SandboxList]:
        """List sandboxes, most recently active first, with their state, snapshot and
        resources; filters all must match."""
        return answer(
            "list_sandboxes",
            lambda: tools.list_sandboxes(
                session, labels=labels, states=states, name_prefix=name_prefix, limit=limit
            ),
        )

    @server.tool(name="list_snapshots", title="List snapshots", annotations=READ_ONLY)
    def list_snapshots(
        name: Annotated[str | None, Field(description="Only names containing this.")] = None,
        limit: Limit = 100,
    ) -> Annotated[CallToolResult, SnapshotList]:
        """List the snapshots sandboxes can be created from (create_sandbox's snapshot)."""
        return answer(
            "list_snapshots", lambda: tools.list_snapshots(session, name=name, limit=limit)
        )


def _one_sandbox(server: MCPServer[Any], answer: Answer, session: Session) -> None:
    @server.tool(name="get_sandbox", title="Get a sandbox", annotations=READ_ONLY)
    def get_sandbox(sandbox: SandboxRef) -> Annotated[CallToolResult, Sandbox]:
        """Everything about one sandbox: state (and why it failed), snapshot, resources,
        labels, environment variable names, network, auto-stop and auto-delete, times."""
        return answer("get_sandbox", lambda: tools.get_sandbox(session, sandbox))

    @server.tool(name="delete_sandbox", title="Delete a sandbox", annotations=DESTRUCTIVE)
    def delete_sandbox(
        sandbox: SandboxRef,
        wait: Annotated[
            bool, Field(description="Return once it is gone, not once deletion started.")
        ] = False,
        timeout: WaitSeconds = DEFAULT_WAIT_TIMEOUT,
        ignore_not_found: Annotated[
            bool,
            Field(
                description="A missing sandbox is not an error: the answer is then "
                '{"notFound": true} (as after a delete with wait, or by name).'
            ),
        ] = False,
    ) -> Annotated[CallToolResult, Deletion]:
        """Delete a sandbox and everything in it; this cannot be undone. Deleting one by ID
        again while it is still being deleted succeeds; once it is gone (at once when named by
        name) it is not found, an error unless ignore_not_found is true."""
        return answer(
            "delete_sandbox",
            lambda: tools.delete_sandbox(
                session, sandbox, wait=wait, timeout=timeout, ignore_not_found=ignore_not_found
            ),
        )


def _lifecycle(server: MCPServer[Any], answer: Answer, session: Session) -> None:
    @server.tool(name="start_sandbox", title="Start a sandbox", annotations=LIFECYCLE)
    def start_sandbox(
        sandbox: SandboxRef, timeout: StartSeconds = None
    ) -> Annotated[CallToolResult, Sandbox]:
        """Start a sandbox and wait until it has started; a started one is fine, a paused
        one resumes, an archived one is restored (slower)."""
        return answer("start_sandbox", lambda: tools.start_sandbox(session, sandbox, timeout))

    @server.tool(name="stop_sandbox", title="Stop a sandbox", annotations=LIFECYCLE)
    def stop_sandbox(
        sandbox: SandboxRef, timeout: WaitSeconds = DEFAULT_WAIT_TIMEOUT
    ) -> Annotated[CallToolResult, Sandbox]:
        """Stop a sandbox and wait until it has stopped; a stopped one is fine. Its files
        are kept; a sandbox whose auto-delete is 0 is deleted by its stop."""
        return answer("stop_sandbox", lambda: tools.stop_sandbox(session, sandbox, timeout))


def _execute(server: MCPServer[Any], answer: Answer, session: Session) -> None:
    @server.tool(name="execute_command", title="Run a command in a sandbox", annotations=RUNS_CODE)
    async def execute_command(
        sandbox: SandboxRef,
        command: Annotated[
            str,
            Field(
                min_length=1,
                description="One shell command line, run as it is: pipes, && and "
                "redirections work.",
            ),
        ],
        cwd: Annotated[str | None, Field(description="Working directory in the sandbox.")] = None,
        timeout: Annotated[
            int | None,
            Field(
                ge=1,
                le=MAX_SECONDS,
                description="Kill the command after this many seconds: a timeout error that "
                "still carries its output so far (exitCode null); default: no limit.",
            ),
        ] = None,
        start: Annotated[
            bool, Field(description="Start the sandbox first if it is not started.")
        ] = False,
    ) -> Annotated[CallToolResult, CommandOutput]:
        """Run a shell command in a started sandbox and return its exit code and output. A
        sandbox that is not started is an error unless start is true. A command cut short (its
        timeout) is an error that still carries its stdout and stderr so far, exitCode null."""
        cancel = Cancel()
        return await cancellable(
            session,
            cancel,
            lambda: answer(
                "execute_command",
                lambda: tools.execute_command(
                    session, sandbox, command, cwd=cwd, timeout=timeout, start=start, cancel=cancel
                ),
            ),
        )


async def cancellable(
    session: Session, cancel: Cancel, work: Callable[[], CallToolResult]
) -> CallToolResult:
    """``work`` in a worker thread, given up when the call is cancelled (the SDK cancels the
    call's task on ``notifications/cancelled``, and every call's when stdin ends), and its
    command then killed (``cancel``; at most :data:`STOP_GRACE` seconds): a thread the SDK
    waited for instead would keep the command, the call and the server going to its end."""
    try:
        return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True), anyio.move_on_after(STOP_GRACE):
            await anyio.to_thread.run_sync(cancel.stop, session.app, abandon_on_cancel=True)
        raise


# create_sandbox's inputs.
NewName = Annotated[str | None, Field(description="Its name (default: its ID).")]
FromSnapshot = Annotated[
    str | None, Field(description="Snapshot to create it from (default: the server's).")
]
FromImage = Annotated[
    str | None,
    Field(
        description="Build from this image instead (python:3.12-slim); the only way to choose "
        "cpu, memory and disk."
    ),
]
Cores = Annotated[int | None, Field(ge=1, description="CPU cores (with image).")]
MemoryGiB = Annotated[int | None, Field(ge=1, description="Memory in GiB (with image).")]
DiskGiB = Annotated[int | None, Field(ge=1, description="Disk in GiB (with image).")]
NewLabels = Annotated[Pairs | None, Field(description="Labels to set.")]
NewEnv = Annotated[Pairs | None, Field(description="Environment variables in the sandbox.")]
AutoStop = Annotated[
    int | None,
    Field(ge=0, description="Stop after this many idle minutes (server default 15); 0 never."),
]
AutoDelete = Annotated[
    int | None,
    Field(ge=-1, description="Delete this many minutes after it stops; 0 on stop, -1 never."),
]
BlockAll = Annotated[bool, Field(description="Block all network access from the sandbox.")]
Region = Annotated[
    str | None, Field(description="Region (default: DAYTONA_TARGET, else the server's).")
]


def _create(server: MCPServer[Any], answer: Answer, session: Session) -> None:
    @server.tool(name="create_sandbox", title="Create a sandbox", annotations=CHANGES)
    def create_sandbox(
        name: NewName = None,
        snapshot: FromSnapshot = None,
        image: FromImage = None,
        cpu: Cores = None,
        memory: MemoryGiB = None,
        disk: DiskGiB = None,
        labels: NewLabels = None,
        env: NewEnv = None,
        auto_stop: AutoStop = None,
        auto_delete: AutoDelete = None,
        network_block_all: BlockAll = False,
        target: Region = None,
        timeout: WaitSeconds = DEFAULT_WAIT_TIMEOUT,
    ) -> Annotated[CallToolResult, Sandbox]:
        """Create a sandbox and wait until it has started. If the wait fails, the sandbox
        still exists: the error's structured content has it under "sandbox"."""

        def create() -> tools.ToolResult:
            opts = tools.create_options(
                name=name, snapshot=snapshot, image=image, cpu=cpu, memory=memory, disk=disk,
                labels=labels, env=env, auto_stop=auto_stop, auto_delete=auto_delete,
                network_block_all=network_block_all, target=target,
            )  # fmt: skip
            return tools.create_sandbox(session, opts, timeout)

        return answer("create_sandbox", create)
