"""Benchmark daytona-cli side by side with what its users would otherwise reach for.

    .venv/bin/python bench/run.py [--quick] [--runs N] [--latency SECONDS] [--sizes 50,1000,10000]
                                  [--no-sdk] [--no-node] [--output PATH]

Starts the loopback fake of the Daytona API in its own process (``bench/fake_server.py``), seeds
it, and times whole processes, each several times, reporting medians:

- start-up: ``daytona-cli --version`` and ``--help``, the Typer floor's ``--help``, importing the
  official SDK, E2B's CLI ``--help`` (where node is available);
- ``sandbox list --json`` at each size, against the Typer floor (``bench/floor.py``) and a script
  using the official ``daytona`` SDK (``bench/sdk_script.py``), with each process's peak memory;
- ``sandbox create`` + ``sandbox exec ID -- echo hi`` + ``sandbox delete ID --yes``, against the
  same work through the SDK;
- deleting 100 labelled sandboxes at 50 ms latency with ``sandbox delete -l bench=bulk --yes``,
  against a sequential loop of single DELETEs (``bench/sequential_delete.py``).

Prints a markdown report (machine, timings, the targets of the performance issue with PASS/FAIL)
and writes it to ``bench/results/latest.md``. The SDK goes into a throwaway virtual environment
and E2B's CLI into an npm prefix, both under ``bench/results/`` (git-ignored); either is skipped,
with a note, when it cannot be installed. Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
SDK_VENV = RESULTS / ".sdk-venv"
SDK_REQUIREMENT = "daytona>=0.226,<0.227"
E2B_PREFIX = RESULTS / ".e2b"
E2B_PACKAGE = "@e2b/cli@2"
API_KEY = "bench-key-8d1f"
BULK_LABEL = "bench=bulk"
CHILD_TIMEOUT = 600.0
INSTALL_TIMEOUT = 900.0
MIB = 1024 * 1024

HEADINGS = ("# daytona-cli benchmark", "## Machine", "## Timings", "## Targets", "## Notes")
"""The report's headings, in order; :func:`problems` checks they are all printed."""


# -- measuring one process -----------------------------------------------------------------------


@dataclass
class Sample:
    """One finished process: wall time, its own peak resident memory, exit code, what it said."""

    command: Sequence[str]
    seconds: float
    cpu_seconds: float
    maxrss_bytes: int
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def why(self) -> str:
        """The last line of stderr (or the exit code), for a report."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        detail = lines[-1] if lines else "no output on stderr"
        return f"exit {self.returncode}: {detail[:200]}"


Check = Callable[[list[Sample]], "str | None"]
"""Looks at one run's samples (stdout captured) and says what is wrong with them, if anything."""


def run_timed(
    command: Sequence[str],
    env: dict[str, str],
    cwd: Path,
    *,
    capture: bool = False,
    timeout: float = CHILD_TIMEOUT,
) -> Sample:
    """Run ``command`` once through ``bench/spawn.py``; stdout goes to /dev/null unless ``capture``.

    On Linux a child's ``ru_maxrss`` is at least the peak of the process that forked it, and this
    one holds 10,000 parsed sandboxes at times; so a small launcher starts the command, times it
    and reaps it with ``os.wait4`` (that child's own rusage, not ``RUSAGE_CHILDREN``'s maximum
    over all children so far).
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".rusage") as result,
    ):
        stdout: int | IO[bytes] = out if capture else subprocess.DEVNULL
        launcher = [sys.executable, "-I", "-S", str(BENCH / "spawn.py"), result.name]
        process = subprocess.Popen(
            [*launcher, *command],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=err,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            returncode = process.wait()
        fields = result.read().split()
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        if len(fields) != 5:
            fields = ["0", "0", "0", "0", str(returncode or 1)]
            stderr += f"\nno measurement (exit {returncode}; timeout {timeout:g} s?)"
        seconds, utime, stime, maxrss, code = fields
        return Sample(
            command=command,
            seconds=float(seconds),
            cpu_seconds=float(utime) + float(stime),
            maxrss_bytes=int(maxrss) * 1024,  # kilobytes on Linux
            returncode=int(code),
            stdout=out.read().decode("utf-8", "replace"),
            stderr=stderr,
        )


# -- results -------------------------------------------------------------------------------------


@dataclass
class Row:
    """One measurement by one tool: its samples, or why there are none."""

    measurement: str
    tool: str
    seconds: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """CPU seconds (user + system) of the tool's own processes in each run."""
    fake_cpu: list[float] = field(default_factory=list)
    """CPU seconds the fake server spent during each run."""
    steps: list[list[float]] = field(default_factory=list)
    """Each run's seconds per process, when a run is several processes."""
    status: str | None = None
    """None when measured; otherwise ``n/a (error)`` or ``skipped (...)``."""
    memory: bool = False

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds and self.status is None else None

    @property
    def peak_rss(self) -> int | None:
        return max(self.rss) if self.rss and self.status is None else None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, measurement: str, tool: str) -> Row | None:
        return next(
            (row for row in self.rows if row.measurement == measurement and row.tool == tool),
            None,
        )

    def skipped(self, measurement: str, tool: str, why: str) -> None:
        self.rows.append(Row(measurement, tool, status=f"skipped ({why})"))


