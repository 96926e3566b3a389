"""The API key suite runs twice: on the single local Redis, then on a real Redis Cluster."""

from __future__ import annotations

import pytest

from shared.stores.redis import RedisClient


@pytest.fixture(autouse=True)
def redis_client(redis_topology: RedisClient) -> RedisClient:
    """The admin client of the Redis in use; the app's settings point at the same one."""
    return redis_topology
