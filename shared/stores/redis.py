"""The process-wide Redis client, built from settings on first use."""

from __future__ import annotations

import functools

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shared.config import Settings, get_settings


def redis_client_from_settings(settings: Settings) -> redis.Redis:
    """A new client for the configured Redis (URL, or host/port/user/password/TLS).

    Timeouts are short on purpose: a request must learn that Redis is down in about
    ``REDIS_TIMEOUT_SECONDS``, not hang until the function times out.
    """
    timeout = settings.redis_timeout_seconds
    common = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": 30,
        # One immediate retry covers a connection the server closed while idle; redis-py 8's
        # default (several retries with back-off) makes every call to a down Redis take ~4 s.
        "retry": Retry(NoBackoff(), 1),
    }
    if settings.redis_url is not None:
        return redis.Redis.from_url(settings.redis_url.get_secret_value(), **common)
    return redis.Redis(
        host=settings.redis_host,
        port=settings.redis_port,
        username=settings.redis_username,
        password=settings.redis_password.get_secret_value() if settings.redis_password else None,
        ssl=settings.redis_ssl,
        **common,  # type: ignore[arg-type]
    )


@functools.cache
def get_redis() -> redis.Redis:
    """The shared client. redis-py pools connections, so one client serves every thread."""
    return redis_client_from_settings(get_settings())
