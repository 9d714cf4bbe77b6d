"""Sandbox records and how the list reads them: defaults, create-body checks, filters, order
and cursors, as the server's ``sandbox.service`` / ``SandboxController`` do them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import operator
import re
from collections.abc import Callable, Collection
from typing import Any

import httpx

from tests.fake.common import (
    DATE_FIELDS,
    LIST_ITEM_FIELDS,
    LISTABLE_STATES,
    ORGANIZATION_ID,
    SANDBOX_CLASSES,
    ApiError,
    bool_param,
    check_types,
    date_param,
    number,
    timestamp,
)

Predicate = Callable[[dict[str, Any]], bool]

SORT_FIELDS = {
    "name": "name",
    "cpu": "cpu",
    "memoryGib": "memory",
    "diskGib": "disk",
    "lastActivityAt": "lastActivityAt",
    "createdAt": "createdAt",
}
RESOURCE_FIELDS = ("cpu", "memory", "disk", "gpu")
MAX_AUTO_ARCHIVE_MINUTES = 43200
DEFAULT_AUTO_PAUSE_MINUTES = 60
CREATE_FIELDS = {
    "name": "string",
    "snapshot": "string",
    "user": "string",
    "target": "string",
    "networkAllowList": "string",
    "domainAllowList": "string",
    "public": "boolean",
    "networkBlockAll": "boolean",
    "spot": "boolean",
    "cpu": "integer",
    "gpu": "integer",
    "memory": "integer",
    "disk": "integer",
    "autoStopInterval": "integer",
    "autoPauseInterval": "integer",
    "autoArchiveInterval": "integer",
    "autoDeleteInterval": "integer",
    "ttlMinutes": "integer",
    "env": "string map",
    "labels": "string map",
    "buildInfo": "object",
    "volumes": "array",
    "secrets": "array",
}
UNMODELLED_CREATE_FIELDS = ("gpuType", "linkedSandbox", "outboundProxyUrl", "otelEndpointOverride")
LIST_FILTERS = frozenset(
    {
        "id",
        "name",
        "labels",
        "states",
        "snapshots",
        "regionIds",
        "sandboxClasses",
        "minCpu",
        "maxCpu",
        "minMemoryGiB",
        "maxMemoryGiB",
        "minDiskGiB",
        "maxDiskGiB",
        "isPublic",
        "isRecoverable",
        "createdAtAfter",
        "createdAtBefore",
        "lastEventAfter",
        "lastEventBefore",
        "autoDestroyAtAfter",
        "autoDestroyAtBefore",
        "includeErroredDeleted",
    }
)
"""The list's filter parameters, which ``FakeDaytona.ignore_filters`` can make it ignore."""


def new_record(sandbox_id: str, name: str, now: str) -> dict[str, Any]:
    """A sandbox with the server's defaults; keys starting with ``_`` are the fake's own."""
    return {
        "id": sandbox_id,
        "organizationId": ORGANIZATION_ID,
        "name": name,
        "user": "daytona",
        "env": {},
        "labels": {},
        "public": False,
        "networkBlockAll": False,
        "target": "us",
        "cpu": 1,
        "gpu": 0,
        "spot": False,
        "memory": 1,
        "disk": 3,
        "backupState": "None",
        "autoStopInterval": 15,
        "autoPauseInterval": 0,
        "autoArchiveInterval": 10080,
        "autoDeleteInterval": -1,
        "volumes": [],
        "sandboxClass": "container",
        "runnerId": "fake-runner-1",
        "createdAt": now,
        "updatedAt": now,
        "lastActivityAt": now,
        "_steps": [],
        "_secrets": {},
    }


