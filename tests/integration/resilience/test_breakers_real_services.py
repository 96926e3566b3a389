"""Breakers against real dependencies stopped under them: a private Redis stopped and restarted,
and a PostgreSQL address where a socket listens but never answers (every connection attempt runs
into the timeout). The breaker opens after the threshold, then answers in well under 50 ms
instead of waiting for a timeout, lets a probe through after the open interval, and closes once
the dependency answers again."""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Iterator

import pytest

from shared.config import reset_settings
from shared.errors import ServiceUnavailableError
from shared.resilience import BreakerState, DependencyOpenError, breaker
from tests.utils.breakers import breakers, timed
from tests.utils.servers import RedisServer, free_port

OPEN_SECONDS = 1.0
FP = "f" * 64  # a request fingerprint (a SHA-256 hex digest)


@pytest.fixture
def breaker_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    with breakers(monkeypatch, threshold=2, open_seconds=OPEN_SECONDS) as patched:
        yield patched


@pytest.fixture
def private_redis(breaker_settings: pytest.MonkeyPatch) -> Iterator[RedisServer]:
    from shared.stores.redis import get_redis

    with RedisServer() as server:
        breaker_settings.setenv("REDIS_PORT", str(server.port))
        breaker_settings.delenv("REDIS_URL", raising=False)
        reset_settings()
        get_redis.cache_clear()
        yield server
    get_redis.cache_clear()


def test_idempotency_store_redis_breaker_opens_answers_at_once_and_closes(private_redis):
    from shared.idempotency.exceptions import IdempotencyStoreUnavailableError
    from shared.idempotency.keys import record_key
    from shared.idempotency.store import resolve_persistence

    layer = resolve_persistence()
    first, second, third = (record_key(hashlib.sha256(n).hexdigest()) for n in (b"1", b"2", b"3"))
    assert layer.claim(first, FP, 60_000) is not None
    circuit = breaker("redis")

    # Given Redis stops, when two claims fail, then the shared redis breaker is open.
    private_redis.stop()
    for _ in range(2):
        error, _ = timed(lambda: layer.claim(second, FP, 60_000))
        assert isinstance(error, IdempotencyStoreUnavailableError)
    assert circuit.snapshot().state is BreakerState.OPEN

    # While open: the same "store unavailable" the decorator already handles, without a call.
    error, elapsed = timed(lambda: layer.claim(second, FP, 60_000))
    assert isinstance(error, IdempotencyStoreUnavailableError)
    assert isinstance(error.__cause__, DependencyOpenError)
    assert elapsed < 0.05

    # When Redis is back and the interval has passed, the probe goes through and closes it.
    private_redis.start()
    time.sleep(OPEN_SECONDS)
    assert circuit.snapshot().state is BreakerState.HALF_OPEN
    assert layer.claim(third, FP, 60_000) is not None
    assert circuit.snapshot().state is BreakerState.CLOSED


def test_voice_cache_degrades_to_a_miss_while_the_redis_breaker_is_open(private_redis):
    from shared.voice import cache

    cache._set("voice:resilience-test", b"x")
    assert cache._get("voice:resilience-test") == b"x"
    private_redis.stop()
    assert cache._get("voice:resilience-test") is None
    assert cache._get("voice:resilience-test") is None
    assert breaker("redis").state is BreakerState.OPEN
    value, elapsed = timed(lambda: cache._get("voice:resilience-test"))
    assert value is None  # a cache miss, not an error
    assert elapsed < 0.05


@pytest.fixture
def silent_postgres(breaker_settings: pytest.MonkeyPatch) -> Iterator[int]:
    """A port where connections are accepted by the kernel and never answered."""
    from shared.stores import postgres

    listener = socket.socket()
    listener.bind(("127.0.0.1", free_port()))
    listener.listen(64)
    port = listener.getsockname()[1]
    breaker_settings.setenv("POSTGRES_DSN", f"postgresql://postgres:x@127.0.0.1:{port}/mlplatform")
    breaker_settings.setenv("POSTGRES_CONNECT_TIMEOUT_SECONDS", "1")
    reset_settings()
    postgres._pool.cache_clear()
    yield port
    pool = postgres._pool(None)  # get_pool()'s: POSTGRES_DSN's credentials
    postgres._pool.cache_clear()
    pool.close(timeout=0)
    listener.close()


def test_postgres_breaker_answers_without_waiting_for_the_timeout(silent_postgres):
    from shared.stores.database import database_errors
    from shared.stores.postgres import get_pool

    def query() -> object:
        with database_errors(), get_pool().connection() as conn:
            return conn.execute("SELECT 1").fetchone()

    for _ in range(2):
        error, elapsed = timed(query)
        assert isinstance(error, ServiceUnavailableError)
        assert elapsed >= 0.9  # the pool waited its whole timeout
    assert breaker("postgres").state is BreakerState.OPEN

    error, elapsed = timed(query)
    assert isinstance(error, DependencyOpenError)
    assert error.status == 503
    assert int(error.headers["Retry-After"]) >= 1
    assert "postgres" in error.detail
    assert elapsed < 0.05

    # After the interval one probe goes through (and waits the timeout again), re-opening it.
    time.sleep(OPEN_SECONDS)
    error, elapsed = timed(query)
    assert isinstance(error, ServiceUnavailableError)
    assert not isinstance(error, DependencyOpenError)
    assert breaker("postgres").state is BreakerState.OPEN
