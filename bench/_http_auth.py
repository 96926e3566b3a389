"""Credentials for the suites that call the HTTP API through devhost.

Every non-health function authenticates its caller (``shared.auth``): the suites send devhost's
function key (the host's outer layer) and a bearer JWT signed with the local ``AUTH_JWT_SECRET``
(``shared.auth.dev_tokens``; run them with the local settings in the environment, as
``make bench`` does). ``/api/predict`` is called the way trading agents call it: with an API key
issued through ``POST /api/auth/keys`` (``issued_api_key``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpx

from shared.auth.dev_tokens import ALL_SCOPES, mint_jwt

FUNCTION_KEY = "local-dev-function-key"  # devhost's default (DEVHOST_FUNCTION_KEY)
TENANT = "bench"
# Long enough for the slowest suite: a token that expires mid-run would turn the run into 401s.
LIFETIME_SECONDS = 12 * 3600


def bearer(user: str, *, scopes: Iterable[str] = ALL_SCOPES) -> str:
    """``Bearer <jwt>`` for ``user`` of the bench tenant."""
    token = mint_jwt(user, tenant=TENANT, scopes=scopes, lifetime_seconds=LIFETIME_SECONDS)
    return f"Bearer {token}"


def auth_headers(user: str, *, scopes: Iterable[str] = ALL_SCOPES) -> dict[str, str]:
    """The function key and a bearer JWT for ``user`` of the bench tenant (every scope)."""
    return {"x-functions-key": FUNCTION_KEY, "authorization": bearer(user, scopes=scopes)}


@contextmanager
def issued_api_key(client: httpx.Client, scopes: Iterable[str]) -> Iterator[dict[str, str]]:
    """``X-API-Key`` (with the function key) of a key issued for a new bench user through
    ``POST /auth/keys`` on ``client`` (its base URL ends in ``/api``); revoked afterwards."""
    admin = auth_headers("bench-admin", scopes=["admin"])
    issued = client.post(
        "/auth/keys",
        headers=admin,
        json={"user": f"bench-{uuid.uuid4().hex[:8]}", "name": "bench", "scopes": list(scopes)},
    )
    issued.raise_for_status()
    body = issued.json()
    try:
        yield {"x-functions-key": FUNCTION_KEY, "X-API-Key": str(body["key"])}
    finally:
        client.delete(f"/auth/keys/{body['id']}", headers=admin).raise_for_status()
