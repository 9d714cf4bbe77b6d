"""Check HTTP exchanges against the API contract in ``tests/openapi.yaml``.

Both sides of the conversation are held to the spec: the CLI's requests (path, query, headers,
body) and the fake's answers. Objects may not carry properties the spec does not list, so a
typo in a request field or a field leaking into a list item is caught. Error answers are only
checked for Daytona's error-body keys, since the spec documents none. The toolbox-proxy
execute route is not in the spec; it is checked by hand against ``ExecuteRequest`` /
``ExecuteResponse`` (plus the ``envs`` map that route accepts).

Requests may go to any host and to a base path of ``/api`` or nothing; they are validated as
if sent to the spec's server, ``https://app.daytona.io/api``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from jsonschema.protocols import Validator
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.schemas import (
    oas30_read_schema_validators_factory,
    oas30_write_schema_validators_factory,
)
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
SPEC_HOST = "https://app.daytona.io"
SPEC_BASE = "/api"
ERROR_KEYS = ("path", "timestamp", "statusCode", "error", "message")

_LEGACY_EXECUTE = re.compile(r"^(?:/api)?(/toolbox/[^/]+/toolbox/process/execute)$")
_API_ROUTE = re.compile(r"^(?:/api)?(/(?:sandbox|snapshots)(?:/.*)?)$")
_PROXY_EXECUTE = re.compile(r"/[^/]+/process/execute$")


@dataclass
class _SpecRequest:
    """openapi-core's Request protocol over an httpx.Request, moved onto the spec's server."""

    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)
    host_url: str = SPEC_HOST


@dataclass
class _SpecResponse:
    """openapi-core's Response protocol over an httpx.Response."""

    status_code: int
    content_type: str
    headers: Headers
    data: bytes


_verdicts: dict[tuple[Any, ...], list[str]] = {}


def _same_verdict(check: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """Remember ``check``'s verdict on the whole content of the messages it is given.

    Validating an exchange costs ~16 ms and tests repeat the same ones (every poll of a wait):
    the same method, URL, headers and body, the same status, headers and body, get the same
    verdict, so each distinct exchange is validated once per process.
    """

    @functools.wraps(check)
    def remembered(*messages: httpx.Request | httpx.Response) -> list[str]:
        key = (check.__name__, *(_content(message) for message in messages))
        verdict = _verdicts.get(key)
        if verdict is None:
            verdict = _verdicts[key] = check(*messages)
        return list(verdict)

    return remembered


def _content(message: httpx.Request | httpx.Response) -> tuple[Any, ...]:
    """Every byte of a message that a check may look at."""
    message.read()
    if isinstance(message, httpx.Request):
        return (message.method, str(message.url), tuple(message.headers.raw), message.content)
    return (message.status_code, tuple(message.headers.raw), message.content)


def validate_exchange(request: httpx.Request, response: httpx.Response) -> list[str]:
    """Everything wrong with one request and its answer; empty when both keep the contract."""
    return request_problems(request) + response_problems(request, response)


@_same_verdict
def request_problems(request: httpx.Request) -> list[str]:
    """What is wrong with a request the CLI sent (or a test sent to the fake)."""
    request.read()
    route = _spec_path(request)
    if route is None:
        if _PROXY_EXECUTE.search(request.url.path) and request.method == "POST":
            return _proxy_request_problems(request)
        return [f"{request.method} {request.url.path}: not a route of the API"]
    problems = [
        _describe(error) for error in _openapi().iter_request_errors(_adapt(request, route))
    ]
    return problems + _undeclared_query(request, route)


@_same_verdict
def response_problems(request: httpx.Request, response: httpx.Response) -> list[str]:
    """What is wrong with the answer to a request (by the fake, or any server)."""
    response.read()
    if not response.is_success:
        return _error_body_problems(response)
    route = _spec_path(request)
    if route is None:
        if _PROXY_EXECUTE.search(request.url.path):
            return _schema_problems("ExecuteResponse", _json(response), reading=True)
        return [f"{request.method} {request.url.path}: answered {response.status_code} off-spec"]
    body = _json(response)
    if _operation_id(request.method, route) == "listSandboxes" and isinstance(body, list):
        # Older servers answered the list with a bare array of items; clients accept both.
        return _schema_problems("SandboxListItem", body, reading=True, many=True)
    spec_response = _SpecResponse(
        status_code=response.status_code,
        content_type=response.headers.get("content-type", ""),
        headers=Headers(response.headers.multi_items()),
        data=response.content,
    )
    spec_request = _adapt(request, route)
    return [_describe(e) for e in _openapi().iter_response_errors(spec_request, spec_response)]


@functools.cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_file_path(
        str(SPEC_PATH), config=Config(additional_properties_default_policy="forbid")
    )


@functools.cache
def _spec_document() -> dict[str, Any]:
    document: dict[str, Any] = _openapi().spec.read_value()
    return document


@functools.cache
def _schema_validator(name: str, *, reading: bool) -> Validator:
    """A strict (no undeclared properties) validator for one of the spec's components."""
    app = _openapi()
    schema = app.spec / "components" / "schemas" / name
    factory = (
        oas30_read_schema_validators_factory if reading else oas30_write_schema_validators_factory
    )
    return factory.create(app.spec, schema, forbid_unspecified_additional_properties=True).validator


def _spec_path(request: httpx.Request) -> str | None:
    """The request's path below the API base (still percent-encoded), if it is an API route."""
    raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
    for pattern in (_LEGACY_EXECUTE, _API_ROUTE):
        match = pattern.match(raw_path)
        if match:
            return match.group(1)
    return None


def _adapt(request: httpx.Request, route: str) -> _SpecRequest:
    return _SpecRequest(
        path=SPEC_BASE + route,
        method=request.method.lower(),
        body=request.content or None,
        content_type=request.headers.get("content-type", "").lower(),
        parameters=RequestParameters(
            query=ImmutableMultiDict(request.url.params.multi_items()),
            header=Headers(request.headers.multi_items()),
        ),
    )


def _template_match(route: str) -> str | None:
    """The spec's path template that a concrete route falls under."""
    for template in _spec_document()["paths"]:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, route):
            return str(template)
    return None


