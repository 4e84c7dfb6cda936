"""Which setting and provider path a gateway request names, refusing any path that could move it.

`/gateway/<setting key>/<provider path>`: the upstream scheme, host and port come only from
the provider registry, so the provider path is checked in both forms uvicorn hands over:
`raw_path` (still percent-encoded) and `path` (decoded, not normalised).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

import httpx

PREFIX = "/gateway/"
CACHED_URL_LENGTH = 512  # longer paths are joined each time, not cached
_KEY = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_ENCODED_SEPARATOR = re.compile(r"%(2f|5c)", re.IGNORECASE)
_SCHEME = re.compile(r"/*https?:", re.IGNORECASE)
_DOT_SEGMENTS = frozenset({".", ".."})


class BadPath(Exception):
    """A provider path that is refused (400); the message says why and is safe to show."""


@dataclass(frozen=True)
class Route:
    """The setting whose key is used, and the provider path exactly as the caller encoded it."""

    setting_key: str
    raw_path: str  # starts with "/", percent-encoding kept
    query: str  # the raw query string, without "?"


def route(scope: dict[str, object]) -> Route | None:
    """The route a gateway request names, None when there is no valid setting key in it
    (answered as an unknown key), BadPath when the provider path could change the destination."""
    raw = _raw_path(scope)
    key, slash, rest = raw[len(PREFIX) :].partition("/")
    if not _KEY.fullmatch(key):
        return None
    provider_path = slash + rest
    decoded = str(scope.get("path", ""))[len(PREFIX) + len(key) :]
    _refuse_moving(provider_path, decoded)
    query = scope.get("query_string", b"")
    assert isinstance(query, bytes)
    return Route(key, provider_path or "/", query.decode("latin-1"))


def _raw_path(scope: dict[str, object]) -> str:
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw.decode("latin-1")
    return str(scope.get("path", ""))


def _refuse_moving(raw: str, decoded: str) -> None:
    if _ENCODED_SEPARATOR.search(raw):
        raise BadPath("The provider path contains an encoded slash or backslash (%2F, %5C).")
    for form in (raw, unquote(raw), decoded):
        if "\\" in form:
            raise BadPath("The provider path contains a backslash.")
        if any(segment in _DOT_SEGMENTS for segment in form.split("/")):
            raise BadPath("The provider path contains a '.' or '..' segment.")
        if _SCHEME.match(form):
            raise BadPath(
                "The provider path starts with a URL scheme; give only the provider's path, "
                "e.g. /v1/chat/completions."
            )


def upstream_url(base: str, route: Route) -> httpx.URL:
    """The configured origin (and base path) `base` with the caller's path and query."""
    short = len(route.raw_path) + len(route.query) <= CACHED_URL_LENGTH  # bounds the cache
    join = _joined_url if short else _joined_url.__wrapped__
    return join(base, route.raw_path, route.query)


@lru_cache(maxsize=1024)
def _joined_url(base: str, raw_path: str, query: str) -> httpx.URL:
    """Built from parts, so nothing in the caller's path can become a host: `//` and `@` stay
    path characters. Cached because httpx checks a URL character by character (~0.1 ms, a
    third of keyvault's own time per request) and callers repeat a few paths."""
    origin = httpx.URL(base)
    joined = (origin.raw_path.rstrip(b"/") + raw_path.encode("latin-1")).split(b"?")[0]
    if query:
        joined += b"?" + query.encode("latin-1")
    return origin.copy_with(raw_path=joined)
