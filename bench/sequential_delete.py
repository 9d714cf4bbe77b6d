"""The baseline for bulk deletes: find sandboxes by label, then delete them one after another.

``python bench/sequential_delete.py KEY=VALUE`` lists the sandboxes with that label (one GET per
page) and sends one ``DELETE /sandbox/{id}`` at a time over one httpx client with keep-alive: the
loop a shell script or a naive tool runs. Reads ``DAYTONA_API_URL`` and ``DAYTONA_API_KEY``.
Exits 1 if any delete fails.
"""

from __future__ import annotations

import json
import os
import sys

import httpx


def main(argv: list[str]) -> int:
    key, _, value = argv[0].partition("=")
    base = os.environ["DAYTONA_API_URL"].rstrip("/")
    headers = {"Authorization": f"Bearer {os.environ['DAYTONA_API_KEY']}"}
    params: dict[str, str | int] = {"limit": 200, "labels": json.dumps({key: value})}
    failures = 0
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        ids: list[str] = []
        while True:
            page = client.get("/sandbox", params=params).raise_for_status().json()
            ids.extend(item["id"] for item in page["items"])
            if not page.get("nextCursor"):
                break
            params["cursor"] = page["nextCursor"]
        for sandbox_id in ids:
            if client.delete(f"/sandbox/{sandbox_id}").status_code >= 300:
                failures += 1
    print(f"{len(ids) - failures} of {len(ids)} deleted", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
