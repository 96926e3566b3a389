"""Idempotency for Azure Functions, backed by Redis.

HTTP endpoints get ``Idempotency-Key`` semantics from their declaration (replay, 409 while in
progress, 422 on key reuse; ``handler.py``, and ``streams.py`` for streamed responses);
``@idempotent_message`` acknowledges duplicate queue deliveries. Records live in Redis under
``idempotency:<sha256>``; see ``handler.py``, ``message.py`` and ``persistence/``.
"""

from typing import TYPE_CHECKING

from shared.idempotency.config import IdempotencyConfig
from shared.idempotency.decorator import idempotent_message
from shared.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyConfigurationError,
    IdempotencyError,
    IdempotencyKeyInvalidError,
    IdempotencyKeyMissingError,
    IdempotencyKeyReusedError,
    IdempotencyPersistenceError,
    IdempotencyStoreUnavailableError,
)
from shared.idempotency.keys import KEY_HEADER
from shared.idempotency.persistence import BasePersistenceLayer
from shared.idempotency.responses import REPLAYED_HEADER
from shared.idempotency.stats import idempotency_stats
from shared.idempotency.store import configure_persistence

if TYPE_CHECKING:
    from shared.idempotency.persistence.redis import RedisClientProtocol, RedisPersistenceLayer

__all__ = [
    "KEY_HEADER",
    "REPLAYED_HEADER",
    "BasePersistenceLayer",
    "IdempotencyAlreadyInProgressError",
    "IdempotencyConfig",
    "IdempotencyConfigurationError",
    "IdempotencyError",
    "IdempotencyKeyInvalidError",
    "IdempotencyKeyMissingError",
    "IdempotencyKeyReusedError",
    "IdempotencyPersistenceError",
    "IdempotencyStoreUnavailableError",
    "RedisClientProtocol",
    "RedisPersistenceLayer",
    "configure_persistence",
    "idempotency_stats",
    "idempotent_message",
]


def __getattr__(name: str) -> object:
    # RedisPersistenceLayer and RedisClientProtocol import redis-py: only on first use.
    if name in {"RedisClientProtocol", "RedisPersistenceLayer"}:
        from shared.idempotency.persistence import redis

        return getattr(redis, name)
    raise AttributeError(name)
