"""Fixtures for the integration tests: the shared local Redis and private, stoppable servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from shared.stores.redis import RedisClient
from tests.utils.idempotency import TrackingPersistence, new_key
from tests.utils.servers import RedisServer


@pytest.fixture
def redis_client(redis_topology: RedisClient) -> RedisClient:
    """Every test of this suite that touches Redis runs twice: single server, then Redis Cluster."""
    return redis_topology


@pytest.fixture
def persistence(redis_client: RedisClient) -> Iterator[TrackingPersistence]:
    """The real layer on the local Redis with private counters; cleaned up afterwards."""
    layer = TrackingPersistence(redis_client, stats_key=f"idempotency:stats:test:{uuid.uuid4()}")
    yield layer
    redis_client.delete(*layer.stats_keys(), *layer.touched)


@pytest.fixture
def key() -> str:
    return new_key()


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop and start."""
    with RedisServer() as server:
        yield server
