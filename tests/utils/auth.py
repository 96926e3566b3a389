"""Credentials for tests: JWTs signed with the local HS256 secret, and the headers that carry them.

``auth_headers("alice")`` is alice of tenant ``tests`` with every scope; tests that need two
callers apart use two names (a name always yields the same identity, ``owner_of(name)``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from shared.auth.dev_tokens import ALL_SCOPES, mint_jwt

__all__ = ["ALL_SCOPES", "FUNCTION_KEY", "auth_headers", "mint_jwt", "new_caller", "owner_of"]

FUNCTION_KEY = "local-dev-function-key"  # devhost's key for apps whose routes ask for one
TENANT = "tests"


def owner_of(user: str, tenant: str = TENANT) -> str:
    """The owner id the platform stores for ``user`` of ``tenant``."""
    return f"{tenant}/{user}"


def auth_headers(
    user: str | None = None,
    *,
    tenant: str = TENANT,
    scopes: Iterable[str] = ALL_SCOPES,
) -> dict[str, str]:
    """A bearer JWT for ``user`` (a new random user when None): the one credential every
    endpoint asks for (no function key: the app authenticates its callers itself)."""
    user = user or f"user-{uuid.uuid4().hex[:8]}"
    return {"authorization": f"Bearer {mint_jwt(user, tenant=tenant, scopes=scopes)}"}


def new_caller(name: str) -> dict[str, str]:
    """A JWT for a new user named after ``name`` (``<name>-<8 hex>``)."""
    return auth_headers(f"{name}-{uuid.uuid4().hex[:8]}")