def check_create_body(body: dict[str, Any]) -> None:
    """What the server's validation rejects before looking at snapshots or names."""
    check_types(body, CREATE_FIELDS)
    for field in UNMODELLED_CREATE_FIELDS:
        if body.get(field) is not None:
            raise ApiError(501, f"fake: {field} is not modelled")
    build_info = body.get("buildInfo")
    if build_info is not None and not isinstance(build_info.get("dockerfileContent"), str):
        raise ApiError(400, "buildInfo.dockerfileContent must be a string")
    for field, kind in (
        ("autoStopInterval", "Auto-stop"),
        ("autoPauseInterval", "Auto-pause"),
        ("autoArchiveInterval", "Auto-archive"),
        ("ttlMinutes", "TTL"),
    ):
        if body.get(field) is not None and body[field] < 0:
            raise ApiError(400, f"{kind} interval must be non-negative")
    if body.get("autoPauseInterval") and body.get("autoStopInterval"):
        raise ApiError(400, "At most one of autoStopInterval and autoPauseInterval may be non-zero")
    _check_volumes(body.get("volumes") or [])
    _check_secrets(body.get("secrets") or [])
    if body.get("networkAllowList"):
        check_allow_list(body["networkAllowList"])


def _check_volumes(volumes: list[Any]) -> None:
    for volume in volumes:
        if not (
            isinstance(volume, dict)
            and isinstance(volume.get("volumeId"), str)
            and isinstance(volume.get("mountPath"), str)
            and isinstance(volume.get("subpath", ""), str)
        ):
            raise ApiError(
                400, "each value in volumes must be a volume with volumeId and mountPath"
            )
        if not volume["mountPath"].startswith("/"):
            raise ApiError(400, f"Volume mount path must be absolute: {volume['mountPath']}")


def _check_secrets(secrets: list[Any]) -> None:
    for entry in secrets:
        if not (
            isinstance(entry, dict) and entry and all(isinstance(v, str) for v in entry.values())
        ):
            raise ApiError(400, "each value in secrets must be an object of strings")


def check_allow_list(allow_list: str) -> None:
    """``networkAllowList``: comma-separated CIDRs (NOTES.md)."""
    for entry in allow_list.split(","):
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise ApiError(400, f"Invalid CIDR in network allow list: {entry.strip()}") from None


def check_class(value: Any) -> str:
    if value not in SANDBOX_CLASSES:
        raise ValueError(f"unknown sandbox class {value!r}; one of {SANDBOX_CLASSES}")
    return str(value)


def build_info(info: dict[str, Any], now: str) -> dict[str, Any]:
    """BuildInfo as the server keeps it: the Dockerfile under a content-derived snapshot ref."""
    hashes = [str(item) for item in info.get("contextHashes") or []]
    digest = hashlib.sha256((info["dockerfileContent"] + "".join(hashes)).encode())
    kept: dict[str, Any] = {
        "dockerfileContent": info["dockerfileContent"],
        "snapshotRef": f"daytona-{digest.hexdigest()}:daytona",
        "createdAt": now,
        "updatedAt": now,
    }
    if hashes:
        kept["contextHashes"] = hashes
    return kept


def visible(record: dict[str, Any]) -> bool:
    """The server hides errored sandboxes that are meant to be destroyed."""
    return not (
        record["state"] in ("error", "build_failed") and record["desiredState"] == "destroyed"
    )


def list_item(view: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in view.items() if key in LIST_ITEM_FIELDS}


def sort_key(view: dict[str, Any], sort: str) -> tuple[Any, float, str]:
    value = timestamp(view[sort]) if sort in DATE_FIELDS else view[sort]
    return value, timestamp(view["createdAt"]), view.get("id", "")


def compare_keys(a: tuple[Any, float, str], b: tuple[Any, float, str], descending: bool) -> int:
    """The server's order: the sort field, then newest first, then ID (for a total order)."""
    if a[0] != b[0]:
        result = -1 if a[0] < b[0] else 1
        return -result if descending else result
    if a[1] != b[1]:
        return -1 if a[1] > b[1] else 1
    return (a[2] > b[2]) - (a[2] < b[2])


