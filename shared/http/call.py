"""``HttpCall``: what the platform's HTTP code reads of a request, independent of the server.

The authentication, idempotency and validation code takes this view instead of a framework type:
it is built once per request from the Starlette ``Request`` the host hands the function (headers,
query, route values, and the body when the operation reads it whole), and tests build it directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shared.http.problems import REQUEST_ID_HEADER


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only header map (repeated names joined with ``, ``, as the host
    does)."""

    def __init__(self, pairs: Mapping[str, str] | list[tuple[str, str]] | None = None) -> None:
        items = pairs.items() if isinstance(pairs, Mapping) else (pairs or [])
        joined: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        self._values = joined

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


@dataclass(frozen=True)
class HttpCall:
    """One request as the platform reads it.

    ``body`` is the whole body for operations that read it whole, and ``None`` for operations that
    stream it (uploads): those read ``request.stream()`` themselves.
    """

    method: str
    url: str
    headers: Headers = field(default_factory=Headers)
    params: Mapping[str, str] = field(default_factory=dict)
    route_params: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = b""

    @property
    def path(self) -> str:
        """The URL's path (no query)."""
        return urlsplit(self.url).path

    def get_body(self) -> bytes:
        """The body read so far (empty for a streamed one)."""
        return self.body or b""


def request_id_of(headers: Mapping[str, str]) -> str:
    """The caller's ``X-Request-Id`` when it is sane, else a new one."""
    given = str(headers.get(REQUEST_ID_HEADER, ""))
    if 0 < len(given) <= 128 and given.isascii() and given.isprintable():
        return given
    return uuid.uuid4().hex


def joined_query(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Query parameters as the host hands them over: one string per name, repeats comma-joined."""
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined
