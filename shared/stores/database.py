"""``database_errors()``: "PostgreSQL is not there" as a 503, through the ``postgres`` breaker."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from shared.errors import ServiceUnavailableError

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def database_errors(what: str = "the database") -> Iterator[None]:
    """Run the block through the ``postgres`` breaker; a refused or lost connection, or a pool
    wait that timed out, becomes ``ServiceUnavailableError`` (503, Retry-After) naming ``what``.
    While the breaker is open the block does not run: DependencyOpenError (a 503) at once."""
    import psycopg
    import psycopg_pool

    from shared.resilience import postgres_guard

    try:
        with postgres_guard():
            yield
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
        logger.warning("%s call failed: %s", what, type(exc).__name__)
        raise ServiceUnavailableError(
            f"{what} is unavailable", headers={"Retry-After": "5"}
        ) from exc
