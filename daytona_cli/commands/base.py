"""How help and usage read: the command and group classes every command is registered with.

Click's defaults, kept by Typer, do not read like the rest of the help: a required argument is
shown in braces (``{NAME_OR_ID}``), a command's one-line summary is cut at a width with ``...``,
and an alias has no place in the list of commands. These classes fix that once, for every
command; ``commands/options.py`` gives every option a placeholder (``--cpu N``) and words its
limits, so no ``<int range>`` or ``[x>=1]`` reaches the help.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import typer

from daytona_cli.typer_compat import TyperCommand, TyperGroup


def first_sentence(text: str | None) -> str:
    """The first sentence of a help text's first paragraph, whole (never cut with ``...``)."""
    paragraph = (text or "").strip().split("\n\n")[0]
    words = paragraph.split()
    for index, word in enumerate(words):
        if word.endswith("."):
            return " ".join(words[: index + 1])
    return " ".join(words)


def _usage_pieces(command: Any, ctx: Any) -> list[str]:
    """``[OPTIONS] NAME_OR_ID -- COMMAND [ARG...]``: arguments by their placeholder, no braces."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name != "argument":
            pieces += param.get_usage_pieces(ctx)
            continue
        shown = param.human_readable_name
        if not param.required and not shown.startswith("["):
            shown = f"[{shown}]"
        pieces.append(shown)
    return pieces


class NotUtf8(typer.BadParameter):
    """An argument that is not UTF-8 (bytes the OS handed over that do not decode, kept as
    surrogate escapes): the API takes only UTF-8 text, so it is a usage error."""

    def __init__(self, value: str, ctx: Any, param: Any) -> None:
        shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        super().__init__(
            f"'{shown}' is not valid UTF-8 text, which the Daytona API needs", ctx=ctx, param=param
        )


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, str)]
    return []


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@contextlib.contextmanager
def _in_context(ctx: Any) -> Iterator[None]:
    """Click's parser raises some usage errors (an option missing its value) without the
    command's context: give them this one, so that they get the usage line, a hint, and the
    command's own exit code (exec's 125) like every other usage error."""
    try:
        yield
    except typer.TyperException as err:  # Click's UsageError and kin, as Typer vendors them
        if getattr(err, "ctx", False) is None:
            err.ctx = ctx  # type: ignore[attr-defined]
            err.cmd = ctx.command  # type: ignore[attr-defined]
        raise


class Command(TyperCommand):
    """A command whose summary is its help's whole first sentence and whose usage has no braces;
    its text arguments must be UTF-8 (a usage error otherwise, before anything runs)."""

    local_paths: tuple[str, ...] = ()
    """Parameters that may be local file names: any bytes the OS allows, so not checked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.short_help:
            self.short_help = first_sentence(self.help)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage_pieces(self, ctx)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _in_context(ctx):
            rest: list[str] = super().parse_args(ctx, args)
        if ctx.resilient_parsing:  # completing a word: nothing is run
            return rest
        for param in self.get_params(ctx):
            if param.name in self.local_paths:
                continue
            for text in _texts(ctx.params.get(param.name)):
                if not _is_utf8(text):
                    raise NotUtf8(text, ctx, param)
        return rest


class TargetThenCommand(Command):
    """A command of the form ``NAME_OR_ID [options] [--] COMMAND [ARG...]`` (exec, ssh): the
    first word after the sandbox begins the remote command, so its own options (``ls -la``,
    ``echo --json``) are never taken for ours even without ``--``, as ``docker exec`` does."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _separated(args, _value_options(self.get_params(ctx))))


def _value_options(params: list[Any]) -> set[str]:
    """The option words that take a value (``--cwd``, ``-e``), not flags."""
    return {
        word
        for param in params
        if getattr(param, "param_type_name", "") == "option" and not getattr(param, "is_flag", True)
        for word in param.opts
    }


def _separated(args: list[str], takes_value: set[str]) -> list[str]:
    """``args`` with ``--`` put before the second positional word, unless one is there."""
    positionals = 0
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            return args
        if word.startswith("-") and word != "-":
            if word in takes_value:
                index += 1  # its value is the next word, whatever it looks like
        else:
            positionals += 1
            if positionals == 2:
                return [*args[:index], "--", *args[index:]]
        index += 1
    return args


class Group(TyperGroup):
    """A group of commands: whole summaries, and aliases (``ls`` for ``list``) shown beside names.

    ``aliases`` maps an alias to the command it stands for; the alias runs that command and
    completes like it, and help lists it next to the command's name.
    """

    aliases: Mapping[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.short_help:
            self.short_help = first_sentence(self.help)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _in_context(ctx):
            rest: list[str] = super().parse_args(ctx, args)
        return rest

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # Named by an alias, the command still calls itself by its name (usage, errors).
        name, command, rest = super().resolve_command(ctx, args)
        return (self.aliases.get(name, name) if name else name), command, rest

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            names = [name, *sorted(alias for alias, real in self.aliases.items() if real == name)]
            rows.append((", ".join(names), command.get_short_help_str(limit=10**6)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def group_with_aliases(aliases: Mapping[str, str]) -> type[Group]:
    """A :class:`Group` class for ``typer.Typer(cls=...)`` with these aliases."""
    return type("AliasGroup", (Group,), {"aliases": dict(aliases)})


def help_when_no_command(ctx: typer.Context) -> None:
    """``daytona-cli``, ``daytona-cli sandbox``...: with no command, the help on stdout, exit 0."""
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:
        from daytona_cli.context import AppContext

        AppContext.of(ctx).output.write(ctx.get_help() + "\n")
        raise typer.Exit(0)


MAX_SECONDS = 31_536_000
"""The most a seconds option takes: a year (365 days). Far beyond it, timeouts overflow what
sockets and clocks can hold (``OverflowError``); a wait meant never to end is 0 (or, for exec,
no --timeout)."""


def at_least(
    minimum: float, maximum: float | None = None, *, beyond: str = ""
) -> Callable[[Any], Any]:
    """An option ``callback=`` that refuses values out of range (a usage error, exit 2);
    ``beyond`` follows the maximum in the message (what the limit is).

    Used instead of Typer's ``min=``/``max=``, whose ``[x>=1]`` in the help and
    ``is not in the range x>=1`` in errors do not read like the rest of the CLI.
    """

    def check(value: Any) -> Any:
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is None:
                continue
            if isinstance(item, float) and not math.isfinite(item):
                raise typer.BadParameter(f"{item} is not a number of seconds")
            if item < minimum:
                raise typer.BadParameter(f"{_shown(item)} is less than {_shown(minimum)}")
            if maximum is not None and item > maximum:
                raise typer.BadParameter(f"{_shown(item)} is more than {_shown(maximum)}{beyond}")
        return value

    return check


def seconds(minimum: float) -> Callable[[Any], Any]:
    """:func:`at_least` for a number of seconds: at most :data:`MAX_SECONDS`."""
    return at_least(minimum, MAX_SECONDS, beyond=" (a year)")


def _shown(number: float) -> str:
    """A number as people write it: ``31536000``, not ``3.1536e+07``; ``1e+30`` when long."""
    whole = float(number).is_integer() and abs(number) < 1e16
    return str(int(number)) if whole else f"{number:g}"
