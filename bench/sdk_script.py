"""What a user of the official ``daytona`` Python SDK would write instead of daytona-cli.

Run with the SDK's own interpreter (``bench/run.py`` installs it into a throwaway virtual
environment under ``bench/results/``); configured by ``DAYTONA_API_URL`` and ``DAYTONA_API_KEY``.

- ``import``: import the SDK's client, nothing else;
- ``list``: print every sandbox as one JSON array (pages of 200, as daytona-cli asks for);
- ``lifecycle``: create a sandbox (waiting until it started), run ``echo hi`` in it, delete it.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "list"
    from daytona import Daytona, ListSandboxesQuery

    if mode == "import":
        return 0
    daytona = Daytona()
    if mode == "list":
        items = [sandbox.to_dict() for sandbox in daytona.list(ListSandboxesQuery(limit=200))]
        json.dump(items, sys.stdout, default=str)
        sys.stdout.write("\n")
        return 0
    if mode == "lifecycle":
        sandbox = daytona.create()
        response = sandbox.process.exec("echo hi")
        sys.stdout.write(response.result)
        daytona.delete(sandbox)
        return 0 if response.exit_code == 0 else 1
    print(f"unknown mode {mode!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
