"""The parts of Typer this CLI uses beyond its documented API, all in one place.

Typer vendors Click (``typer._click``) and may move these in any release; that is one reason it
is pinned in pyproject.toml. ``tests/test_typer_compat.py`` imports each name listed in
:data:`UNDOCUMENTED` and fails with a message naming the one that moved.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from typer.core import TyperCommand, TyperGroup

UNDOCUMENTED = (
    ("typer.core", "TyperCommand"),
    ("typer.core", "TyperGroup"),
    ("typer._completion_shared", "get_completion_script"),
    ("typer._completion_classes", "completion_init"),
    ("typer.completion", "shell_complete"),
)
"""(module, name) of everything used here: the test checks each still exists."""

__all__ = ["TyperCommand", "TyperGroup", "answer_completion", "completion_script"]


def completion_script(prog_name: str, complete_var: str, shell: str) -> str:
    """Typer's completion script for ``shell`` (bash, zsh or fish)."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell)


def answer_completion(
    command: Any,
    context_settings: MutableMapping[str, Any],
    prog_name: str,
    complete_var: str,
    instruction: str,
) -> int:
    """Print the candidates for the words in the environment in the shell's format."""
    from typer._completion_classes import completion_init
    from typer.completion import shell_complete

    completion_init()  # registers Typer's bash/zsh/fish classes with its Click
    return shell_complete(command, context_settings, prog_name, complete_var, instruction)