Step = Sequence[str] | Callable[[list[Sample]], Sequence[str]]
"""A command, or a function of the samples of the run so far that gives one."""


@dataclass
class Contender:
    """One tool's way of doing a measurement: one process, or several run one after another."""

    tool: str
    steps: list[Step]
    capture: bool = False
    """Capture stdout on every run (a later step reads an earlier one's)."""


def measure(
    report: Report,
    measurement: str,
    contenders: Sequence[Contender],
    options: Options,
    env: dict[str, str],
    cwd: Path,
    server: FakeServer,
    *,
    memory: bool = False,
    prepare: Callable[[], None] | None = None,
    check: Check | None = None,
    warmup: bool | None = None,
) -> None:
    """Time each contender ``options.runs`` times, taking turns, so that a passing disturbance
    of the machine falls on all of them alike.

    A run of several steps counts their total. ``prepare`` is called (untimed) before every
    run. With ``warmup`` (the default unless ``--quick``) each contender first has one untimed
    run, whose stdout is captured and given to ``check``; without, every timed run is checked.
    A failure makes the contender's row ``n/a (error)``, with the reason in the notes.
    """
    rows: dict[str, Row] = {}
    active: list[Contender] = []
    for contender in contenders:
        rows[contender.tool] = Row(measurement, contender.tool, memory=memory)
        report.rows.append(rows[contender.tool])
        active.append(contender)

    def once(contender: Contender, capture: bool) -> tuple[list[Sample], float]:
        if prepare is not None:
            prepare()
        cpu = server.cpu()
        samples: list[Sample] = []
        for step in contender.steps:
            command = step(samples) if callable(step) else step
            sample = run_timed(command, env, cwd, capture=capture or contender.capture)
            samples.append(sample)
            if not sample.ok:
                break
        return samples, server.cpu() - cpu

    def verify(contender: Contender, samples: list[Sample], checked: bool) -> bool:
        failed = next((sample for sample in samples if not sample.ok), None)
        problem = failed.why() if failed is not None else None
        if problem is None and checked and check is not None:
            problem = check(samples)
        if problem is None:
            return True
        row = rows[contender.tool]
        row.status = "n/a (error)"
        row.seconds.clear()
        command = _short(" ".join(samples[-1].command))
        report.notes.append(f"{measurement}, {contender.tool}: `{command}` failed ({problem}).")
        active.remove(contender)
        return False

    if warmup is None:
        warmup = not options.quick
    if warmup:
        for contender in list(active):
            samples, _ = once(contender, capture=check is not None)
            verify(contender, samples, checked=True)
    for _ in range(options.runs):
        for contender in list(active):
            checked = check is not None and not warmup
            samples, cpu = once(contender, capture=checked)
            if verify(contender, samples, checked):
                row = rows[contender.tool]
                row.seconds.append(sum(sample.seconds for sample in samples))
                row.rss.append(max(sample.maxrss_bytes for sample in samples))
                row.cpu.append(sum(sample.cpu_seconds for sample in samples))
                row.fake_cpu.append(cpu)
                row.steps.append([sample.seconds for sample in samples])


