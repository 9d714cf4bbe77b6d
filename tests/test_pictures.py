"""The README's pictures (docs/*.svg) show what the CLI prints now (issue 10, Pictures)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_screenshots", ROOT / "docs" / "render_screenshots.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_pictures_are_not_stale() -> None:
    stale = renderer().stale(ROOT / "docs")
    assert stale == [], (
        f"stale pictures: {', '.join(map(str, stale))}; "
        "regenerate them with `python docs/render_screenshots.py`"
    )


def test_the_readme_shows_every_picture() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in renderer().PICTURES:
        assert f"(docs/{name})" in readme, name
        assert (ROOT / "docs" / name).read_text(encoding="utf-8").count("<svg") == 1


def test_the_pictures_are_deterministic_and_show_whole_ids() -> None:
    module = renderer()
    for args in module.PICTURES.values():
        first, second = module.terminal_output(args), module.terminal_output(args)
        assert first == second
        plain = re.sub(r"\x1b\[[0-9;]*m", "", first)
        assert re.search(r"7c9e6679-7425-40de-944b-e07fc1f90a0\d", plain)
        assert all(len(line) <= module.WIDTH for line in plain.splitlines())


def test_a_changed_output_makes_a_picture_stale(tmp_path: Path) -> None:
    module = renderer()
    for name in module.PICTURES:
        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("sha256: ", "sha256: 0", 1)[:-1])
    assert len(module.stale(tmp_path)) == len(module.PICTURES)