def encode_cursor(key: tuple[Any, float, str], sort: str, descending: bool) -> str:
    raw = json.dumps({"sort": sort, "desc": descending, "after": list(key)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, descending: bool) -> tuple[Any, float, str]:
    """The key a cursor points after; 400 unless it came from a list with the same order."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value, created, sandbox_id = data["after"]
        valid = (
            data["sort"] == sort
            and data["desc"] is descending
            and isinstance(value, str if sort == "name" else (int, float))
            and isinstance(created, (int, float))
            and isinstance(sandbox_id, str)
        )
    except (ValueError, TypeError, KeyError, binascii.Error):
        valid = False
    if not valid:
        raise ApiError(400, "Invalid cursor")
    return value, created, sandbox_id


def ilike_prefix(pattern: str) -> re.Pattern[str]:
    """``ILIKE 'pattern%'`` as a regex: ``%`` and ``_`` in user input are wildcards there too."""
    parts = []
    escaped = False
    for char in pattern:
        if escaped or char not in "%_\\":
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append(".*" if char == "%" else ".")
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def sandbox_filters(params: httpx.QueryParams, ignored: Collection[str] = ()) -> Predicate:
    """A predicate for the list's filters, rejecting bad ones the way the server does.

    Parameters in ``ignored`` are neither checked nor applied, as a server that predates them
    would do.
    """
    given = httpx.QueryParams(
        [(key, value) for key, value in params.multi_items() if key not in ignored]
    )
    tests: list[Predicate] = []
    for name in ("id", "name"):
        if given.get(name):
            tests.append(_prefix_test(name, given[name]))
    if given.get("labels") is not None:
        try:
            labels = json.loads(given["labels"])
        except json.JSONDecodeError:
            labels = None
        if not isinstance(labels, dict):
            raise ApiError(400, "Invalid labels JSON format")
        tests.append(_labels_test(labels))
    if any(state not in LISTABLE_STATES for state in given.get_list("states")):
        allowed = ", ".join(LISTABLE_STATES)
        raise ApiError(400, f"each value in states must be one of the following values: {allowed}")
    for name, field in (
        ("states", "state"),
        ("snapshots", "snapshot"),
        ("regionIds", "target"),
        ("sandboxClasses", "sandboxClass"),
    ):
        if given.get_list(name):
            tests.append(_one_of_test(field, given.get_list(name)))
    for bound, field in (("Cpu", "cpu"), ("MemoryGiB", "memory"), ("DiskGiB", "disk")):
        low, high = (_size_param(given, prefix + bound) for prefix in ("min", "max"))
        tests.append(_range_test(operator.itemgetter(field), low, high))
    for name, field in (("isPublic", "public"), ("isRecoverable", "recoverable")):
        flag = bool_param(given, name)
        if flag is not None:
            tests.append(_flag_test(field, flag))
    for name, field in (
        ("createdAt", "createdAt"),
        ("lastEvent", "lastActivityAt"),
        ("autoDestroyAt", "autoDestroyAt"),
    ):
        low, high = (date_param(given, name + side) for side in ("After", "Before"))
        if low is not None or high is not None:
            tests.append(_range_test(_date_reader(field), low, high))
    # Errored sandboxes on their way out are listed only on request.
    include_errored_deleted = bool(bool_param(given, "includeErroredDeleted"))
    return lambda record: (
        (include_errored_deleted or visible(record)) and all(test(record) for test in tests)
    )


def _size_param(params: httpx.QueryParams, name: str) -> float | None:
    if params.get(name) is None:
        return None
    size = number(name, params[name])
    if size < 1:
        raise ApiError(400, f"{name} must not be less than 1")
    return size


def _prefix_test(field: str, pattern: str) -> Predicate:
    regex = ilike_prefix(pattern)
    return lambda record: regex.match(record.get(field, "")) is not None


def _labels_test(labels: dict[str, Any]) -> Predicate:
    return lambda record: all(record["labels"].get(k) == v for k, v in labels.items())


def _one_of_test(field: str, wanted: list[str]) -> Predicate:
    return lambda record: record.get(field) in wanted


def _flag_test(field: str, flag: bool) -> Predicate:
    return lambda record: bool(record.get(field)) is flag


def _date_reader(field: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda record: timestamp(record[field]) if record.get(field) else None


def _range_test(
    read: Callable[[dict[str, Any]], float | None], low: float | None, high: float | None
) -> Predicate:
    """Both bounds are inclusive, as the server's range filters are; a missing value (no
    ``autoDestroyAt``) matches no bound."""

    def test(record: dict[str, Any]) -> bool:
        value = read(record)
        if value is None:
            return low is None and high is None
        return (low is None or value >= low) and (high is None or value <= high)

    return test