def _short(command: str) -> str:
    return command.replace(str(ROOT) + os.sep, "")


def expect_json_array(count: int) -> Check:
    def check(samples: list[Sample]) -> str | None:
        try:
            items = json.loads(samples[-1].stdout)
        except ValueError as error:
            return f"stdout is not JSON: {error}"
        if not isinstance(items, list) or len(items) != count:
            got = len(items) if isinstance(items, list) else type(items).__name__
            return f"expected an array of {count} sandboxes, got {got}"
        return None

    return check


def expect_output(text: str) -> Check:
    def check(samples: list[Sample]) -> str | None:
        if text not in "".join(sample.stdout for sample in samples):
            return f"{text!r} not in stdout"
        return None

    return check


# -- the fake server -----------------------------------------------------------------------------


class FakeServer:
    """``bench/fake_server.py`` in a child process, driven by one-line commands on its stdin."""

    def __init__(self, latency: float, transition_seconds: float, log: Path) -> None:
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(BENCH / "fake_server.py"),
                "--api-key",
                API_KEY,
                "--latency",
                str(latency),
                "--transition-seconds",
                str(transition_seconds),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
            cwd=ROOT,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        ready = self._answer(timeout=60)
        if not ready.startswith("READY "):
            self.close()
            raise RuntimeError(f"the fake server did not start: {ready!r}; see {log}")
        self.url = ready.split(" ", 1)[1]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _answer(self, timeout: float) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return "ERR no answer in time"
        return "ERR the fake server exited" if line is None else line

    def command(self, line: str, timeout: float = 300) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self._answer(timeout)
        if not answer.startswith("OK"):
            raise RuntimeError(f"fake server: {line!r} -> {answer!r}; see {self.log}")
        return answer[2:].strip()

    def cpu(self) -> float:
        """CPU seconds the fake has used so far, all its threads together."""
        return float(self.command("cpu"))

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log_file.close()


# -- comparators ---------------------------------------------------------------------------------


