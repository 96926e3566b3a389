"""Where idempotency records live: an abstract layer and its Redis implementation."""

from typing import TYPE_CHECKING, Any

from shared.idempotency.persistence.base import BasePersistenceLayer, Claim, ClaimStatus

if TYPE_CHECKING:
    from shared.idempotency.persistence.redis import RedisClientProtocol, RedisPersistenceLayer

_LAZY = {"RedisClientProtocol", "RedisPersistenceLayer"}


def __getattr__(name: str) -> Any:
    # The Redis layer (and redis-py with it) is imported on first use, not at cold start.
    if name in _LAZY:
        from shared.idempotency.persistence import redis

        return getattr(redis, name)
    raise AttributeError(name)


__all__ = [
    "BasePersistenceLayer",
    "Claim",
    "ClaimStatus",
    "RedisClientProtocol",
    "RedisPersistenceLayer",
]
