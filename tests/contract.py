"""Check HTTP exchanges against the three specs in ``tests/`` (copied from
``../shared/daytona-api/``): ``openapi.yaml`` (the Daytona API), ``toolbox.yaml`` (the Toolbox
API behind a sandbox's ``toolboxProxyUrl``) and ``legacy-execute.yaml`` (the execute route older
servers still have).

Which spec a request answers to is read from its path alone, so requests may go to any host:

- ``[/api]/toolbox/{id}/toolbox/process/execute``: legacy-execute.yaml, base ``/api``;
- ``[/api]/sandbox...`` and ``[/api]/snapshots...``: openapi.yaml, base ``/api``;
- ``<any base>/{sandboxId}/<toolbox route>`` (``/process/...``, ``/files...``, ``/work-dir``,
  ``/user-home-dir``): toolbox.yaml, whose base is ``{toolboxProxyUrl}/{sandboxId}``.

Both sides of the conversation are held to the spec: requests (path, query, headers, body) and
answers. Objects may not carry properties the spec does not list, and query parameters (and
multipart form parts) the operation does not declare are refused, so a typo is caught on either
side. Where the specs say less than the wire carries, this module reads them as follows (and
nowhere else):

- Error answers of the API and the legacy route: the specs document none, so only Daytona's
  error-body keys are checked (``ERROR_KEYS``, NOTES.md "Error bodies").
- Error answers of the toolbox: the daemon's error middleware always writes JSON, whatever
  media type toolbox.yaml lists for a status (swaggo copies the route's ``@Produce``), so the
  body is checked as JSON against ``ErrorResponse``, for any error status.
- ``legacy-execute.yaml`` requires the ``bearer`` scheme without defining it (it was cut from
  the API's spec, which does): the API's definition is used, so a request without the key is
  refused there as on every other API route.
- ``UploadFile`` lists only ``multipart/form-data``, but its description (and the daemon) take
  a raw body too: the spec is read with ``application/octet-stream`` added for it.
- Plain-text answers (``GetSessionCommandLogs`` without the SDK header) and binary downloads:
  the content type must be one the operation lists; the body is not parsed (the spec's schema
  for ``text/plain`` is the JSON object, which plain text cannot be).
- A WebSocket follow (``GET .../logs?follow=true`` with ``Upgrade: websocket``): the request is
  checked as ``GetSessionCommandLogs``; its ``101`` answer and the frames are outside the spec.
- A request whose body the fake streamed to disk without keeping it (``request.extensions
  ["fake_body_elided"]``, a large upload) is checked without its body.
- An answer the fake marks ``response.extensions["fake_tolerated"]`` (a tuple of problem
  fragments) is spared exactly those problems: the fake sets it only for behaviour a test
  switched on on purpose (list items without ``id``, an old server's records without
  ``toolboxProxyUrl``, raw answers from ``inject_raw``; ``""`` tolerates everything).
"""

from __future__ import annotations

import copy
import email
import email.policy
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import httpx
import yaml
from jsonschema.protocols import Validator
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.schemas import (
    oas30_read_schema_validators_factory,
    oas30_write_schema_validators_factory,
)
from werkzeug.datastructures import Headers, ImmutableMultiDict

HERE = Path(__file__).parent
SPEC_PATH = HERE / "openapi.yaml"
TOOLBOX_SPEC_PATH = HERE / "toolbox.yaml"
LEGACY_SPEC_PATH = HERE / "legacy-execute.yaml"
SPEC_PATHS = {"api": SPEC_PATH, "toolbox": TOOLBOX_SPEC_PATH, "legacy": LEGACY_SPEC_PATH}
ERROR_KEYS = ("path", "timestamp", "statusCode", "error", "message")
TOLERATED = "fake_tolerated"
BODY_ELIDED = "fake_body_elided"

_LEGACY_EXECUTE = re.compile(r"^(?:/api)?(/toolbox/[^/]+/toolbox/process/execute)$")
_API_ROUTE = re.compile(r"^(?:/api)?(/(?:sandbox|snapshots)(?:/.*)?)$")
_TOOLBOX_ROUTE = re.compile(
    r"^(?P<base>.*?)/(?P<sandbox>[^/]+)(?P<route>/(?:process|files|work-dir|user-home-dir)(?:/.*)?)$"
)
# Where each spec's server puts a route, for openapi-core's server matching.
_HOSTS = {
    "api": "https://app.daytona.io",
    "legacy": "https://app.daytona.io",
    "toolbox": "https://proxy.app.daytona.io",
}
_PLAIN_MEDIA = ("text/plain", "application/octet-stream")


@dataclass(frozen=True)
class Route:
    """A request placed in a spec: ``path`` is the spec's path for it (percent-encoded, under
    the spec's server), ``route`` the part that matches a template in ``paths``."""

    spec: str
    path: str
    route: str


