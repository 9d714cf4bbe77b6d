"""The package's shape (STYLE.md): small modules and functions, no import cycles, boundaries kept.

Measured with ``ast`` on the source, so the rules hold for code that no test happens to run.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from daytona_cli import typer_compat

PACKAGE = Path(__file__).resolve().parent.parent / "daytona_cli"
MAX_MODULE_LINES = 400
MAX_FUNCTION_BODY_LINES = 60


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return found


def _runtime_imports(tree: ast.Module) -> set[str]:
    """Every module imported, at any depth, except under ``if TYPE_CHECKING:``."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def test_no_module_is_longer_than_one_reading() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_body_is_longer_than_sixty_lines() -> None:
    long = []
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = (node.end_lineno or 0) - node.body[0].lineno + 1
                if body > MAX_FUNCTION_BODY_LINES:
                    long.append(f"{name}.{node.name}: {body} lines")
    assert long == []


def test_the_package_has_no_import_cycle() -> None:
    trees = modules()
    graph = {
        name: {target for target in _runtime_imports(tree) if target in trees and target != name}
        for name, tree in trees.items()
    }
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                walk(target, [*path, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert cycles == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("daytona_cli.commands", ("httpx", "daytona_cli.app")),
        ("daytona_cli.client", ("typer", "rich", "daytona_cli.output", "daytona_cli.commands")),
        ("daytona_cli.render", ("rich", "httpx", "typer")),
    ],
)
def test_each_layer_keeps_to_its_side_of_the_boundary(
    layer: str, forbidden: tuple[str, ...]
) -> None:
    crossings = [
        f"{name} imports {target}"
        for name, tree in modules().items()
        if name.startswith(layer)
        for target in _runtime_imports(tree)
        if any(target == bad or target.startswith(bad + ".") for bad in forbidden)
    ]
    assert crossings == []


def test_only_the_client_imports_httpx() -> None:
    """``daytona_cli/client/__init__.py`` keeps httpx's command line out before any of its
    modules imports httpx; an import elsewhere could come first and load click and rich."""
    outside = sorted(
        name
        for name, tree in modules().items()
        if not name.startswith("daytona_cli.client")
        and any(
            t == "httpx" or t.startswith(("httpx.", "httpx_ws")) for t in _runtime_imports(tree)
        )
    )
    assert outside == []


def test_typers_undocumented_parts_are_reached_from_one_module_only() -> None:
    reaching = sorted(
        name
        for name, tree in modules().items()
        if any(target.startswith("typer._") for target in _runtime_imports(tree))
    )
    assert reaching == ["daytona_cli.typer_compat"]


@pytest.mark.parametrize(("module", "name"), typer_compat.UNDOCUMENTED)
def test_what_typer_compat_needs_from_typer_is_still_there(module: str, name: str) -> None:
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        pytest.fail(
            f"this Typer release no longer has {module}.{name}; daytona_cli/typer_compat.py "
            "needs updating for it (or pin Typer to a release that has it)"
        )
    assert callable(found)


COMMAND_WORDS = ("daytona-cli sandbox", "daytona-cli snapshot", "daytona-cli[", "pip install")


def test_the_client_words_no_hints_and_names_no_command() -> None:
    """The client speaks HTTP and Daytona: its errors carry data (a ``Reason``), and the
    command layer (``hints.py``) words the advice. A ``hint=`` or a ``daytona-cli ...`` in a
    string of the client would be the CLI speaking from inside it."""
    found = []
    for name, tree in modules().items():
        if not name.startswith("daytona_cli.client"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "hint":
                found.append(f"{name}:{node.lineno} hint=")
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and any(word in node.value for word in COMMAND_WORDS)
            ):
                found.append(f"{name}:{node.lineno} {node.value[:40]!r}")
    assert found == []
