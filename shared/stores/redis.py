"""Process-wide Redis clients, one per feature, built from settings on first use.

Each feature connects as its own Redis ACL user (``REDIS_<FEATURE>_USERNAME``/``_PASSWORD``), which
may touch only that feature's keys (see ``shared/stores/redis_acl.py``): a bug or an injection in
one feature cannot read or clobber another's state, nor flush the server. A feature without its own
user connects with the main ``REDIS_USERNAME``/``REDIS_PASSWORD`` (Azure: the access key).
"""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.connection import parse_url
from redis.retry import Retry

from shared.config import Settings, get_settings


class RedisService(StrEnum):
    """The features that use Redis; each has its own ACL user and key prefix."""

    IDEMPOTENCY = "idempotency"  # idempotency:* (records, stats)
    VOICE = "voice"  # voice:* (transcript and speech caches)
    CHAT = "chat"  # chat:* (sessions, last passages)
    RATELIMIT = "ratelimit"  # ratelimit:* (per-caller sliding windows)
    JOBS = "jobs"  # jobs:* (per-caller active job slots)
    AUTH = "auth"  # auth:* (cached API key records)
    HEALTH = "health"  # PING only


def redis_client_from_settings(
    settings: Settings, service: RedisService | None = None
) -> redis.Redis:
    """A new client for the configured Redis (URL, or host/port/TLS), authenticated as
    ``service``'s user (``None``: the main credentials).

    Timeouts are short on purpose: a request must learn that Redis is down in about
    ``REDIS_TIMEOUT_SECONDS``, not hang until the function times out.
    """
    timeout = settings.redis_timeout_seconds
    username, password = settings.redis_credentials(service)
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": 30,
        # One immediate retry covers a connection the server closed while idle; redis-py 8's
        # default (several retries with back-off) makes every call to a down Redis take ~4 s.
        "retry": Retry(NoBackoff(), 1),
    }
    if settings.redis_url is not None:
        url_options: dict[str, Any] = parse_url(  # type: ignore[no-untyped-call]
            settings.redis_url.get_secret_value()
        )
        if (username, password) != (settings.redis_username, settings.redis_password):
            # The feature's own user replaces the URL's credentials.
            url_options["username"] = username
            url_options["password"] = password.get_secret_value() if password else None
        pool = redis.ConnectionPool(**{**options, **url_options})
        return redis.Redis(connection_pool=pool)
    return redis.Redis(
        host=settings.redis_host,
        port=settings.redis_port,
        username=username,
        password=password.get_secret_value() if password else None,
        ssl=settings.redis_ssl,
        **options,
    )


@functools.cache
def get_redis(service: RedisService | None = None) -> redis.Redis:
    """The shared client of ``service`` (``None``: the main credentials; prefer a feature's).
    redis-py pools connections, so one client per feature serves every thread."""
    return redis_client_from_settings(get_settings(), service)
