"""Types shared across the package."""

from __future__ import annotations

from typing import Any

JSONObject = dict[str, Any]
"""One decoded JSON object, as the API sends it (a sandbox, a snapshot, an error body)."""
