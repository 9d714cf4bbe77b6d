"""Benchmark ``sandbox exec``'s streaming route and ``sandbox cp`` against the loopback fake.

    .venv/bin/python bench/exec_cp.py [--quick] [--runs N] [--latency SECONDS] [--cp-mib N]
                                      [--output PATH]

Reuses ``bench/run.py``'s fake server, launcher and timing (whole processes, tools taking
turns, medians), and measures:

- ``exec ID -- echo hi`` through a streamed session against ``exec --merged`` (one request),
  with the fake holding every answer ``--latency`` seconds (default 0.05);
- time to first byte: a command that prints its clock once a second; each line's arrival on our
  stdout minus the moment the shell printed it (the fake runs on this machine, one clock);
- ``cp`` of ``--cp-mib`` MiB (default 256) up and down against ``curl`` doing the same requests
  to the same fake, with each process's peak memory: on loopback at full speed (about 1 GB/s
  here, where the whole transfer takes curl a fraction of a second and start-up counts), and
  with the fake's file routes capped at ``--link`` bytes a second (default 125 MB/s, a 1 Gbit/s
  link) as over a real network.

Prints a markdown report and writes it to ``bench/results/exec-cp.md``. Standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run as bench  # noqa: E402

MIB = 1024 * 1024
TICKS = 5
"""Lines the time-to-first-byte command prints, one a second (2 under ``--quick``)."""


@dataclass
class Options:
    runs: int
    quick: bool
    latency: float
    cp_mib: int
    link: float
    output: Path


def sandbox_id(cli: list[str], env: dict[str, str], cwd: Path) -> tuple[str, str]:
    """The seeded sandbox's ID and its toolbox base URL."""
    listed = subprocess.run(
        [*cli, "sandbox", "list", "--json"], env=env, cwd=cwd, capture_output=True, check=True
    )
    first = json.loads(listed.stdout)[0]
    return first["id"], f"{first['toolboxProxyUrl'].rstrip('/')}/{first['id']}"


def exec_rows(report: bench.Report, options: Options, cli: list[str], env: dict[str, str],
              cwd: Path, server: bench.FakeServer, box: str) -> None:  # fmt: skip
    server.command(f"latency {options.latency}")
    name = f"`exec -- echo hi`, {options.latency * 1000:g} ms a request"
    contenders = [
        bench.Contender("streaming", [[*cli, "sandbox", "exec", box, "--", "echo", "hi"]]),
        bench.Contender("--merged", [[*cli, "sandbox", "exec", "--merged", box, "--", "echo", "hi"]]),
    ]  # fmt: skip
    bench.measure(report, name, contenders, options, env, cwd, server,  # type: ignore[arg-type]
                  check=bench.expect_output("hi"))  # fmt: skip


