"""Storing an HTTP response compactly and rebuilding it byte for byte.

Payload layout (the part after the record header, see ``persistence/base.py``)::

    {"s": status, "m": mimetype, "c": charset, "h": [[name, value], ...]}  b"\\n"  raw body bytes

JSON never contains a raw newline, so the first ``\\n`` ends the metadata and everything after it
is the body, unchanged (binary safe).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.responses import Response

from shared.http.problems import REQUEST_ID_HEADER

REPLAYED_HEADER = "Idempotent-Replayed"

# Headers that describe one connection or one exchange rather than the resource: hop-by-hop headers
# (RFC 9110 §7.6.1), cookies (a replay must not hand out a session again), the request id (each
# request has its own), and values the host recomputes (length, date, server).
_NEVER_REPLAYED = frozenset(
    name.lower()
    for name in (
        "Connection",
        "Keep-Alive",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Proxy-Connection",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Set-Cookie",
        "Set-Cookie2",
        REQUEST_ID_HEADER,
        REPLAYED_HEADER,
        "Content-Length",
        "Date",
        "Server",
    )
)


def replayable_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers worth replaying, in order, repeated names kept.

    Dropped: hop-by-hop headers, any header the response's ``Connection`` header names,
    ``Set-Cookie``, ``X-Request-Id``, ``Content-Length``, ``Date``, ``Server``.
    """
    pairs = list(headers)
    listed = {
        token.strip().lower()
        for name, value in pairs
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return [
        (name, value)
        for name, value in pairs
        if name.lower() not in _NEVER_REPLAYED and name.lower() not in listed
    ]


def encode_response(response: Response, body: bytes | None = None) -> bytes:
    """The payload to store for ``response`` (metadata line, then the raw body: ``body`` for a
    streamed response, which keeps none)."""
    meta = {
        "s": response.status_code,
        "h": replayable_headers(response.headers.items()),
    }
    content = response.body if body is None else body
    return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + bytes(content)


def decode_response(payload: bytes) -> Response:
    """The stored response, marked ``Idempotent-Replayed: true``."""
    meta_line, _, body = payload.partition(b"\n")
    meta = json.loads(meta_line)
    response = Response(body, status_code=meta["s"])
    for name, value in meta["h"]:
        response.headers.append(name, value)
    if "content-type" not in response.headers and meta.get("m"):
        # Records written before the HTTP streams move kept the media type apart.
        charset = f"; charset={meta['c']}" if str(meta["m"]).startswith("text/") else ""
        response.headers["content-type"] = f"{meta['m']}{charset}"
    response.headers[REPLAYED_HEADER] = "true"
    return response


def is_stored_status(status: int, *, store_4xx: bool) -> bool:
    """Which outcomes are stored: 2xx always, 4xx when configured, nothing else (1xx, 3xx, 5xx)."""
    return 200 <= status < 300 or (store_4xx and 400 <= status < 500)
