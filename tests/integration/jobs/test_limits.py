"""Per-caller limits in the real Redis: they hold across clients (instances) by construction.
Each test runs on the single server, then on a Redis Cluster (``redis_topology``)."""

from __future__ import annotations

import uuid

import pytest

from shared.config import get_settings
from shared.jobs.limits import acquire_slot, active_slots, release_slot, take_rate_token
from shared.stores.redis import RedisClient, RedisService, redis_client_from_settings


@pytest.fixture
def redis_client(redis_topology: RedisClient) -> RedisClient:
    return redis_topology


def test_rate_limit_admits_the_limit_then_says_how_long_to_wait(redis_client: RedisClient):
    owner = f"key:{uuid.uuid4().hex}"
    # another instance of the app: its own client, as the rate-limit user, from the app's settings
    other_instance = redis_client_from_settings(get_settings(), RedisService.RATELIMIT)

    admitted = [take_rate_token(redis_client, "test", owner, 3, 60) for _ in range(2)]
    admitted.append(take_rate_token(other_instance, "test", owner, 3, 60))
    refused = take_rate_token(redis_client, "test", owner, 3, 60)

    assert admitted == [0.0, 0.0, 0.0]
    assert 59 <= refused <= 60
    assert take_rate_token(redis_client, "test", f"{owner}-other", 3, 60) == 0.0


def test_concurrency_slots_are_taken_once_per_job_and_freed(redis_client: RedisClient):
    owner = f"key:{uuid.uuid4().hex}"
    jobs = [uuid.uuid4() for _ in range(3)]
    other_instance = redis_client_from_settings(get_settings(), RedisService.JOBS)

    assert acquire_slot(redis_client, owner, jobs[0], 2, 60) == 0
    assert acquire_slot(redis_client, owner, jobs[0], 2, 60) == 0  # the same job again: held
    assert acquire_slot(other_instance, owner, jobs[1], 2, 60) == 0
    assert acquire_slot(other_instance, owner, jobs[2], 2, 60) == 2  # full, for every instance
    assert set(active_slots(redis_client, owner)) == {jobs[0], jobs[1]}

    release_slot(redis_client, owner, jobs[0])

    assert acquire_slot(redis_client, owner, jobs[2], 2, 60) == 0
    release_slot(redis_client, owner, *jobs)
