"""Tokens signed with the configured AUTH_JWT_SECRET, for local development, tests and benchmarks.

``python -m shared.auth token --user me [--tenant local] [--scopes voice chat ...]`` prints one
(see shared/auth/__main__.py). A token made here is as good as any the issuer signs: whoever holds
AUTH_JWT_SECRET can make them, which is why the secret lives in Key Vault outside local settings.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from shared.auth.principal import Scope
from shared.config import Settings, get_settings

ALL_SCOPES = tuple(scope.value for scope in Scope)


def mint_jwt(
    user: str,
    *,
    tenant: str = "local",
    scopes: Iterable[str] = ALL_SCOPES,
    lifetime_seconds: int = 3600,
    claims: Mapping[str, Any] | None = None,
    secret: str | None = None,
    settings: Settings | None = None,
) -> str:
    """An HS256 JWT with the configured issuer and audience for ``user`` of ``tenant``;
    ``claims`` adds or replaces claims (None removes one), ``secret`` signs with another key."""
    import jwt

    settings = settings or get_settings()
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": settings.auth_jwt_issuer,
        "aud": settings.auth_jwt_audience,
        "sub": user,
        settings.auth_jwt_tenant_claim: tenant,
        "scp": " ".join(scopes),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
        "jti": uuid.uuid4().hex,
    }
    for name, value in (claims or {}).items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    if secret is None:
        if settings.auth_jwt_secret is None:
            raise RuntimeError("AUTH_JWT_SECRET is not set: no token can be signed here")
        secret = settings.auth_jwt_secret.get_secret_value()
    return jwt.encode(payload, secret, algorithm="HS256")
