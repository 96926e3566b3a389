"""Issued API keys: ``mlp_<id>_<secret>``, stored hashed, scoped, revocable, cached in Redis.

Contract:

- A key is ``mlp_`` + a 12-hex id + ``_`` + 43 url-safe characters (256 random bits). The id is
  public (listings, logs, the ``credential_id`` of the principal); the secret is shown once, at
  issue, and only its SHA-256 is stored (it is random, so a slow hash would add nothing).
- ``authenticate`` answers a ``Principal`` or raises 401: unknown id, wrong secret, revoked,
  expired or malformed keys all get the same answer, so a caller learns nothing from it.
- PostgreSQL (``api_keys``) is the record. Redis keeps a copy of a key's record under
  ``auth:key:<id>`` for AUTH_KEY_CACHE_SECONDS, so a request costs one Redis GET, not a query.
- Revocation takes effect at once everywhere: ``revoke`` first overwrites the Redis copy with a
  tombstone (cache fills never overwrite one: SET NX), then marks the row. When Redis cannot be
  reached, revoking answers 503 instead of leaving a valid copy behind; authenticating falls back
  to PostgreSQL (at once while the ``redis`` breaker is open).
- ``last_used_at`` is written at most once per AUTH_KEY_TOUCH_SECONDS per key and process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.auth.principal import AuthMethod, Principal, Scope, known_scopes
from shared.errors import NotFoundError, ServiceUnavailableError, UnauthorizedError
from shared.resilience import DependencyOpenError, redis_guard
from shared.stores.database import database_errors

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from shared.config import Settings
    from shared.stores.redis import RedisClient

logger = logging.getLogger(__name__)

KEY_PREFIX = "mlp_"
_KEY = re.compile(r"^mlp_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
CACHE_PREFIX = "auth:key:"
_TOMBSTONE = b"revoked"
_INVALID = "invalid, expired or revoked API key"


def looks_like_api_key(token: str) -> bool:
    """True for tokens in this platform's key format (so a bearer token is not tried as a JWT)."""
    return token.startswith(KEY_PREFIX)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True)
