"""Guards for each kind of store, counting that driver's "the service is not there" errors.

Only transport-level failures count (a refused or dropped connection, a timeout, an exhausted
pool): an error reply (a missing blob, a constraint violation, a wrong password) means the
dependency answered, and is no verdict. Drivers are imported when a guard is entered, never at
import time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from shared.resilience.registry import guard


def postgres_failures() -> tuple[type[BaseException], ...]:
    """psycopg's "cannot reach / lost the server" errors and the pool's wait timeout."""
    import psycopg
    import psycopg_pool

    return (psycopg.OperationalError, psycopg_pool.PoolTimeout)


def redis_failures() -> tuple[type[BaseException], ...]:
    """redis-py's connection errors and timeouts (not error replies, not authentication)."""
    from redis import exceptions

    return (exceptions.ConnectionError, exceptions.TimeoutError)


def storage_failures() -> tuple[type[BaseException], ...]:
    """The Azure SDK's transport errors: the request was not sent, or no answer came."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    return (ServiceRequestError, ServiceResponseError)


@contextlib.contextmanager
def postgres_guard() -> Iterator[None]:
    """The block through the ``postgres`` breaker."""
    with guard("postgres", counts=postgres_failures()):
        yield


@contextlib.contextmanager
def redis_guard() -> Iterator[None]:
    """The block through the ``redis`` breaker."""
    with guard("redis", counts=redis_failures()):
        yield


@contextlib.contextmanager
def storage_guard(service: str = "blob") -> Iterator[None]:
    """The block through the ``blob`` (or ``queue``) breaker."""
    with guard(service, counts=storage_failures()):
        yield