@dataclass
class _SpecRequest:
    """openapi-core's Request protocol over an httpx.Request, moved onto the spec's server."""

    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)
    host_url: str = _HOSTS["api"]


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


class Recorded(Protocol):
    """What a fake keeps of its traffic (``tests.fake_daytona.FakeDaytona``)."""

    requests: list[httpx.Request]
    exchanges: list[tuple[httpx.Request, httpx.Response]]


def fake_problems(fake: Recorded, *, check_requests: bool = True) -> list[str]:
    """Everything a fake saw that breaks the contract, one line each: its answered exchanges
    and the requests it never answered (a dropped connection), which the client still sent.
    ``check_requests=False`` checks the answers alone."""
    exchanges = list(fake.exchanges)
    answered = {id(request) for request, _ in exchanges}
    unanswered = [request for request in list(fake.requests) if id(request) not in answered]
    found = [
        (request, f" -> {response.status_code}", problem)
        for request, response in exchanges
        for problem in (
            validate_exchange(request, response)
            if check_requests
            else response_problems(request, response)
        )
    ]
    if check_requests:
        found += [
            (request, " (unanswered)", problem)
            for request in unanswered
            for problem in request_problems(request)
        ]
    return [f"{request.method} {request.url}{note}: {problem}" for request, note, problem in found]


@_same_verdict
def request_problems(request: httpx.Request) -> list[str]:
    """What is wrong with a request the CLI sent (or a test sent to the fake)."""
    route = route_of(request)
    if route is None:
        return [f"{request.method} {request.url.path}: not a route of the API or the toolbox"]
    if _operation(route, request.method) is None:
        return [f"{request.method} {request.url.path}: not an operation of {route.spec}"]
    problems = [
        problem
        for error in _openapi(route.spec).iter_request_errors(_adapt(request, route))
        for problem in _describe(error)
    ]
    return problems + _undeclared_query(request, route) + _undeclared_parts(request, route)


@_same_verdict
def response_problems(request: httpx.Request, response: httpx.Response) -> list[str]:
    """What is wrong with the answer to a request (by the fake, or any server)."""
    tolerated: tuple[str, ...] = response.extensions.get(TOLERATED, ())
    return [
        problem
        for problem in _response_problems(request, response)
        if not any(fragment in problem for fragment in tolerated)
    ]


def route_of(request: httpx.Request) -> Route | None:
    """The spec and spec path a request falls under, or None."""
    raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
    for spec, pattern in (("legacy", _LEGACY_EXECUTE), ("api", _API_ROUTE)):
        match = pattern.match(raw_path)
        if match:
            return Route(spec, "/api" + match.group(1), match.group(1))
    match = _TOOLBOX_ROUTE.match(raw_path)
    if match:
        sandbox, route = match.group("sandbox"), match.group("route")
        return Route("toolbox", f"/toolbox/{sandbox}{route}", route)
    return None


def operation_id(request: httpx.Request) -> str | None:
    """The spec's operationId for a request, or None when it is not one."""
    route = route_of(request)
    operation = None if route is None else _operation(route, request.method)
    return None if operation is None else str(operation["operationId"])


def _response_problems(request: httpx.Request, response: httpx.Response) -> list[str]:
    response.read()
    route = route_of(request)
    operation = None if route is None else _operation(route, request.method)
    if response.status_code == 101 and _is_websocket(request) and operation is not None:
        if operation["operationId"] != "GetSessionCommandLogs":
            return [f"{operation['operationId']}: upgraded to a WebSocket"]
        return []
    if not response.is_success:
        if route is not None and route.spec == "toolbox":
            return _toolbox_error_problems(response)
        return _error_body_problems(response)
    if route is None or operation is None:
        return [f"{request.method} {request.url.path}: answered {response.status_code} off-spec"]
    if operation["operationId"] == "listSandboxes" and isinstance(_json(response), list):
        # Older servers answered the list with a bare array of items; clients accept both.
        return _schema_problems("api", "SandboxListItem", _json(response), reading=True, many=True)
    media = _plain_media(operation, response)
    if media is not None:
        return media
    spec_response = _SpecResponse(
        status_code=response.status_code,
        content_type=response.headers.get("content-type", ""),
        headers=Headers(response.headers.multi_items()),
        data=response.content,
    )
    errors = _openapi(route.spec).iter_response_errors(_adapt(request, route), spec_response)
    return [problem for error in errors for problem in _describe(error)]