def _operation(method: str, route: str) -> dict[str, Any] | None:
    template = _template_match(route)
    if template is None:
        return None
    operation: dict[str, Any] | None = _spec_document()["paths"][template].get(method.lower())
    return operation


def _operation_id(method: str, route: str) -> str | None:
    operation = _operation(method, route)
    return None if operation is None else str(operation["operationId"])


def _undeclared_query(request: httpx.Request, route: str) -> list[str]:
    """openapi-core ignores unknown query parameters; the server would too, silently."""
    operation = _operation(request.method, route)
    if operation is None:
        return []
    declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    return [
        f"query parameter {name!r} is not declared for {operation['operationId']}"
        for name in dict.fromkeys(request.url.params.keys())
        if name not in declared
    ]


def _proxy_request_problems(request: httpx.Request) -> list[str]:
    problems = []
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        problems.append("toolbox proxy: no bearer Authorization header")
    if "application/json" not in request.headers.get("content-type", "").lower():
        problems.append("toolbox proxy: the body is not declared as application/json")
    body = _json(request)
    if not isinstance(body, dict):
        return [*problems, "toolbox proxy: the body is not a JSON object"]
    envs = body.get("envs")
    if "envs" in body and not (
        isinstance(envs, dict) and all(isinstance(value, str) for value in envs.values())
    ):
        problems.append("toolbox proxy: envs must be an object of strings")
    rest = {key: value for key, value in body.items() if key != "envs"}
    return problems + _schema_problems("ExecuteRequest", rest, reading=False)


def _error_body_problems(response: httpx.Response) -> list[str]:
    body = _json(response)
    if not isinstance(body, dict):
        return [f"error {response.status_code}: the body is not a JSON object: {body!r}"]
    problems = [
        f"error {response.status_code}: no {key!r} in the body"
        for key in ERROR_KEYS
        if key not in body
    ]
    if "message" in body and not isinstance(body["message"], str):
        problems.append(f"error {response.status_code}: message is not one string")
    if "statusCode" in body and body["statusCode"] != response.status_code:
        problems.append(f"error {response.status_code}: statusCode says {body['statusCode']}")
    return problems


def _schema_problems(name: str, value: Any, *, reading: bool, many: bool = False) -> list[str]:
    validator = _schema_validator(name, reading=reading)
    items = list(enumerate(value)) if many else [(None, value)]
    return [
        f"{name}{'' if index is None else f'[{index}]'}"
        f"{''.join(f'[{part!r}]' for part in error.absolute_path)}: {error.message}"
        for index, item in items
        for error in validator.iter_errors(item)
    ]


def _json(message: httpx.Request | httpx.Response) -> Any:
    try:
        return json.loads(message.content)
    except ValueError:
        return None


def _describe(error: Exception) -> str:
    """openapi-core's error names the failing part; the schema errors beneath it say why."""
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None:
        chain.append(cause)
        cause = cause.__cause__
    reasons = [
        "".join(f"[{part!r}]" for part in schema_error.absolute_path) + f" {schema_error.message}"
        for link in chain
        for schema_error in getattr(link, "schema_errors", ())
    ]
    if reasons:
        # The error's own text repeats the whole value and the raw errors after ": Value".
        label = str(error).split(": Value ", 1)[0]
        return f"{label}: {'; '.join(reason.strip() for reason in reasons)}"
    messages: list[str] = []
    for link in chain:
        if not any(str(link) in message for message in messages):
            messages.append(str(link))
    return "; ".join(messages)
