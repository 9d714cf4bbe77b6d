"""HTTP(S) proxies from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``,
``NO_PROXY``), as httpx honours them, and what the CLI says about them.

The key never travels in clear text to a proxy: the only plain-http API URLs allowed are
loopback ones, and those bypass proxies (the client is built without the environment's proxies).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from daytona_cli.errors import Category, CliError, Reason


def proxy_for(url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy a request to ``url`` goes through, credentials hidden, or None."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return None  # plain http is loopback only, and built without proxies
    proxies = _proxies(environ)
    proxy = proxies.get("https") or proxies.get("all")
    if not proxy or _bypassed(parts.hostname or "", proxies.get("no", "")):
        return None
    return shown(proxy)


def _bypassed(host: str, no_proxy: str) -> bool:
    """``NO_PROXY``: ``*``, or hosts and domains (``example.com`` covers its subdomains)."""
    host = host.lower().strip("[]")
    for entry in no_proxy.split(","):
        entry = entry.strip().lower().lstrip(".").split(":")[0]
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False


def _proxies(environ: Mapping[str, str]) -> dict[str, str]:
    """``*_proxy`` variables in either case, lower case winning, as urllib reads them."""
    found: dict[str, str] = {}
    for name, value in environ.items():
        if value and name.lower().endswith("_proxy"):
            key = name.lower()[: -len("_proxy")]
            if name.islower() or key not in found:
                found[key] = value
    return found


def shown(proxy: str) -> str:
    """A proxy URL fit to print: any ``user:password@`` replaced by ``***@``, even in a URL
    too malformed to parse."""
    netloc_start = proxy.find("://") + 3 if "://" in proxy else 0
    at = proxy.rfind("@", netloc_start, _netloc_end(proxy, netloc_start))
    return proxy if at < 0 else proxy[:netloc_start] + "***" + proxy[at:]


def _netloc_end(url: str, start: int) -> int:
    ends = [i for i in (url.find(char, start) for char in "/?#") if i >= 0]
    return min(ends, default=len(url))


def unusable_proxy(exc: Exception, environ: Mapping[str, str]) -> CliError:
    """httpx refused the environment's proxy settings (a SOCKS proxy without socksio, or a
    proxy URL it cannot read): a configuration error (exit 2)."""
    names = [f"{name}={shown(value)}" for name, value in sorted(environ.items())
             if name.lower().endswith("_proxy") and name.lower() != "no_proxy" and value]  # fmt: skip
    setting = ", ".join(names) or "the proxy settings"
    if "socks" in str(exc).lower():
        return CliError(
            Category.USAGE,
            f"{setting} names a SOCKS proxy, which needs the socksio package",
            reason=Reason.SOCKS_PROXY,
        )
    return CliError(Category.USAGE, f"cannot use {setting}: {exc}", reason=Reason.PROXY_SETTING)
