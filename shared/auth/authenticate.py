"""From a request's credentials to a ``Principal``, and the scope check.

Credentials, in this order (the first one present is the one judged; no fallback to the next):

1. ``Authorization: Bearer <token>``: an issued API key (``mlp_...``: OpenAI-style clients send
   their ``api_key`` this way) or a JWT;
2. ``X-API-Key: <key>``: an issued API key (the trading agents' header).

The function key (``x-functions-key`` or ``?code=``) is the host's outer layer and is not a
credential here. Failures are 401 with ``WWW-Authenticate`` (RFC 6750), and a missing scope is
403 naming it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from shared.auth.api_keys import ApiKeyStore, looks_like_api_key
from shared.auth.principal import Principal, Scope
from shared.auth.tokens import JwtVerifier
from shared.config import get_settings
from shared.errors import ForbiddenError, UnauthorizedError

if TYPE_CHECKING:
    from shared.http.call import HttpCall

REALM = 'Bearer realm="mlplatform"'


@functools.cache
def get_api_key_store() -> ApiKeyStore:
    """The process's key store (PostgreSQL ``api_keys`` with its Redis copy); lazy."""
    from shared.stores.postgres import PostgresService, get_pool
    from shared.stores.redis import RedisService, get_redis

    return ApiKeyStore(
        lambda: get_pool(PostgresService.AUTH), lambda: get_redis(RedisService.AUTH), get_settings()
    )


@functools.cache
def get_jwt_verifier() -> JwtVerifier:
    """The process's JWT verifier for the configured key sources; lazy."""
    return JwtVerifier(get_settings())


def reset_auth() -> None:
    """Forget the cached store and verifier (after a settings change, in tests)."""
    get_api_key_store.cache_clear()
    get_jwt_verifier.cache_clear()


def authenticate(req: HttpCall) -> Principal:
    """The caller of ``req``; 401 when no credential, or no valid one, is presented."""
    scheme, _, token = str(req.headers.get("authorization", "")).strip().partition(" ")
    token = token.strip()
    if scheme:
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("the Authorization header must be 'Bearer <token>'")
        return _judged(token)
    api_key = str(req.headers.get("x-api-key", "")).strip()
    if api_key:
        return _judged(api_key, header_key=True)
    raise UnauthorizedError(
        "credentials are required: an API key (Authorization: Bearer or X-API-Key) or a JWT",
        headers={"WWW-Authenticate": REALM},
    )


def authorize(principal: Principal, scope: Scope) -> None:
    """403 unless ``principal`` holds ``scope``."""
    if not principal.allows(scope):
        raise ForbiddenError(
            f"the credential lacks the {scope.value!r} scope",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
            required_scope=scope.value,
        )


def _judged(token: str, *, header_key: bool = False) -> Principal:
    try:
        if header_key or looks_like_api_key(token):
            return get_api_key_store().authenticate(token)
        return get_jwt_verifier().verify(token)
    except UnauthorizedError as exc:
        raise _unauthorized(exc.detail) from None


def _unauthorized(detail: str) -> UnauthorizedError:
    # The reason is the token's own (expired, wrong audience...), never a secret.
    description = detail.replace('"', "'")
    return UnauthorizedError(
        detail,
        headers={
            "WWW-Authenticate": f'{REALM}, error="invalid_token", error_description="{description}"'
        },
    )
