"""What ``--debug`` shows of an HTTP exchange: the key, and secrets in bodies and URLs, hidden.

The values of :data:`SECRET_FIELDS` (environment variables, secret references, SSH and preview
tokens) never reach stderr; a token that recurs inside another value (a signed preview URL) or in
a query string (``revokeSshAccess``'s ``?token=``) is hidden there too.
"""

from __future__ import annotations

from collections.abc import Mapping

SECRET_FIELDS = frozenset({"env", "envs", "secrets", "token", "sshCommand"})
"""Body fields whose values are secrets: environment variables, secret references, SSH and
preview tokens. ``--debug`` shows them as ``***``."""


def redact_body(text: str) -> str:
    """A JSON body with the values of :data:`SECRET_FIELDS` hidden (keys kept); other text as is.

    A secret string is also hidden where it recurs in another value: a signed preview URL
    carries its ``token`` in the host name (NOTES.md, "SSH, previews, pause and archive").
    """
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return text
    found: list[str] = []
    _collect_secrets(value, found)

    def hide(node: object) -> object:
        if isinstance(node, dict):
            return {k: _hidden(v) if k in SECRET_FIELDS else hide(v) for k, v in node.items()}
        if isinstance(node, list):
            return [hide(item) for item in node]
        if isinstance(node, str):
            return _without(node, found)
        return node

    return json.dumps(hide(value), ensure_ascii=False)


def redact_url(url: str) -> str:
    """A URL with the values of query parameters named in :data:`SECRET_FIELDS` shown as
    ``***`` (``revokeSshAccess`` takes the SSH token as ``?token=``)."""
    from urllib.parse import unquote_plus

    base, mark, query = url.partition("?")
    if not mark:
        return url
    pairs = []
    for pair in query.split("&"):
        name, equals, _value = pair.partition("=")
        pairs.append(f"{name}=***" if equals and unquote_plus(name) in SECRET_FIELDS else pair)
    return f"{base}?{'&'.join(pairs)}"


MIN_SECRET_LENGTH = 8
"""Shorter secret values are hidden only where they stand, never searched for elsewhere."""


def _collect_secrets(node: object, found: list[str], secret: bool = False) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _collect_secrets(value, found, secret or key in SECRET_FIELDS)
    elif isinstance(node, list):
        for item in node:
            _collect_secrets(item, found, secret)
    elif secret and isinstance(node, str) and len(node) >= MIN_SECRET_LENGTH:
        found.append(node)


def _without(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _hidden(value: object) -> object:
    if isinstance(value, dict):
        return {key: "***" for key in value}
    if isinstance(value, list):
        return [_hidden(item) for item in value]
    return "***"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    shown = dict(headers)
    for name in list(shown):
        if name.lower() == "authorization":
            shown[name] = "Bearer ***"
    return shown
