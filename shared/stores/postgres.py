"""Process-wide PostgreSQL connection pools (psycopg 3), one per store module, opened on first use.

Each module connects as its own role (``POSTGRES_<SERVICE>_USERNAME``/``_PASSWORD``; migration
0009 creates the roles ``platform_<service>``), which may use only that module's tables, per
command, and sees only the rows of the owner its transaction names (row-level security). A module
without its own user connects with ``POSTGRES_DSN``'s credentials, as before. Host, port and
database always come from ``POSTGRES_DSN``; ``POSTGRES_SSLMODE``/``POSTGRES_SSLROOTCERT`` apply
to every connection when set.

Owner-scoped work runs inside :func:`owner_connection`: one transaction in which ``app.user_id``
is the owner (``set_config(..., true)``, i.e. SET LOCAL). The setting ends with the transaction,
so a pooled connection never carries one caller's id into another caller's request, and a query
outside such a transaction sees no user rows at all.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from enum import StrEnum

from psycopg import Connection
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool

from shared.config import Settings, get_settings

_open_lock = threading.Lock()


class PostgresService(StrEnum):
    """The store modules that use PostgreSQL; each has its own role (``platform_<value>``)."""

    JOBS = "jobs"  # shared/jobs, API side: the caller's jobs
    WORKER = "worker"  # the job runner: claims, renews and completes any job by id
    MEDIA = "media"  # shared/media: file, media_collection(_file), tts_job
    VOICE = "voice"  # shared/voice: voice_samples
    CHAT = "chat"  # shared/chat: ml_conversations, chat_documents, reasoning_chains
    ML = "ml"  # shared/ml registry: ml_model, ml_model_version, ml_model_alias
    AUTH = "auth"  # shared/auth: api_keys (no row-level security)
    HEALTH = "health"  # SELECT 1
    VECTORS = "vectors"  # shared/vectors (pgvector store): vector_points (migration 0010)
    GRAPH = "graph"  # shared/graph (PostgreSQL store): graph_* tables (migration 0010)


def role_name(service: PostgresService) -> str:
    """The role migration 0009 creates for ``service``."""
    return f"platform_{service.value}"


def conninfo_from_settings(settings: Settings, service: PostgresService | None = None) -> str:
    """``POSTGRES_DSN`` as ``service``'s role (``None``, or no username set: the DSN's own
    credentials), with the TLS settings when they are set."""
    options: dict[str, str] = {}
    credentials = settings.postgres_credentials(service.value if service else None)
    if credentials is not None:
        options["user"] = credentials[0]
        options["password"] = credentials[1].get_secret_value()
    if settings.postgres_sslmode is not None:
        options["sslmode"] = settings.postgres_sslmode
    if settings.postgres_sslrootcert is not None:
        options["sslrootcert"] = settings.postgres_sslrootcert
    return make_conninfo(settings.postgres_dsn.get_secret_value(), **options)


def pool_from_settings(
    settings: Settings, service: PostgresService | None = None
) -> ConnectionPool:
    """A new, unopened pool for ``service``'s role; the caller opens and closes it."""
    return ConnectionPool(
        conninfo_from_settings(settings, service),
        min_size=settings.postgres_pool_min,
        max_size=settings.postgres_pool_max,
        timeout=settings.postgres_connect_timeout_seconds,
        kwargs={"connect_timeout": max(1, round(settings.postgres_connect_timeout_seconds))},
        open=False,
        name=f"platform-{service.value}" if service else "platform",
        # Idle connections die with an outage; checked before being lent out, a dead one is
        # replaced instead of failing the breaker's first probe after the database returns.
        check=ConnectionPool.check_connection,
        # The pool retries a failed connection with a doubling back-off (1, 2, 4, 8 s ...) for
        # ``reconnect_timeout``; a request meanwhile waits on that schedule, so after an outage
        # of a few seconds the database could be back for 8-16 s before the pool tried it, and
        # the breaker's probe failed in between (the soak measured it). Giving up after one
        # breaker interval lets the next request start a fresh attempt at once.
        reconnect_timeout=max(
            settings.breaker_open_seconds, settings.postgres_connect_timeout_seconds
        ),
    )


@functools.cache
def _pool(service: PostgresService | None) -> ConnectionPool:
    pool = pool_from_settings(get_settings(), service)
    if not _created:
        from shared.telemetry.metrics import watch_pools

        watch_pools(lambda: [(p.name, p.get_stats()) for p in _created if not p.closed])
    _created.append(pool)
    return pool


_created: list[ConnectionPool] = []  # the shared pools, whose connections are metrics


def get_pool(service: PostgresService | None = None) -> ConnectionPool:
    """``service``'s shared pool (``None``: ``POSTGRES_DSN``'s credentials; prefer a service),
    opened without waiting for connections (a down database must not block the first request
    for the pool's whole timeout before it can answer 503)."""
    pool = _pool(service)
    if pool.closed:
        with _open_lock:
            if pool.closed:
                pool.open(wait=False)
    return pool


@contextlib.contextmanager
def owner_connection(pool: ConnectionPool, owner: str) -> Iterator[Connection]:
    """A connection of ``pool`` inside one transaction acting for ``owner``: row-level security
    shows and accepts that owner's rows only. Committed when the block ends normally, rolled
    back when it raises. ``owner`` must not be empty (an empty id would match nobody anyway,
    and is always a bug)."""
    if not owner:
        raise ValueError("an owner-scoped query needs the owner")
    with pool.connection() as conn, conn.transaction():
        conn.execute("SELECT set_config('app.user_id', %s, true)", (owner,))
        yield conn
