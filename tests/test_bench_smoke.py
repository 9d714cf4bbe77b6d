"""The benchmark script runs, end to end, on tiny sizes, so that it cannot rot.

It times nothing that matters here (``--quick``: one run, five sandboxes, no SDK, no node); it
checks that ``bench/run.py`` still starts the fake, drives every command it measures, and prints
its report with every heading.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "bench" / "run.py"
HEADINGS = ("# daytona-cli benchmark", "## Machine", "## Timings", "## Targets", "## Notes")
NUMBER = r"\d+\.\d{3}"


def test_quick_benchmark_prints_its_report(tmp_path: Path) -> None:
    output = tmp_path / "latest.md"
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = result.stdout
    positions = [report.find(heading) for heading in HEADINGS]
    assert all(position >= 0 for position in positions), report
    assert positions == sorted(positions), report
    assert output.read_text() == report
    # The rows that need nothing but daytona-cli and the fake are measured, not n/a.
    for measurement, tool in [
        ("`--version`", "daytona-cli"),
        ("`--help`", "daytona-cli"),
        ("`--help`", "Typer floor"),
        ("`sandbox list --json`, 5", "daytona-cli"),
        ("`sandbox list --json`, 5", "Typer floor"),
        ("`create` + `exec echo` + `delete`", "daytona-cli"),
        ("bulk delete of 5 at 50 ms", "sequential loop"),
    ]:
        row = rf"\| {re.escape(measurement)} \| {re.escape(tool)} \| {NUMBER} \|"
        assert re.search(row, report), f"{measurement} by {tool} not measured:\n{report}"
    # What --quick leaves out is said, row by row.
    assert "| daytona SDK | skipped (--quick) |" in report
    assert "| E2B CLI | skipped (--quick) |" in report
    for target in ("daytona-cli / SDK script", "daytona-cli / Typer floor", "peak memory"):
        assert target in report