def first_bytes(
    cli: list[str], env: dict[str, str], cwd: Path, box: str, merged: bool, ticks: int
) -> list[float]:
    """Seconds from each line's printing in the sandbox to its arrival here."""
    line = f"for i in $(seq {ticks}); do date +%s.%N; sleep 1; done"
    flags = ["--merged"] if merged else []
    process = subprocess.Popen(
        [*cli, "sandbox", "exec", *flags, box, "--", line], env=env, cwd=cwd,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    delays = [time.time() - float(text) for text in iter(process.stdout.readline, b"")]
    process.stdout.close()
    process.wait()
    return delays


def link_name(rate: float) -> str:
    return f"{rate / 1e6:g} MB/s" if rate else "loopback"


def cp_rows(report: bench.Report, options: Options, cli: list[str], env: dict[str, str],
            cwd: Path, server: bench.FakeServer, box: str, base: str,
            rate: float) -> None:  # fmt: skip
    server.command("latency 0")
    server.command(f"bandwidth {rate}")
    source = cwd / "big.bin"
    with source.open("wb") as sink:
        for _ in range(options.cp_mib):
            sink.write(os.urandom(MIB))
    auth = ["-H", f"Authorization: Bearer {bench.API_KEY}"]
    curl = ["curl", "-sS", "--fail", *auth]
    size = f"{options.cp_mib} MiB, {link_name(rate)}"

    def same(path: Path) -> bench.Check:
        def check(samples: list[bench.Sample]) -> str | None:
            return None if path.stat().st_size == source.stat().st_size else f"{path}: wrong size"

        return check

    up = [
        bench.Contender("daytona-cli", [[*cli, "sandbox", "cp", str(source), f"{box}:/tmp/up.bin"]]),
        bench.Contender("curl", [[*curl, "-o", "/dev/null", "-H", "Expect:", "-H",
                                  "Content-Type: application/octet-stream", "-T", str(source),
                                  "-X", "POST", f"{base}/files/upload-v2?path=/tmp/up-curl.bin"]]),
    ]  # fmt: skip
    bench.measure(report, f"`cp` up, {size}", up, options, env, cwd, server,  # type: ignore[arg-type]
                  memory=True)  # fmt: skip
    down_cli, down_curl = cwd / "down.bin", cwd / "down-curl.bin"
    down = [
        bench.Contender("daytona-cli", [[*cli, "sandbox", "cp", f"{box}:/tmp/up.bin", str(down_cli)]]),
        bench.Contender("curl", [[*curl, "-o", str(down_curl),
                                  f"{base}/files/download?path=/tmp/up.bin"]]),
    ]  # fmt: skip
    bench.measure(report, f"`cp` down, {size}", down, options, env, cwd, server,  # type: ignore[arg-type]
                  memory=True, check=same(down_cli))  # fmt: skip
    for path in (source, down_cli, down_curl):
        path.unlink(missing_ok=True)


def render(options: Options, report: bench.Report, delays: dict[str, list[float]],
           started: datetime.datetime) -> str:  # fmt: skip
    lines = ["# daytona-cli exec and cp benchmark", ""]
    lines.append(
        f"Run {started:%Y-%m-%d %H:%M} UTC; {options.runs} timed run(s) per row"
        + (" (`--quick`)" if options.quick else " after one untimed warm-up")
        + f"; exec at {options.latency * 1000:g} ms per answer; cp at no latency, on loopback "
        + f"and with file transfers capped at {link_name(options.link)}."
    )
    lines += ["", "## Machine", "", *bench.machine(), "", "## Timings", ""]
    lines += ["| measurement | tool | median (s) | min (s) | max (s) | CPU (s) | peak RSS (MiB) "
              "| fake CPU (s) |", "|---|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for row in report.rows:
        if row.status is not None:
            lines.append(f"| {row.measurement} | {row.tool} | {row.status} | | | | | |")
            continue
        peak = f"{row.peak_rss / MIB:.1f}" if row.memory and row.peak_rss else ""
        lines.append(
            f"| {row.measurement} | {row.tool} | {row.median:.3f} | {min(row.seconds):.3f} "
            f"| {max(row.seconds):.3f} | {statistics.median(row.cpu):.3f} | {peak} "
            f"| {statistics.median(row.fake_cpu):.3f} |"
        )
    lines += ["", "Time from a line's printing in the sandbox to its arrival on stdout "
              f"({len(delays['streaming'])} lines, one a second):", ""]  # fmt: skip
    lines += ["| route | first line (s) | median (s) | max (s) |", "|---|---:|---:|---:|"]
    for route, found in delays.items():
        lines.append(
            f"| {route} | {found[0]:.3f} | {statistics.median(found):.3f} | {max(found):.3f} |"
            if found else f"| {route} | n/a | | |"
        )  # fmt: skip
    lines += ["", "## Targets", "", "| target | measured | limit | result |", "|---|---:|---:|---|"]
    for target in targets(options, report, delays):
        measured = "n/a" if target.value is None else f"{target.value:.2f}"
        unit = " MiB" if target.unit == "MiB" else (" s" if target.unit == "s" else "")
        limit = f"{'<' if target.strict else '≤'} {target.limit:g}{unit}"
        lines.append(f"| {target.what} | {measured}{unit} | {limit} | {target.result} |")
    lines += ["", "## Notes", "", *[f"- {note}" for note in report.notes or ["none"]]]
    return "\n".join(lines) + "\n"


def targets(options: Options, report: bench.Report,
            delays: dict[str, list[float]]) -> list[bench.Target]:  # fmt: skip
    exec_name = next(row.measurement for row in report.rows if row.measurement.startswith("`exec"))
    value, why = bench.ratio(report, exec_name, "streaming", "--merged")
    found = [bench.Target(f"{exec_name}: streaming / --merged", value, 1.6, "ratio", why)]
    stream = delays.get("streaming") or []
    found.append(bench.Target("time to first byte, streaming, worst line", max(stream)
                              if stream else None, 0.5, "s", strict=True))  # fmt: skip
    for way, rate in (("up", 0), ("down", 0), ("up", options.link), ("down", options.link)):
        name = f"`cp` {way}, {options.cp_mib} MiB, {link_name(rate)}"
        value, why = bench.ratio(report, name, "daytona-cli", "curl")
        found.append(bench.Target(f"{name}: daytona-cli / curl", value, 1.3, "ratio", why))
        row = report.row(name, "daytona-cli")
        peak = row.peak_rss if row is not None else None
        found.append(bench.Target(f"{name}: daytona-cli peak memory",
                                  None if peak is None else peak / MIB, 80.0, "MiB",
                                  strict=True))  # fmt: skip
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/exec_cp.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run, 4 MiB, seconds")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per row (default 7)")
    parser.add_argument("--latency", type=float, default=0.05, help="for the exec rows")
    parser.add_argument("--cp-mib", type=int, default=None, help="cp size (default 256)")
    parser.add_argument("--link", type=float, default=125e6, help="capped rate, bytes/s")
    parser.add_argument("--output", type=Path, default=bench.RESULTS / "exec-cp.md")
    args = parser.parse_args(argv)
    options = Options(
        runs=args.runs or (1 if args.quick else 7),
        quick=args.quick,
        latency=args.latency,
        cp_mib=args.cp_mib or (4 if args.quick else 256),
        link=args.link,
        output=args.output,
    )
    report = bench.Report()
    started = datetime.datetime.now(datetime.timezone.utc)
    cli = bench.cli_command()
    with tempfile.TemporaryDirectory(prefix="daytona-bench-") as tmp:
        workdir = Path(tmp)
        server = bench.FakeServer(0.0, 0.0, workdir / "fake-server.log")
        try:
            env = bench.child_env(server.url)
            server.command("seed 1")
            box, base = sandbox_id(cli, env, workdir)
            exec_rows(report, options, cli, env, workdir, server, box)
            ticks = 2 if options.quick else TICKS
            delays = {
                "streaming": first_bytes(cli, env, workdir, box, merged=False, ticks=ticks),
                "--merged": first_bytes(cli, env, workdir, box, merged=True, ticks=ticks),
            }
            for rate in (0.0, options.link):
                cp_rows(report, options, cli, env, workdir, server, box, base, rate)
        finally:
            server.close()
    text = render(options, report, delays, started)
    print(text, end="")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text)
    missing = incomplete(report, delays)
    for what in missing:
        print(f"bench/exec_cp.py: not measured: {what}", file=sys.stderr)
    return 1 if missing else 0


def incomplete(report: bench.Report, delays: dict[str, list[float]]) -> list[str]:
    """What daytona-cli and the fake alone should have measured and did not (curl may be
    missing from a machine; daytona-cli failing is the report being wrong)."""
    missing = [f"{row.measurement}, {row.tool}: {row.status}" for row in report.rows
               if row.status is not None and row.tool != "curl"]  # fmt: skip
    missing += [f"time to first byte, {route}" for route, found in delays.items() if not found]
    return missing


if __name__ == "__main__":
    sys.exit(main())
