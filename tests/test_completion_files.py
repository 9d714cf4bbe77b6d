"""When the API cannot be reached, sandbox-name completion offers nothing (issue 10): no shell
falls back to the file names of the current directory, except after an option that takes a file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from daytona_cli import completion
from tests.conftest import API_KEY, CLI, Cli

UNREACHABLE = {"DAYTONA_API_URL": "http://127.0.0.1:9/api", "DAYTONA_API_KEY": API_KEY}


@pytest.fixture(autouse=True)
def own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in completion.PROTOCOL_VARS:
        monkeypatch.delenv(name, raising=False)


def typed(cli: Cli, shell: str, line: str, **extra: str) -> tuple[int, str, str]:
    env = {**UNREACHABLE, completion.COMPLETE_VAR: f"complete_{shell}", **extra}
    env["_TYPER_COMPLETE_ARGS"] = line
    result = cli(env=env)
    return result.exit_code, result.stdout, result.stderr


def test_zsh_gets_no_file_names_for_a_sandbox_name(cli: Cli) -> None:
    assert typed(cli, "zsh", "daytona-cli sandbox get ") == (0, "", "")
    assert typed(cli, "zsh", "daytona-cli sandbox delete de") == (0, "", "")
    for option in ("daytona-cli --env-file ", "daytona-cli sandbox create --dockerfile "):
        code, answer, _ = typed(cli, "zsh", option)
        assert (code, answer.strip()) == (0, "_files"), option


def test_fish_gets_no_file_names_for_a_sandbox_name(cli: Cli) -> None:
    asked = {"_TYPER_COMPLETE_FISH_ACTION": "is-args"}
    # Exit 0 keeps fish's --no-files in force; 1 would let it offer the directory's files.
    assert typed(cli, "fish", "daytona-cli sandbox get ", **asked)[0] == 0
    assert typed(cli, "fish", "daytona-cli --env-file ", **asked)[0] == 1


def test_the_bash_script_offers_files_only_after_an_option_that_takes_one() -> None:
    text = completion.script("bash")
    assert "complete -F _daytona_cli_completion daytona-cli" in text
    assert "-o default -F" not in text
    assert '[ "$previous" = "--env-file" ]' in text and "compopt -o default" in text
    assert '[ "$previous" = "--dockerfile" ]' in text


BASH = shutil.which("bash")
TMUX = shutil.which("tmux")


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_in_bash_an_unreachable_api_leaves_no_candidates(tmp_path: Path) -> None:
    script = tmp_path / "daytona-cli.bash"
    script.write_text(completion.script("bash"))
    (tmp_path / "local-file.txt").write_text("")
    program = (
        f"source {script}\n"
        "COMP_WORDS=(daytona-cli sandbox get ''); COMP_CWORD=3\n"
        f"_daytona_cli_completion {CLI}\n"
        'echo "count=${#COMPREPLY[@]}"\n'
        "complete -p daytona-cli\n"
    )
    env = {**os.environ, **UNREACHABLE, "PATH": f"{CLI.parent}:{os.environ['PATH']}"}
    proc = subprocess.run(
        [str(BASH), "--norc", "--noprofile", "-c", program],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=30, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc
    assert proc.stdout.splitlines() == [
        "count=0",
        "complete -F _daytona_cli_completion daytona-cli",
    ]
    assert proc.stderr == ""


@pytest.mark.skipif(BASH is None or TMUX is None, reason="needs bash and tmux")
def test_at_an_interactive_bash_tab_offers_no_file_names(tmp_path: Path) -> None:
    """TAB TAB at a real bash prompt (in tmux): nothing, where bash used to list the files."""
    script = tmp_path / "daytona-cli.bash"
    script.write_text(completion.script("bash"))
    (tmp_path / "local-file.txt").write_text("")
    socket = str(tmp_path / "tmux.sock")
    env = {**os.environ, **UNREACHABLE, "PATH": f"{CLI.parent}:{os.environ['PATH']}", "PS1": "$ "}
    env.pop("TMUX", None)

    def tmux(*args: str) -> str:
        proc = subprocess.run([str(TMUX), "-S", socket, *args], capture_output=True, text=True,
                              env=env, timeout=30, check=True)  # fmt: skip
        return proc.stdout

    tmux("new-session", "-d", "-x", "100", "-y", "20", "-c", str(tmp_path),
         f"{BASH} --norc --noprofile -i")  # fmt: skip
    try:
        tmux("send-keys", f"source {script}; echo ready", "Enter")
        deadline = time.monotonic() + 10
        while "ready\n" not in tmux("capture-pane", "-p") and time.monotonic() < deadline:
            time.sleep(0.05)
        # Readline takes the keys in order: both TABs are completed before the echo is typed.
        tmux("send-keys", "daytona-cli sandbox get ", "Tab", "Tab", " ; echo done-typing", "Enter")
        deadline = time.monotonic() + 10
        while "done-typing\n" not in tmux("capture-pane", "-p") and time.monotonic() < deadline:
            time.sleep(0.05)
        screen = tmux("capture-pane", "-p")
    finally:
        subprocess.run([str(TMUX), "-S", socket, "kill-server"], env=env, check=False,
                       capture_output=True)  # fmt: skip
    assert "done-typing" in screen, screen
    assert "local-file.txt" not in screen, screen
