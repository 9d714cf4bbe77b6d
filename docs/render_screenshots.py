"""Render the README's pictures: what a terminal user sees, from the test suite's fake API.

Each picture is the CLI's real output on a 120-column colour terminal (``daytona-cli`` run
in-process against ``tests/fake_daytona.py`` with fixed IDs, fixed times and a fixed clock),
turned into SVG by rich's own ``Console.export_svg``. A comment at the top of each file holds a
hash of the terminal output it shows; ``tests/test_pictures.py`` fails when the output has
changed and the pictures are stale.

    python docs/render_screenshots.py            # rewrite docs/*.svg
    python docs/render_screenshots.py --check    # exit 1 if any is stale
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from daytona_cli.app import run  # noqa: E402
from daytona_cli.clock import Clock  # noqa: E402
from daytona_cli.context import Runtime  # noqa: E402
from daytona_cli.streams import Streams  # noqa: E402
from tests.fake_daytona import FakeDaytona  # noqa: E402

WIDTH = 120
NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)
KEY = "screenshot-key"
URL = "https://app.daytona.example/api"
HASH_LINE = re.compile(r"<!-- terminal output sha256: ([0-9a-f]{64}) -->")

PICTURES = {
    "sandbox-list.svg": ["sandbox", "list"],
    "sandbox-get.svg": ["sandbox", "get", "etl-nightly"],
    "sandbox-delete.svg": ["sandbox", "delete", "-l", "team=ci", "--yes"],
}


def _at(minutes_ago: float) -> str:
    moment = NOW.timestamp() - minutes_ago * 60
    return datetime.fromtimestamp(moment, timezone.utc).isoformat().replace("+00:00", "Z")


def demo_fake() -> FakeDaytona:
    """A small organisation: fixed names, IDs, snapshots and times."""
    fake = FakeDaytona(api_key=KEY, base_url=URL, transition_seconds=0.0)
    rows = [
        (
            "etl-nightly",
            "started",
            "analytics/python-data-science:2024.10",
            4,
            8,
            20,
            "eu",
            3,
            "data",
        ),
        ("web-preview-1842", "started", "daytonaio/sandbox:0.4.3", 1, 1, 3, "us", 12, "web"),
        ("ci-run-88121-linux", "stopped", "daytonaio/sandbox:0.4.3", 2, 4, 10, "us", 95, "ci"),
        ("ci-run-88122-linux", "stopped", "daytonaio/sandbox:0.4.3", 2, 4, 10, "us", 97, "ci"),
        (
            "notebook",
            "archived",
            "jupyter/scipy-notebook:2024-07",
            2,
            4,
            10,
            "eu",
            60 * 24 * 9,
            "data",
        ),
    ]
    for index, (name, state, snapshot, cpu, memory, disk, region, idle, team) in enumerate(rows):
        fake.add_sandbox(
            name,
            id=f"7c9e6679-7425-40de-944b-e07fc1f90a{index:02d}",
            state=state,
            snapshot=snapshot,
            cpu=cpu,
            memory=memory,
            disk=disk,
            target=region,
            labels={"team": team},
            env={"PYTHONUNBUFFERED": "1"} if team == "data" else {},
            createdAt=_at(idle + 60 * 24),
            updatedAt=_at(idle),
            lastActivityAt=_at(idle),
        )
    return fake


def terminal_output(args: list[str]) -> str:
    """What ``daytona-cli ARGS`` shows on the terminal (stdout, then stderr), with colours."""
    fake = demo_fake()
    out, err = io.StringIO(), io.StringIO()
    # stderr is not a terminal, so no spinner frame (which depends on timing) is recorded.
    streams = Streams(stdout=out, stderr=err, stdin=io.StringIO(), stdout_tty=True, width=WIDTH)
    runtime = Runtime(
        environ={"DAYTONA_API_KEY": KEY, "DAYTONA_API_URL": URL},
        cwd=ROOT,
        streams=streams,
        transport=httpx.MockTransport(fake.handler),
        clock=Clock(now=lambda: NOW),
    )
    code = run(args, runtime)
    if code != 0:
        raise RuntimeError(f"daytona-cli {' '.join(args)} exited {code}: {err.getvalue()}")
    prompt = "\x1b[1;32m$\x1b[0m daytona-cli " + " ".join(args) + "\n"
    return prompt + out.getvalue() + err.getvalue()


def svg(args: list[str]) -> str:
    """The picture for ``daytona-cli ARGS``: rich's SVG export of its terminal output."""
    from rich.console import Console
    from rich.text import Text

    shown = terminal_output(args)
    console = Console(record=True, width=WIDTH, force_terminal=True, file=io.StringIO())
    console.print(Text.from_ansi(shown.rstrip("\n")), soft_wrap=True)
    digest = hashlib.sha256(shown.encode()).hexdigest()
    title = "daytona-cli " + " ".join(args)
    return f"<!-- terminal output sha256: {digest} -->\n" + console.export_svg(title=title)


def stale(directory: Path) -> list[Path]:
    """The pictures whose terminal output is no longer what the CLI shows."""
    found = []
    for name, args in PICTURES.items():
        path = directory / name
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        recorded = HASH_LINE.search(text)
        current = hashlib.sha256(terminal_output(args).encode()).hexdigest()
        if recorded is None or recorded.group(1) != current:
            found.append(path)
    return found


def main(argv: list[str]) -> int:
    directory = ROOT / "docs"
    if "--check" in argv:
        old = stale(directory)
        for path in old:
            print(f"stale: {path}; regenerate with python docs/render_screenshots.py")
        return 1 if old else 0
    for name, args in PICTURES.items():
        (directory / name).write_text(svg(args), encoding="utf-8")
        print(f"wrote docs/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
