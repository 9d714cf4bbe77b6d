"""Run one command and write its wall time and its own resource use to a file.

    python -S bench/spawn.py RESULT_FILE COMMAND [ARG...]

A Linux child's peak memory (``ru_maxrss``) starts from what the process that forked it had at
its peak, so the benchmark does not start the measured commands itself (it holds parsed output
of 10,000 sandboxes): this small process does, and reports ``seconds utime stime maxrss_kib
exitcode`` on one line. Standard streams are passed through; the exit code is the command's.
"""

import os
import sys
import time


def main() -> int:
    result, command = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    try:
        pid = os.posix_spawnp(command[0], command, os.environ)
    except OSError as error:
        print(f"spawn.py: {command[0]}: {error}", file=sys.stderr)
        return 127
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    with open(result, "w") as file:
        file.write(f"{seconds} {usage.ru_utime} {usage.ru_stime} {usage.ru_maxrss} {code}\n")
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