class ApiKeyRecord:
    """One issued key, as listed; never holds the secret."""

    id: str
    tenant: str
    user: str
    name: str
    scopes: frozenset[Scope]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ApiKeyRecord:
        return cls(
            id=row["id"],
            tenant=row["tenant"],
            user=row["user_id"],
            name=row["name"],
            scopes=known_scopes(row["scopes"]),
            created_by=row["created_by"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            revoked_at=row["revoked_at"],
            last_used_at=row["last_used_at"],
        )


@dataclass(frozen=True)
class _Cached:
    """What authentication needs of a key: its copy in Redis (JSON)."""

    tenant: str
    user: str
    scopes: tuple[str, ...]
    secret_sha256: bytes
    expires_at: float | None  # epoch seconds

    def dumps(self) -> str:
        return json.dumps(
            {
                "tenant": self.tenant,
                "user": self.user,
                "scopes": list(self.scopes),
                "sha256": self.secret_sha256.hex(),
                "expires_at": self.expires_at,
            }
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> _Cached | None:
        try:
            value = json.loads(raw)
            return cls(
                tenant=value["tenant"],
                user=value["user"],
                scopes=tuple(value["scopes"]),
                secret_sha256=bytes.fromhex(value["sha256"]),
                expires_at=value["expires_at"],
            )
        except (ValueError, KeyError, TypeError):
            return None  # a corrupt copy: read the record instead

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> _Cached:
        expires: datetime | None = row["expires_at"]
        return cls(
            tenant=row["tenant"],
            user=row["user_id"],
            scopes=tuple(row["scopes"]),
            secret_sha256=bytes(row["secret_sha256"]),
            expires_at=expires.timestamp() if expires else None,
        )


_INSERT = (
    "INSERT INTO api_keys (id, tenant, user_id, name, scopes, secret_sha256, created_by,"
    " expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id, tenant, user_id, name,"
    " scopes, created_by, created_at, expires_at, revoked_at, last_used_at"
)
_LIST = (
    "SELECT id, tenant, user_id, name, scopes, created_by, created_at, expires_at, revoked_at,"
    " last_used_at FROM api_keys WHERE tenant = %s ORDER BY created_at DESC, id LIMIT %s"
)
_REVOKE = (
    "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = %s AND tenant = %s"
    " RETURNING id, tenant, user_id, name, scopes, created_by, created_at, expires_at,"
    " revoked_at, last_used_at"
)


class ApiKeyStore:
    """Issue, list, revoke and authenticate API keys (see the module docstring)."""

    def __init__(
        self,
        pool: Callable[[], ConnectionPool],
        cache: Callable[[], RedisClient],
        settings: Settings,
    ) -> None:
        self._pool = pool
        self._cache = cache
        self._cache_seconds = settings.auth_key_cache_seconds
        self._touch_seconds = settings.auth_key_touch_seconds
        self._touched: dict[str, float] = {}
        self._touch_lock = threading.Lock()

    # -- administration -------------------------------------------------------------------------

    def issue(
        self,
        *,
        tenant: str,
        user: str,
        name: str,
        scopes: Iterable[Scope],
        created_by: str,
        expires_at: datetime | None = None,
    ) -> tuple[ApiKeyRecord, str]:
        """Store a new key; returns its record and the key itself (shown only this once)."""
        from psycopg.rows import dict_row

        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        with database_errors("the API key store"), self._pool().connection() as conn:
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    _INSERT,
                    (
                        key_id,
                        tenant,
                        user,
                        name,
                        sorted(s.value for s in scopes),
                        _digest(secret),
                        created_by,
                        expires_at,
                    ),
                )
                .fetchone()
            )
        assert row is not None
        return ApiKeyRecord.from_row(row), f"{KEY_PREFIX}{key_id}_{secret}"

    def list_keys(self, tenant: str, limit: int = 1000) -> list[ApiKeyRecord]:
        """The tenant's keys, newest first, revoked ones included (with ``revoked_at``)."""
        from psycopg.rows import dict_row

        with database_errors("the API key store"), self._pool().connection() as conn:
            rows = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    _LIST,
                    (tenant, limit),
                )
                .fetchall()
            )
        return [ApiKeyRecord.from_row(row) for row in rows]

    def revoke(self, tenant: str, key_id: str) -> ApiKeyRecord:
        """Revoke the tenant's key ``key_id`` (again is a no-op); 404 for another tenant's or an
        unknown key; 503 when the Redis copy cannot be replaced by a tombstone first."""
        import redis as redis_errors
        from psycopg.rows import dict_row

        if not re.fullmatch(r"[0-9a-f]{12}", key_id):
            raise NotFoundError("no such API key")
        with database_errors("the API key store"), self._pool().connection() as conn:
            owned = conn.execute(
                "SELECT 1 FROM api_keys WHERE id = %s AND tenant = %s", (key_id, tenant)
            ).fetchone()
            if owned is None:
                raise NotFoundError("no such API key")
            try:
                with redis_guard():
                    self._cache().set(CACHE_PREFIX + key_id, _TOMBSTONE, ex=self._tombstone_seconds)
            except (redis_errors.RedisError, DependencyOpenError) as exc:
                raise ServiceUnavailableError(
                    "the key cache is unavailable; the key was not revoked, try again",
                    headers={"Retry-After": "5"},
                ) from exc
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    _REVOKE,
                    (key_id, tenant),
                )
                .fetchone()
            )
        assert row is not None
        logger.info("API key %s revoked", key_id)
        return ApiKeyRecord.from_row(row)

    @property
    def _tombstone_seconds(self) -> int:
        # At least as long as any copy a concurrent fill could have written before the tombstone.
        return max(self._cache_seconds, 1)

    # -- authentication -------------------------------------------------------------------------

    def authenticate(self, token: str) -> Principal:
        """The principal of a valid key; 401 for anything else (see the module docstring)."""
        match = _KEY.match(token)
        if match is None:
            raise UnauthorizedError(_INVALID)
        key_id, secret = match.groups()
        record = self._cached(key_id)
        if record is None:
            record = self._load(key_id)
        if record is None or not hmac.compare_digest(record.secret_sha256, _digest(secret)):
            raise UnauthorizedError(_INVALID)
        if record.expires_at is not None and record.expires_at <= time.time():
            raise UnauthorizedError(_INVALID)
        self._touch(key_id)
        return Principal(
            tenant=record.tenant,
            user=record.user,
            scopes=known_scopes(record.scopes),
            method=AuthMethod.API_KEY,
            credential_id=key_id,
        )

    def _cached(self, key_id: str) -> _Cached | None:
        """The Redis copy; None when absent or Redis is unreachable (then the record is read).
        A tombstone raises 401 at once."""
        import redis as redis_errors

        if self._cache_seconds == 0:
            return None
        try:
            with redis_guard():
                raw = self._cache().get(CACHE_PREFIX + key_id)
        except (redis_errors.RedisError, DependencyOpenError) as exc:
            logger.warning("API key cache unavailable: %s", type(exc).__name__)
            return None
        if raw is None:
            return None
        if raw == _TOMBSTONE:
            raise UnauthorizedError(_INVALID)
        return _Cached.loads(raw)

    def _load(self, key_id: str) -> _Cached | None:
        """The record from PostgreSQL, copied to Redis (never over a tombstone)."""
        import redis as redis_errors
        from psycopg.rows import dict_row

        with database_errors("the API key store"), self._pool().connection() as conn:
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    "SELECT tenant, user_id, scopes, secret_sha256, expires_at, revoked_at"
                    " FROM api_keys WHERE id = %s",
                    (key_id,),
                )
                .fetchone()
            )
        if row is None:
            return None
        value = _TOMBSTONE if row["revoked_at"] is not None else _Cached.of_row(row).dumps()
        if self._cache_seconds:
            try:
                with redis_guard():
                    self._cache().set(CACHE_PREFIX + key_id, value, ex=self._cache_seconds, nx=True)
            except (redis_errors.RedisError, DependencyOpenError) as exc:
                logger.warning("API key cache unavailable: %s", type(exc).__name__)
        if row["revoked_at"] is not None:
            raise UnauthorizedError(_INVALID)
        return _Cached.of_row(row)

    def _touch(self, key_id: str) -> None:
        """Record the use in ``last_used_at``, at most once per AUTH_KEY_TOUCH_SECONDS."""
        import psycopg
        import psycopg_pool

        now = time.monotonic()
        with self._touch_lock:
            last = self._touched.get(key_id)
            if last is not None and now - last < self._touch_seconds:
                return
            self._touched[key_id] = now
        try:
            with self._pool().connection() as conn:
                conn.execute("UPDATE api_keys SET last_used_at = now() WHERE id = %s", (key_id,))
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            # Bookkeeping only: the caller is authenticated either way.
            logger.warning("could not record the use of API key %s: %s", key_id, type(exc).__name__)


def utc_after_days(days: int) -> datetime:
    """Now plus ``days`` days, in UTC (a key's expiry)."""
    from datetime import timedelta

    return datetime.now(UTC) + timedelta(days=days)
