"""Counters: store-wide ones kept in Redis by the scripts, process-local ones kept here.

Store-wide (``HINCRBY idempotency:stats:{<tag>}`` inside the scripts, so no extra round trip):
``hit``, ``miss``, ``conflict``, ``mismatch``, ``takeover`` (a queue redelivery took over the lease
of an earlier delivery that lost its message), ``stored``, ``lease_lost`` and
``released_<reason>``. Process-local (only this worker knows): ``fail_open`` (ran without the
guarantee because Redis was down) and ``store_unavailable`` (a Redis outage met by any invocation).
"""

from __future__ import annotations

import collections
import logging
import threading
from typing import TYPE_CHECKING

from shared.idempotency.exceptions import IdempotencyError
from shared.idempotency.store import resolve_persistence

if TYPE_CHECKING:
    from shared.idempotency.persistence.base import BasePersistenceLayer
    from shared.idempotency.persistence.redis import RedisClientProtocol

logger = logging.getLogger(__name__)

STORE_COUNTERS = (
    "hit",
    "miss",
    "conflict",
    "mismatch",
    "takeover",
    "stored",
    "lease_lost",
    "released_error",
    "released_status",
    "released_too_large",
)
LOCAL_COUNTERS = ("fail_open", "store_unavailable")

_lock = threading.Lock()
_local: collections.Counter[str] = collections.Counter()


def count_local(name: str) -> None:
    """Add one to a process-local counter (thread safe)."""
    with _lock:
        _local[name] += 1


def idempotency_stats(client: RedisClientProtocol | None = None) -> dict[str, int]:
    """Every counter, zero when never incremented; one HGETALL.

    ``client`` reads another Redis than the configured one. When Redis cannot be read the
    store-wide counters are left at zero and ``stats_unavailable`` is 1: a status page must not
    fail because the thing it reports on is down.
    """
    counts = dict.fromkeys((*STORE_COUNTERS, *LOCAL_COUNTERS), 0)
    store: BasePersistenceLayer
    if client is not None:
        from shared.idempotency.persistence.redis import RedisPersistenceLayer

        store = RedisPersistenceLayer(client)
    else:
        store = resolve_persistence()
    try:
        counts.update(store.stats())
    except IdempotencyError as exc:
        logger.warning("idempotency counters unavailable: %s", exc.detail)
        counts["stats_unavailable"] = 1
    with _lock:
        counts.update(_local)
    return counts
