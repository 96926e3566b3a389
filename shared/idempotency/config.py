"""Per-endpoint options, resolved against the platform settings at call time.

Settings are read when a request arrives, never at import: importing a blueprint opens no
connection and reads no environment beyond what ``shared.config`` caches on first use.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Literal

from shared.config import Settings, get_settings
from shared.idempotency.exceptions import IdempotencyConfigurationError

logger = logging.getLogger(__name__)

OnRedisError = Literal["fail_closed", "fail_open"]


@dataclass(frozen=True, slots=True)
class Limits:
    """The numbers one invocation works with (milliseconds for Redis, bytes for bodies)."""

    lease_ms: int
    ttl_ms: int
    max_response_bytes: int


@dataclass(frozen=True, slots=True)
class IdempotencyConfig:
    """What one decorated function asks for. ``None`` means "the platform setting".

    - ``required``: a request without ``Idempotency-Key`` is refused (400) instead of run unguarded.
    - ``fingerprint_fields``: hash these JSON body fields (dotted paths allowed), not the raw body.
    - ``store_4xx``: also store 4xx outcomes (2xx are always stored; 5xx and exceptions never).
    - ``on_redis_error``: ``fail_closed`` answers 503 / raises; ``fail_open`` runs unguarded.
    - ``lease_seconds``: how long an in-progress record blocks its key (default: function timeout).
    - ``ttl_seconds``: how long a completed record is replayed.
    - ``max_response_bytes``: larger bodies are returned but not stored.
    """

    required: bool = False
    fingerprint_fields: tuple[str, ...] = ()
    store_4xx: bool = False
    on_redis_error: OnRedisError = "fail_closed"
    lease_seconds: float | None = None
    ttl_seconds: float | None = None
    max_response_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.on_redis_error not in ("fail_closed", "fail_open"):
            raise IdempotencyConfigurationError(
                f"on_redis_error must be 'fail_closed' or 'fail_open', not {self.on_redis_error!r}"
            )
        for name in ("lease_seconds", "ttl_seconds", "max_response_bytes"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise IdempotencyConfigurationError(f"{name} must be positive, not {value!r}")
        fields: object = self.fingerprint_fields
        if not isinstance(fields, tuple) or not all(isinstance(f, str) and f for f in fields):
            raise IdempotencyConfigurationError("fingerprint_fields must be a tuple of field names")

    def limits(self, settings: Settings) -> Limits:
        """The effective limits: this config's values, else the settings'."""
        lease = self.lease_seconds or settings.idempotency_lease_seconds
        ttl = self.ttl_seconds or settings.idempotency_ttl_seconds
        return Limits(
            lease_ms=max(1, round(lease * 1000)),
            ttl_ms=max(1, round(ttl * 1000)),
            max_response_bytes=self.max_response_bytes or settings.idempotency_max_response_bytes,
        )


_warned_lock = threading.Lock()
_warned: set[str] = set()


def _once(kind: str) -> bool:
    with _warned_lock:
        if kind in _warned:
            return False
        _warned.add(kind)
        return True


def is_disabled(settings: Settings | None = None) -> bool:
    """Whether ``IDEMPOTENCY_DISABLED`` switches the decorators off for this process.

    Contract: honoured only when the environment is local (``Settings.is_local``), with a WARNING
    logged once per process. Anywhere else the flag is *ignored* (the guarantee stays on) and an
    ERROR is logged once: a debugging switch must never silently drop the guarantee in production,
    and refusing to start would turn a harmless flag into an outage.
    """
    settings = settings or get_settings()
    if not settings.idempotency_disabled:
        return False
    if settings.is_local:
        if _once("disabled"):
            logger.warning(
                "IDEMPOTENCY_DISABLED=true: idempotency keys are NOT enforced in this process "
                "(local debugging only)"
            )
        return True
    if _once("refused"):
        logger.error(
            "IDEMPOTENCY_DISABLED=true is ignored outside local development (APP_ENVIRONMENT=%s); "
            "idempotency stays enforced",
            settings.app_environment.value,
        )
    return False
