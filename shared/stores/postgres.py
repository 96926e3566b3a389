"""The process-wide PostgreSQL connection pool (psycopg 3), opened on first use."""

from __future__ import annotations

import functools
import threading

from psycopg_pool import ConnectionPool

from shared.config import Settings, get_settings

_open_lock = threading.Lock()


def pool_from_settings(settings: Settings) -> ConnectionPool:
    """A new, unopened pool for ``POSTGRES_DSN``; the caller opens and closes it."""
    return ConnectionPool(
        settings.postgres_dsn.get_secret_value(),
        min_size=settings.postgres_pool_min,
        max_size=settings.postgres_pool_max,
        timeout=settings.postgres_connect_timeout_seconds,
        kwargs={"connect_timeout": max(1, round(settings.postgres_connect_timeout_seconds))},
        open=False,
        name="platform",
    )


@functools.cache
def _pool() -> ConnectionPool:
    return pool_from_settings(get_settings())


def get_pool() -> ConnectionPool:
    """The shared pool, opened without waiting for connections (a down database must not block
    the first request for the pool's whole timeout before it can answer 503)."""
    pool = _pool()
    if pool.closed:
        with _open_lock:
            if pool.closed:
                pool.open(wait=False)
    return pool
