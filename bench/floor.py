"""The floor of daytona-cli's stack: a minimal Typer program that lists sandboxes as JSON.

Typer for the command line, httpx for one GET per page of ``/sandbox`` (the API returns at most
200 per page, so 1,000 sandboxes take five), the body's items printed as one JSON array. No
configuration files, no retries, no output modes: whatever daytona-cli spends beyond this is the
price of its features. Reads ``DAYTONA_API_URL`` and ``DAYTONA_API_KEY``.
"""

from __future__ import annotations

import json
import os
import sys

import httpx
import typer

app = typer.Typer(add_completion=False)


@app.command()
def main(limit: int = typer.Option(200, help="Page size.")) -> None:
    """Print every sandbox as a JSON array."""
    base = os.environ["DAYTONA_API_URL"].rstrip("/")
    headers = {"Authorization": f"Bearer {os.environ['DAYTONA_API_KEY']}"}
    params: dict[str, str | int] = {"limit": limit}
    write = sys.stdout.write
    separator = "["
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        while True:
            response = client.get("/sandbox", params=params)
            response.raise_for_status()
            page = response.json()
            for item in page["items"]:
                write(separator)
                write(json.dumps(item))
                separator = ","
            if not page.get("nextCursor"):
                break
            params["cursor"] = page["nextCursor"]
    write("[]\n" if separator == "[" else "]\n")


if __name__ == "__main__":
    app()