def _plain_media(operation: dict[str, Any], response: httpx.Response) -> list[str] | None:
    """Problems of a text or binary answer (content type only), or None for other answers."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _PLAIN_MEDIA:
        return None
    declared = operation.get("responses", {}).get(str(response.status_code), {})
    listed = list(declared.get("content", {}))
    if content_type in listed:
        return []
    return [
        f"{operation['operationId']} {response.status_code}: content type {content_type!r} "
        f"is not one of {listed}"
    ]


def _is_websocket(request: httpx.Request) -> bool:
    return request.headers.get("upgrade", "").lower() == "websocket"


@functools.cache
def _document(spec: str) -> dict[str, Any]:
    """A spec as a dict, with ``UploadFile``'s raw body and the legacy route's ``bearer``
    scheme added (see the module docstring)."""
    document: dict[str, Any] = yaml.safe_load(SPEC_PATHS[spec].read_text())
    if spec == "legacy":
        schemes = document["components"].setdefault("securitySchemes", {})
        schemes.setdefault("bearer", _document("api")["components"]["securitySchemes"]["bearer"])
    if spec == "toolbox":
        body = document["paths"]["/files/upload-v2"]["post"]["requestBody"]["content"]
        body["application/octet-stream"] = {"schema": {"type": "string", "format": "binary"}}
    return document


@functools.cache
def _openapi(spec: str) -> OpenAPI:
    return OpenAPI.from_dict(
        copy.deepcopy(_document(spec)),
        config=Config(additional_properties_default_policy="forbid"),
    )


@functools.cache
def _schema_validator(spec: str, name: str, *, reading: bool) -> Validator:
    """A strict (no undeclared properties) validator for one of a spec's components."""
    app = _openapi(spec)
    schema = app.spec / "components" / "schemas" / name
    factory = (
        oas30_read_schema_validators_factory if reading else oas30_write_schema_validators_factory
    )
    return factory.create(app.spec, schema, forbid_unspecified_additional_properties=True).validator


@functools.cache
def _templates(spec: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))), template)
        for template in _document(spec)["paths"]
    )


def _operation(route: Route, method: str) -> dict[str, Any] | None:
    """The spec's operation for a route and method, or None."""
    for pattern, template in _templates(route.spec):
        if pattern.fullmatch(route.route):
            operation: dict[str, Any] | None = _document(route.spec)["paths"][template].get(
                method.lower()
            )
            return operation
    return None


def _adapt(request: httpx.Request, route: Route) -> _SpecRequest:
    elided = request.extensions.get(BODY_ELIDED) is not None
    if not elided:
        request.read()
    return _SpecRequest(
        path=route.path,
        method=request.method.lower(),
        body=None if elided else request.content or None,
        content_type=request.headers.get("content-type", "").lower(),
        parameters=RequestParameters(
            query=ImmutableMultiDict(request.url.params.multi_items()),
            header=Headers(request.headers.multi_items()),
        ),
        host_url=_HOSTS[route.spec],
    )


def _undeclared_query(request: httpx.Request, route: Route) -> list[str]:
    """openapi-core ignores unknown query parameters; the server would too, silently."""
    operation = _operation(route, request.method)
    if operation is None:
        return []
    declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    return [
        f"query parameter {name!r} is not declared for {operation['operationId']}"
        for name in dict.fromkeys(request.url.params.keys())
        if name not in declared
    ]


def _undeclared_parts(request: httpx.Request, route: Route) -> list[str]:
    """openapi-core reads only the parts of a multipart form its schema names and drops the
    others, so a misnamed part would pass unseen; the server would not find its field."""
    content_type = request.headers.get("content-type", "")
    operation = _operation(route, request.method)
    if (
        operation is None
        or not content_type.lower().startswith("multipart/form-data")
        or request.extensions.get(BODY_ELIDED) is not None
    ):
        return []
    form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
    if form is None:
        return []  # openapi-core reports the media type itself
    declared = set(form.get("schema", {}).get("properties", {}))
    message = email.message_from_bytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + request.content,
        policy=email.policy.HTTP,
    )
    names = [
        part.get_param("name", header="content-disposition")
        for part in (message.iter_parts() if isinstance(message, EmailMessage) else ())
    ]
    return [
        f"form part {name!r} is not declared for {operation['operationId']}"
        for name in dict.fromkeys(names)
        if name not in declared
    ]


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


def _toolbox_error_problems(response: httpx.Response) -> list[str]:
    content_type = response.headers.get("content-type", "").lower()
    problems = []
    if "application/json" not in content_type:
        problems.append(f"error {response.status_code}: content type {content_type!r} is not JSON")
    body = _json(response)
    problems += _schema_problems("toolbox", "ErrorResponse", body, reading=True)
    if isinstance(body, dict) and body.get("statusCode", response.status_code) != (
        response.status_code
    ):
        problems.append(f"error {response.status_code}: statusCode says {body['statusCode']}")
    return problems


def _schema_problems(
    spec: str, name: str, value: Any, *, reading: bool, many: bool = False
) -> list[str]:
    validator = _schema_validator(spec, name, reading=reading)
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


def _describe(error: Exception) -> list[str]:
    """openapi-core's error names the failing part; the schema errors beneath it say why, one
    problem each (so that a tolerated problem never hides another)."""
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
        return [f"{label}: {reason.strip()}" for reason in reasons]
    messages: list[str] = []
    for link in chain:
        if not any(str(link) in message for message in messages):
            messages.append(str(link))
    return ["; ".join(messages)]
