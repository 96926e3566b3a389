"""Which persistence layer a decorated function uses, resolved at call time.

Order: the ``persistence=`` given to the decorator, else the one set with
``configure_persistence`` (tests, hosts), else a ``RedisPersistenceLayer`` over the process-wide
client of the idempotency Redis user (``get_redis(RedisService.IDEMPOTENCY)``, ``~idempotency:*``).
Nothing is built or connected at import.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from shared.idempotency.persistence.base import BasePersistenceLayer

if TYPE_CHECKING:
    from shared.idempotency.persistence.redis import RedisPersistenceLayer

_lock = threading.Lock()
_configured: BasePersistenceLayer | None = None
_default: RedisPersistenceLayer | None = None


def configure_persistence(persistence: BasePersistenceLayer | None) -> None:
    """Use ``persistence`` for every decorated function without its own; ``None`` restores Redis."""
    global _configured  # noqa: PLW0603 - the one process-wide hook, guarded by a lock
    with _lock:
        _configured = persistence


def resolve_persistence(explicit: BasePersistenceLayer | None = None) -> BasePersistenceLayer:
    """The layer for this call (see the module docstring for the order). Raises
    ``IdempotencyStoreUnavailableError`` when a Redis Cluster client cannot be built (no node
    answers), as a claim would."""
    global _default  # noqa: PLW0603 - cached per process like get_redis() itself
    if explicit is not None:
        return explicit
    if _configured is not None:
        return _configured
    # Imported on first use: redis-py costs ~0.2 s to import, paid at cold start otherwise.
    from redis import exceptions as redis_errors

    from shared.config import get_settings
    from shared.idempotency.exceptions import IdempotencyStoreUnavailableError
    from shared.idempotency.persistence.redis import RedisPersistenceLayer
    from shared.resilience import breaker
    from shared.stores.redis import RedisService, get_redis

    try:
        client = get_redis(RedisService.IDEMPOTENCY)
    except redis_errors.ConnectionError as exc:  # a cluster client meets its nodes when built
        raise IdempotencyStoreUnavailableError("Redis is unavailable", exc) from exc
    default = _default
    if default is None or default.client is not client:
        with _lock:
            # The process's redis breaker, shared with every other Redis user.
            settings = get_settings()
            default = _default = RedisPersistenceLayer(
                client,
                breaker=breaker("redis"),
                wait_replicas=settings.redis_wait_replicas,
                failover_seconds=settings.redis_failover_seconds,
            )
    return default
