"""Process-wide Redis clients, one per feature, built from settings on first use.

Each feature connects as its own Redis ACL user (``REDIS_<FEATURE>_USERNAME``/``_PASSWORD``), which
may touch only that feature's keys (see ``shared/stores/redis_acl.py``): a bug or an injection in
one feature cannot read or clobber another's state, nor flush the server. A feature without its own
user connects with the main ``REDIS_USERNAME``/``REDIS_PASSWORD`` (Azure: the access key).

``REDIS_CLUSTER=true`` builds ``redis.cluster.RedisCluster`` clients instead (Redis Cluster, Azure
Managed Redis with the OSS clustering policy): they learn the slot map from the configured node and
follow it. Every key one script or command touches shares a hash tag (``{...}``, see
``shared.stores.hash_tags``), so no command of the app spans two slots.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import Any

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.cluster import RedisCluster
from redis.connection import SSLConnection, parse_url
from redis.exceptions import RedisClusterException
from redis.retry import Retry

from shared.config import Settings, get_settings

# Either client: both offer the single-key commands and scripts the features use.
RedisClient = redis.Redis | RedisCluster

# Back-off between two tries of a command while a cluster fails over: 50 ms doubling up to 500 ms.
FAILOVER_BACKOFF_BASE = 0.05
FAILOVER_BACKOFF_CAP = 0.5


class RedisService(StrEnum):
    """The features that use Redis; each has its own ACL user and key prefix."""

    IDEMPOTENCY = "idempotency"  # idempotency:* (records, stats)
    VOICE = "voice"  # voice:* (transcript and speech caches)
    CHAT = "chat"  # chat:* (sessions, last passages)
    RATELIMIT = "ratelimit"  # ratelimit:* (per-caller sliding windows)
    JOBS = "jobs"  # jobs:* (per-caller active job slots)
    AUTH = "auth"  # auth:* (cached API key records)
    HEALTH = "health"  # PING only


def failover_retries(seconds: float) -> int:
    """How many retries with the failover back-off add up to at least ``seconds`` of waiting."""
    retries, waited = 0, 0.0
    while waited < seconds:
        waited += min(FAILOVER_BACKOFF_CAP, FAILOVER_BACKOFF_BASE * 2**retries)
        retries += 1
    return retries


def redis_client_from_settings(
    settings: Settings, service: RedisService | None = None
) -> RedisClient:
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
    if settings.redis_cluster:
        return _cluster_client(settings, username, password, options)
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


def _cluster_client(
    settings: Settings, username: str | None, password: Any, options: dict[str, Any]
) -> RedisCluster:
    """A cluster client seeded by the configured node. Its retries (with back-off, each after
    refreshing the slot map) last about ``REDIS_FAILOVER_SECONDS``: long enough for a replica to
    be promoted, short enough that a cluster that is down is reported as down."""
    node: dict[str, Any] = {
        "host": settings.redis_host,
        "port": settings.redis_port,
        "ssl": settings.redis_ssl,
    }
    if settings.redis_url is not None:
        url_options = parse_url(settings.redis_url.get_secret_value())  # type: ignore[no-untyped-call]
        node = {
            "host": url_options.get("host", "127.0.0.1"),
            "port": url_options.get("port", 6379),
            "ssl": url_options.get("connection_class") is SSLConnection,
        }
        if (username, password) == (settings.redis_username, settings.redis_password):
            username = url_options.get("username")  # no feature user: the URL's credentials
            password = url_options.get("password")
    secret = password.get_secret_value() if hasattr(password, "get_secret_value") else password
    retries = failover_retries(settings.redis_failover_seconds)
    try:
        return _connect_cluster(node, username, secret, options, retries)
    except RedisClusterException as exc:
        # Raised by the constructor when no node answers: report it like any unreachable Redis
        # (callers catch redis.RedisError); get_redis caches no failure, the next call retries.
        raise redis.ConnectionError(f"no Redis Cluster node answers: {exc}") from exc


def _connect_cluster(
    node: dict[str, Any], username: str | None, secret: Any, options: dict[str, Any], retries: int
) -> RedisCluster:
    return RedisCluster(
        **node,
        username=username,
        password=secret,
        socket_timeout=options["socket_timeout"],
        socket_connect_timeout=options["socket_connect_timeout"],
        health_check_interval=options["health_check_interval"],
        retry=Retry(ExponentialBackoff(FAILOVER_BACKOFF_CAP, FAILOVER_BACKOFF_BASE), retries),
        # One client per feature and thread-safe: a MOVED storm from many threads must not
        # rebuild the slot map once per thread.
        reinitialize_steps=5,
    )


@functools.cache
def get_redis(service: RedisService | None = None) -> RedisClient:
    """The shared client of ``service`` (``None``: the main credentials; prefer a feature's).
    redis-py pools connections, so one client per feature serves every thread."""
    return redis_client_from_settings(get_settings(), service)
