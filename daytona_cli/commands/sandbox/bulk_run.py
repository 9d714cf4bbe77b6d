"""A verb on many sandboxes: pick the targets, guard, confirm, act concurrently, report.

Shared by delete, start and stop; a new verb is a :class:`Verb`, an action for one target, and a
call to :func:`run_bulk`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import typer

from daytona_cli.bulk import (
    DEFAULT_PARALLEL,
    IN_FLIGHT,
    NOT_STARTED,
    Action,
    BulkInterrupted,
    Outcome,
    Selector,
    Target,
    may_repeat,
    resolve,
    run_all,
    select,
    unique,
)
from daytona_cli.context import AppContext
from daytona_cli.errors import EXIT_CODES, Category, CliError, usage
from daytona_cli.params import check_identifier
from daytona_cli.render.sandbox import OUTCOME_COLUMNS, aligned, describe
from daytona_cli.render.text import count
from daytona_cli.states import STOP_GOALS
from daytona_cli.types import JSONObject

SHOWN = 20
"""Targets listed in a confirmation; the rest are counted ("…and 5 more")."""


@dataclass(frozen=True)
class Verb:
    """``name`` as typed (``delete``), ``done`` as reported (``deleted``), whether to confirm."""

    name: str
    done: str
    confirm: bool
    past: str = ""
    """The verb in "nothing was ...", when ``done`` is not that (``deletion started``)."""


@dataclass
class BulkOptions:
    """What the user chose: targets by name, a selector, and the guards around acting."""

    names: Sequence[str] = ()
    selector: Selector = field(default_factory=Selector)
    yes: bool = False
    dry_run: bool = False
    max_count: int | None = None
    parallel: int = DEFAULT_PARALLEL
    json_output: bool = False
    ignore_not_found: bool = False


def run_bulk(app: AppContext, verb: Verb, opts: BulkOptions, action: Action) -> None:
    """Act on every target; exit with the first failure's code (in the targets' order).

    Named targets alone keep the plain contract (JSON: the API's objects). With selectors the
    report is one outcome per sandbox (JSON: ``{"id", "name", "ok", "error"}``).
    """
    named = unique([check_identifier(name) for name in opts.names])
    if not named and not opts.selector.active:
        raise usage(
            f"nothing to {verb.name}: give sandbox names or IDs, or select them with "
            "--label, --state, --name, --older-than or --idle-for, or --all",
        )
    targets = select(app.client(), named, opts.selector, opts.max_count)
    out = app.output
    asks = verb.confirm and not opts.yes and out.can_prompt(app.no_input)
    if opts.dry_run or asks or may_repeat(named):
        # Names become IDs (shown, and acted on), and a name given with its ID counts once.
        targets = resolve(app.client(), targets)
    if not targets:
        out.info("No sandboxes matched.")
        if opts.json_output:
            out.json([])
        return
    if opts.dry_run:
        _show_dry_run(app, verb, opts, targets)
        return
    if verb.confirm and not opts.yes:
        _confirm(app, verb, targets)
    try:
        outcomes = _act(app, verb, opts, targets, action)
    except BulkInterrupted as stopped:
        _report(app, verb, opts, stopped.outcomes)
        if len(targets) == 1 and stopped.cause is not None:
            raise stopped.cause from None  # it says what carries on and how to follow it up
        shown = opts.selector.active and not opts.json_output  # the table names each one
        word = "terminated" if app.terminated else "interrupted"
        raise _interrupted(stopped.outcomes, named=not shown, word=word) from None
    failures = [outcome.error for outcome in outcomes if outcome.error is not None]
    _report(app, verb, opts, outcomes)
    if failures:
        raise typer.Exit(failures[0].exit_code)


def _show_dry_run(app: AppContext, verb: Verb, opts: BulkOptions, targets: list[Target]) -> None:
    """What would be done, every line with the ID; a missing named target is not found (exit 3,
    or a note with ``ignore_not_found``)."""
    out = app.output
    found = [t for t in targets if not t.missing]
    missing = [t for t in targets if t.missing]
    if opts.json_output:
        out.json([{"id": t.ident or t.key, "name": t.name} for t in found])
    else:
        rows = [{"name": t.name or t.key, "id": t.ident or "", "result": f"would {verb.name}"}
                for t in found]  # fmt: skip
        out.table(OUTCOME_COLUMNS, [rows])
        out.info(
            f"Dry run: would {verb.name} {count(len(found), 'sandbox', 'sandboxes')}; "
            "nothing was changed."
        )
    for target in missing:
        if opts.ignore_not_found:
            out.info(f"Sandbox {target.key} not found; nothing to {verb.name}")
            continue
        out.error(
            CliError(
                Category.NOT_FOUND,
                f"Sandbox with ID or name {target.key} not found",
                status=404,
                subject=target.key,
            )
        )
    if missing and not opts.ignore_not_found:
        raise typer.Exit(EXIT_CODES[Category.NOT_FOUND])


def _confirm(app: AppContext, verb: Verb, targets: list[Target]) -> None:
    """Ask once, listing the targets one per line (name, ID, state), at most :data:`SHOWN`."""
    out = app.output
    if not out.can_prompt(app.no_input):
        why = f"{app.no_input_reason}, so it never prompts" if app.no_input_reason else None
        raise usage(
            f"refusing to {verb.name} without confirmation: {why or 'no terminal to ask on'}",
            hint=f"pass --yes to {verb.name} non-interactively (or --dry-run to see the targets)",
        )
    rows = [
        (t.name or t.key, t.ident or "", "not found" if t.missing else t.state or "")
        for t in targets[:SHOWN]
    ]
    lines = [f"{verb.name.capitalize()} {count(len(targets), 'sandbox', 'sandboxes')}:"]
    lines += [f"  {line}" for line in aligned(rows)]
    if len(targets) > SHOWN:
        lines.append(f"  …and {len(targets) - SHOWN} more")
    question = f"{verb.name.capitalize()} {'it' if len(targets) == 1 else 'them'}?"
    if verb.name == "delete":
        question += " This cannot be undone."
    if not out.confirm(question, lines):
        raise CliError(Category.OTHER, f"cancelled; nothing was {verb.past or verb.done}")


def _act(
    app: AppContext, verb: Verb, opts: BulkOptions, targets: list[Target], action: Action
) -> list[Outcome]:
    """Run the action on every target with progress; named targets report as each finishes."""
    out = app.output
    title = verb.name.capitalize()
    finished = 0
    with out.progress(f"{title}: 0/{len(targets)} done") as update:

        def on_done(outcome: Outcome) -> None:
            nonlocal finished
            finished += 1
            update(f"{title}: {finished}/{len(targets)} done")
            if opts.selector.active:
                return
            if outcome.error is not None:
                if len(targets) > 1:
                    outcome.error.message = f"{outcome.target.key}: {outcome.error.message}"
                out.error(outcome.error)
            elif outcome.message is not None:
                out.success(outcome.message)
            elif outcome.result is not None:
                out.success(_done_message(outcome.result, outcome.target, verb))

        # The rest wait for the first action's own answer: a listing's says nothing of whether
        # the key may act (403), so the gate is cleared here.
        gate = app.client().http.authenticated
        gate.clear()
        return run_all(targets, action, parallel=opts.parallel, on_done=on_done,
                       authenticated=gate)  # fmt: skip


def _report(app: AppContext, verb: Verb, opts: BulkOptions, outcomes: list[Outcome]) -> None:
    """The outcome of every target: a table (JSON records) with selectors; with names alone,
    the API's objects under --json (each line was printed as it finished)."""
    out = app.output
    if not opts.selector.active:
        if opts.json_output:  # an empty array when none succeeded: stdout is always JSON
            out.json([o.result for o in outcomes if o.ok and o.result is not None])
        _report_stop(app, outcomes, named=True)
        return
    if opts.json_output:
        out.json([outcome.record() for outcome in outcomes])
    else:
        rows = [{**o.record(), "result": _result_text(o, verb)} for o in outcomes]
        out.table(OUTCOME_COLUMNS, [rows])
        out.info(_summary(outcomes, verb))
    _report_stop(app, outcomes, named=False)


def _summary(outcomes: list[Outcome], verb: Verb) -> str:
    """``3 of 4 stopped.``, or with outcomes of several kinds ``92 of 92 done: 6 deletion
    started, 86 already being deleted.``"""
    kinds: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.ok:
            kind = outcome.status or verb.done
            kinds[kind] = kinds.get(kind, 0) + 1
    done = sum(kinds.values())
    if len(kinds) <= 1:
        return f"{done} of {len(outcomes)} {next(iter(kinds), verb.done)}."
    parts = ", ".join(f"{number} {kind}" for kind, number in kinds.items())
    return f"{done} of {len(outcomes)} done: {parts}."


def _result_text(outcome: Outcome, verb: Verb) -> str:
    if outcome.error is not None:
        return f"failed: {outcome.error.message}"
    return outcome.skipped or outcome.status or verb.done


def _report_stop(app: AppContext, outcomes: list[Outcome], *, named: bool) -> None:
    """After a refused key stopped the run, say so once (named targets already said it)."""
    stopped = [
        o.error for o in outcomes if o.error is not None and o.error.category is Category.AUTH
    ]
    if stopped and not named and any(o.skipped == NOT_STARTED for o in outcomes):
        app.output.error(stopped[0])


def _interrupted(
    outcomes: list[Outcome], *, named: bool = True, word: str = "interrupted"
) -> CliError:
    """Ctrl-C in a bulk action: which finished, which were in flight, which were never tried
    (by name unless ``named`` is off: the table above has just named every one)."""

    def names(kind: str | None) -> list[str]:
        return [o.target.label() for o in outcomes if o.skipped == kind]

    def listed(labels: list[str]) -> str:
        if not named:
            return ""
        shown = ", ".join(labels[:SHOWN])
        return (
            f" ({shown}, …and {len(labels) - SHOWN} more)" if len(labels) > SHOWN else f" ({shown})"
        )

    finished, flying, never = names(None), names(IN_FLIGHT), names(NOT_STARTED)
    parts = [f"{len(finished)} finished"]
    if flying:
        parts.append(f"{len(flying)} in flight, carrying on in the background{listed(flying)}")
    if never:
        parts.append(f"{len(never)} never tried{listed(never)}")
    told = "; ".join(parts) + ("" if named else " (see the table above)")
    return CliError(
        Category.INTERRUPTED,
        f"{word}: {told}",
        hint="running the same command again is safe: what is done already counts as done",
    )


def _done_message(result: JSONObject, target: Target, verb: Verb) -> str:
    shown = describe(result) if result.get("id") else target.key
    if verb.done == "deleted":
        return f"Deleted sandbox {shown}"
    current = result.get("state")
    if current == verb.done or (verb.done == "stopped" and current in STOP_GOALS):
        return f"Sandbox {shown} {current}"
    # --no-wait: the API answers before acting, still showing the state being left.
    return f"Sandbox {shown}: {verb.name} requested"