def ensure_sdk(report: Report) -> Path | None:
    """The SDK venv's python, installing the SDK first if needed; None (with a note) if it fails."""
    python = SDK_VENV / "bin" / "python"
    version_check = [
        str(python),
        "-c",
        "import importlib.metadata as m; print(m.version('daytona'))",
    ]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(version_check, capture_output=True, text=True, timeout=60)
        if found.returncode == 0 and found.stdout.startswith("0.226."):
            return python
    print(f"installing {SDK_REQUIREMENT} into {SDK_VENV} ...", file=sys.stderr, flush=True)
    try:
        RESULTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(SDK_VENV)],
            check=True,
            capture_output=True,
            timeout=INSTALL_TIMEOUT,
        )
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                SDK_REQUIREMENT,
            ],
            check=True,
            capture_output=True,
            timeout=INSTALL_TIMEOUT,
        )
        found = subprocess.run(version_check, capture_output=True, text=True, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        last = detail.strip().splitlines()[-1:] or [str(error)]
        report.notes.append(f"The daytona SDK could not be installed ({last[0][:200]}): skipped.")
        return None
    return python


def ensure_e2b(report: Report) -> list[str] | None:
    """The command for E2B's CLI, installing it with npm if needed; None (with a note) if not."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        report.notes.append("node or npm is not installed: E2B's CLI skipped.")
        return None
    e2b = E2B_PREFIX / "node_modules" / ".bin" / "e2b"
    if not e2b.exists():
        print(f"installing {E2B_PACKAGE} into {E2B_PREFIX} ...", file=sys.stderr, flush=True)
        E2B_PREFIX.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(E2B_PREFIX),
                    E2B_PACKAGE,
                ],
                check=True,
                capture_output=True,
                timeout=INSTALL_TIMEOUT,
            )
        except (OSError, subprocess.SubprocessError) as error:
            report.notes.append(f"E2B's CLI could not be installed with npm ({error}): skipped.")
            return None
    return [str(e2b)]


# -- the benchmark -------------------------------------------------------------------------------


@dataclass
class Options:
    runs: int
    latency: float
    bulk_latency: float
    bulk: int
    sizes: list[int]
    transition_seconds: float
    sdk: bool
    node: bool
    quick: bool
    output: Path


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("daytona-cli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "daytona_cli"]


def child_env(url: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DAYTONA_", "OTEL_"))
        and name
        not in ("CI", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    }
    env.update(
        DAYTONA_API_URL=url,
        DAYTONA_API_KEY=API_KEY,
        DAYTONA_NO_INPUT="1",
        NO_COLOR="1",
        # The SDK otherwise waits for state changes over a socket.io stream the fake has not got.
        DAYTONA_USE_DEPRECATED_POLLING="1",
        # An installed package has its bytecode compiled; an editable one in a tree where
        # PYTHONDONTWRITEBYTECODE is set would compile its sources at every start.
        PYTHONPYCACHEPREFIX=str(RESULTS / ".pycache"),
    )
    return env


def benchmark(options: Options, report: Report, workdir: Path) -> None:
    cli = cli_command()
    floor = [sys.executable, str(BENCH / "floor.py")]
    skip_why = "--quick" if options.quick else None

    sdk_python = ensure_sdk(report) if options.sdk else None
    sdk_why = skip_why or ("--no-sdk" if not options.sdk else "not installed")
    sdk = None if sdk_python is None else [str(sdk_python), str(BENCH / "sdk_script.py")]
    e2b = ensure_e2b(report) if options.node else None
    e2b_why = skip_why or ("--no-node" if not options.node else "not installed")

    server = FakeServer(options.latency, options.transition_seconds, workdir / "fake-server.log")
    try:
        env = child_env(server.url)

        def run(name: str, contenders: list[Contender], **kwargs: Any) -> None:
            measure(report, name, contenders, options, env, workdir, server, **kwargs)

        # Start-up: no requests, but the same environment.
        run("`--version`", [Contender("daytona-cli", [[*cli, "--version"]])])
        helps = [
            Contender("daytona-cli", [[*cli, "--help"]]),
            Contender("Typer floor", [[*floor, "--help"]]),
        ]
        if e2b is not None:
            helps.append(Contender("E2B CLI", [[*e2b, "--help"]]))
        run("`--help`", helps)
        if e2b is None:
            report.skipped("`--help`", "E2B CLI", e2b_why)
        if sdk is not None:
            run("import", [Contender("daytona SDK", [[*sdk, "import"]])])
        else:
            report.skipped("import", "daytona SDK", sdk_why)

        # Large lists, smallest first: each size adds to the previous one.
        seeded = 0
        for size in sorted(set(options.sizes)):
            server.command(f"seed {size - seeded}")
            seeded = size
            name = f"`sandbox list --json`, {size:,}"
            lists = [
                Contender("daytona-cli", [[*cli, "sandbox", "list", "--json"]]),
                Contender("Typer floor", [floor]),
            ]
            if sdk is not None:
                lists.append(Contender("daytona SDK", [[*sdk, "list"]]))
            run(name, lists, memory=True, check=expect_json_array(size))
            if sdk is None:
                report.skipped(name, "daytona SDK", sdk_why)
        server.command("reset")

        # One sandbox's life: three processes for the CLI, one script for the SDK.
        name = "`create` + `exec echo` + `delete`"

        def created(samples: list[Sample]) -> str:
            return samples[0].stdout.strip()

        lives = [
            Contender(
                "daytona-cli",
                [
                    [*cli, "sandbox", "create", "-q"],
                    lambda samples: [*cli, "sandbox", "exec", created(samples), "--", "echo", "hi"],
                    lambda samples: [*cli, "sandbox", "delete", created(samples), "--yes"],
                ],
                capture=True,
            )
        ]
        if sdk is not None:
            lives.append(Contender("daytona SDK", [[*sdk, "lifecycle"]]))
        run(name, lives, check=expect_output("hi"))
        if sdk is None:
            report.skipped(name, "daytona SDK", sdk_why)
        server.command("reset")

        bulk_delete(options, report, server, cli, env, workdir)
    finally:
        server.close()


def bulk_delete(
    options: Options,
    report: Report,
    server: FakeServer,
    cli: list[str],
    env: dict[str, str],
    workdir: Path,
) -> None:
    """Delete ``bulk`` labelled sandboxes (among 20 others) at ``bulk_latency`` a round trip."""
    name = f"bulk delete of {options.bulk} at {options.bulk_latency * 1000:g} ms"
    others = 20
    server.command(f"latency {options.bulk_latency}")

    def fresh() -> None:
        server.command("reset")
        server.command(f"seed {others} bench=other")
        server.command(f"seed {options.bulk} {BULK_LABEL}")

    def all_gone(samples: list[Sample]) -> str | None:
        left = int(server.command(f"count {BULK_LABEL}"))
        kept = int(server.command("count bench=other"))
        if left or kept != others:
            return f"{left} labelled sandboxes left, {others - kept} others deleted"
        return None

    contenders = [
        Contender("daytona-cli", [[*cli, "sandbox", "delete", "-l", BULK_LABEL, "--yes"]]),
        Contender(
            "sequential loop", [[sys.executable, str(BENCH / "sequential_delete.py"), BULK_LABEL]]
        ),
    ]
    # Checked after every run: a delete that leaves sandboxes behind is not fast, it is wrong.
    measure(
        report,
        name,
        contenders,
        options,
        env,
        workdir,
        server,
        prepare=fresh,
        check=all_gone,
        warmup=False,
    )
    server.command("reset")
    server.command(f"latency {options.latency}")


# -- the report ----------------------------------------------------------------------------------


def machine() -> list[str]:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        f"- CPU: {cpu}, {cores} cores available ({os.cpu_count()} online), memory {memory}",
        f"- OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"- Python {platform.python_version()} ({sys.executable})",
    ]
    node = shutil.which("node")
    if node:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            version = subprocess.run(
                [node, "--version"], capture_output=True, text=True, timeout=30
            ).stdout.strip()
            lines.append(f"- node {version}")
    return lines


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MIB:.1f}"


@dataclass
class Target:
    what: str
    value: float | None
    limit: float
    unit: str
    why: str = ""
    strict: bool = False
    """``value < limit`` rather than ``value <= limit``."""

    @property
    def result(self) -> str:
        if self.value is None:
            return f"n/a ({self.why})" if self.why else "n/a"
        passed = self.value < self.limit if self.strict else self.value <= self.limit
        return "PASS" if passed else "FAIL"


def _state(status: str) -> str:
    return "failed" if status.startswith("n/a") else status.split(" (")[0]


def ratio(report: Report, measurement: str, tool: str, other: str) -> tuple[float | None, str]:
    mine, theirs = report.row(measurement, tool), report.row(measurement, other)
    for row in (mine, theirs):
        if row is None:
            return None, "not measured"
        if row.status is not None:
            return None, f"{row.tool} {_state(row.status)}"
    assert mine is not None and theirs is not None
    assert mine.median is not None and theirs.median is not None
    return mine.median / theirs.median, ""


def targets(options: Options, report: Report) -> list[Target]:
    sizes = sorted(set(options.sizes))
    at = 1000 if 1000 in sizes else sizes[-1]
    big = 10000 if 10000 in sizes else sizes[-1]
    list_at = f"`sandbox list --json`, {at:,}"
    bulk = next(row.measurement for row in report.rows if row.measurement.startswith("bulk"))
    found: list[Target] = []
    value, why = ratio(report, list_at, "daytona-cli", "daytona SDK")
    found.append(Target(f"{list_at}: daytona-cli / SDK script", value, 0.2, "ratio", why))
    value, why = ratio(report, list_at, "daytona-cli", "Typer floor")
    found.append(Target(f"{list_at}: daytona-cli / Typer floor", value, 1.3, "ratio", why))
    value, why = ratio(report, "`--help`", "daytona-cli", "E2B CLI")
    found.append(Target("`--help`: daytona-cli / E2B CLI", value, 0.6, "ratio", why))
    row = report.row(f"`sandbox list --json`, {big:,}", "daytona-cli")
    peak = row.peak_rss if row is not None else None
    found.append(
        Target(
            f"`sandbox list --json`, {big:,}: daytona-cli peak memory",
            None if peak is None else peak / MIB,
            80.0,
            "MiB",
            "not measured" if row is None or row.status is None else _state(row.status),
            strict=True,
        )
    )
    value, why = ratio(report, bulk, "daytona-cli", "sequential loop")
    found.append(Target(f"{bulk}: daytona-cli / sequential loop", value, 0.2, "ratio", why))
    return found


def render(options: Options, report: Report, started: datetime.datetime) -> str:
    lines = [HEADINGS[0], ""]
    lines.append(
        f"Run {started:%Y-%m-%d %H:%M} UTC; {options.runs} timed run(s) per row after "
        + ("no warm-up" if options.quick else "one untimed warm-up")
        + f"; latency {options.latency * 1000:g} ms per answer (bulk delete: "
        + f"{options.bulk_latency * 1000:g} ms); state transitions {options.transition_seconds:g} s"
        + (" (`--quick`)" if options.quick else "")
        + ". Wall time of whole processes, started the way a shell starts them; peak memory is "
        + "each process's own maximum resident set."
    )
    lines += ["", HEADINGS[1], "", *machine(), "", HEADINGS[2], ""]
    lines += [
        "| measurement | tool | median (s) | min (s) | max (s) | CPU (s) | peak RSS (MiB) "
        "| fake CPU (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    breakdowns = []
    for row in report.rows:
        if row.status is not None:
            lines.append(f"| {row.measurement} | {row.tool} | {row.status} | | | | | |")
            continue
        peak = _mib(row.peak_rss) if row.memory else ""
        lines.append(
            f"| {row.measurement} | {row.tool} | {_seconds(row.median)} "
            f"| {_seconds(min(row.seconds))} | {_seconds(max(row.seconds))} "
            f"| {_seconds(statistics.median(row.cpu))} | {peak} "
            f"| {_seconds(statistics.median(row.fake_cpu))} |"
        )
        if row.steps and len(row.steps[0]) > 1:
            medians = [statistics.median(step) for step in zip(*row.steps, strict=True)]
            parts = " + ".join(f"{value:.3f}" for value in medians)
            breakdowns.append(f"{row.measurement}, {row.tool}, median of each process: {parts} s.")
    lines += ["", HEADINGS[3], "", "| target | measured | limit | result |", "|---|---:|---:|---|"]
    for target in targets(options, report):
        measured = "n/a" if target.value is None else f"{target.value:.2f}"
        limit = f"{'<' if target.strict else '≤'} {target.limit:g}"
        unit = " MiB" if target.unit == "MiB" else ""
        lines.append(f"| {target.what} | {measured}{unit} | {limit}{unit} | {target.result} |")
    lines += ["", HEADINGS[4], ""]
    notes = [
        "The fake (`bench/fake_server.py`, the tests' `FakeDaytona` with a cheaper copy per "
        "answer) runs in its own process; its time answering is part of every tool's time.",
        "Typer floor: `bench/floor.py`, one GET per page of 200 and the items printed as one "
        "JSON array. SDK script: `bench/sdk_script.py` with the official `daytona` package. "
        "Sequential loop: `bench/sequential_delete.py`, one GET for the labelled sandboxes, "
        "then one DELETE after another over one httpx client.",
        "`create` + `exec echo` + `delete` for daytona-cli adds up three processes; the SDK does "
        "the same in one script.",
        "median/min/max: wall time. CPU: user + system time of the tool's own processes (median), "
        "less disturbed than wall time by other work on the machine. fake CPU: what the fake "
        "server used meanwhile (median), part of the wall time whenever the client waits for it.",
        "Peak RSS is measured through `bench/spawn.py`, a small launcher: its own ~8 MiB is the "
        "floor of that column.",
        "Python children write and read their bytecode caches under `bench/results/.pycache` "
        "(`PYTHONPYCACHEPREFIX`), as an installed package has them; the warm-up run fills it.",
        *breakdowns,
        *report.notes,
    ]
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=(__doc__ or "").strip().splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run, no SDK/node")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per row (default 5)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the fake holds every answer"
    )
    parser.add_argument(
        "--bulk-latency", type=float, default=0.05, help="latency for the bulk delete"
    )
    parser.add_argument("--bulk", type=int, default=None, help="sandboxes to bulk-delete (100)")
    parser.add_argument("--sizes", default=None, help="comma-separated list sizes (50,1000,10000)")
    parser.add_argument("--transition-seconds", type=float, default=0.2)
    parser.add_argument("--no-sdk", action="store_true", help="skip the official SDK")
    parser.add_argument("--no-node", action="store_true", help="skip E2B's CLI")
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "latest.md", help="where to write the report"
    )
    args = parser.parse_args(argv)
    sizes_text = args.sizes or ("5" if args.quick else "50,1000,10000")
    try:
        sizes = [int(size.replace("_", "")) for size in sizes_text.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--sizes: not a list of numbers: {sizes_text!r}")
    runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    bulk = args.bulk if args.bulk is not None else (5 if args.quick else 100)
    if not sizes or min(sizes) < 1 or runs < 1 or bulk < 1:
        parser.error("--sizes, --runs and --bulk must be positive")
    return Options(
        runs=runs,
        latency=args.latency,
        bulk_latency=args.bulk_latency,
        bulk=bulk,
        sizes=sizes,
        transition_seconds=args.transition_seconds,
        sdk=not (args.no_sdk or args.quick),
        node=not (args.no_node or args.quick),
        quick=args.quick,
        output=args.output,
    )


def problems(options: Options, text: str) -> list[str]:
    """What the report printed as ``text`` lacks; empty when it is whole.

    Every heading, in order; a number in each row that needs nothing but daytona-cli and the fake
    (the others may be ``n/a`` where a tool is missing); each target named; and, under
    ``--quick``, the rows it leaves out said to be skipped. CI runs ``--quick`` and fails on any.
    """
    import re

    found: list[str] = []
    positions = [text.find(heading) for heading in HEADINGS]
    if not all(position >= 0 for position in positions) or positions != sorted(positions):
        found.append(f"the headings {HEADINGS} are not all there, in that order")
    number = r"\d+\.\d{3}"
    measured = [("`--version`", "daytona-cli"), ("`--help`", "daytona-cli"),
                ("`--help`", "Typer floor"), ("`create` + `exec echo` + `delete`", "daytona-cli"),
                (f"bulk delete of {options.bulk} at {options.bulk_latency * 1000:g} ms",
                 "sequential loop")]  # fmt: skip
    for size in options.sizes:
        measured += [
            (f"`sandbox list --json`, {size:,}", tool) for tool in ("daytona-cli", "Typer floor")
        ]
    for measurement, tool in measured:
        if not re.search(rf"\| {re.escape(measurement)} \| {re.escape(tool)} \| {number} \|", text):
            found.append(f"{measurement} by {tool} was not measured")
    if options.quick:
        for tool in ("daytona SDK", "E2B CLI"):
            if f"| {tool} | skipped (--quick) |" not in text:
                found.append(f"{tool} is not said to be skipped under --quick")
    for target in ("daytona-cli / SDK script", "daytona-cli / Typer floor", "peak memory"):
        if target not in text:
            found.append(f"no target {target!r}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    report = Report()
    if options.quick:
        report.notes.append("`--quick`: the SDK and E2B's CLI are skipped, sizes are tiny.")
    started = datetime.datetime.now(datetime.timezone.utc)
    with tempfile.TemporaryDirectory(prefix="daytona-bench-") as tmp:
        benchmark(options, report, Path(tmp))
    text = render(options, report, started)
    print(text, end="")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text)
    print(f"\n(written to {options.output})", file=sys.stderr)
    missing = problems(options, text)
    if options.output.read_text() != text:
        missing.append(f"{options.output} does not hold the report printed")
    for problem in missing:
        print(f"bench/run.py: incomplete report: {problem}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
