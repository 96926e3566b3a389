"""Scripts on a Redis Cluster: each record's slot decides the primary; failovers are ridden over.

The single-server path (``connections.py``) sends EVALSHA on a dedicated connection per thread.
On a cluster there is one such set of connections per primary, chosen by the slot of the record
key (its hash tag, shared with the counters the script increments). A reply that says the slot is
elsewhere or not served right now (MOVED, ASK, TRYAGAIN, CLUSTERDOWN), a lost connection or a
timeout refreshes the slot map and tries again, with back-off, for up to ``failover_seconds``:

    t=0.0  primary A holding slot 1234 is killed; EVALSHA on it: connection refused
    t=0.0  refresh the slot map (A is still listed: nobody has declared it failed yet), back off
    t=1.8  A's replica is promoted and takes slot 1234 over
    t=1.9  refresh: slot 1234 -> the new primary; EVALSHA there succeeds

Retrying a script is safe: every script recognises its own earlier effect (see ``redis.py``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from redis import exceptions as redis_errors
from redis.cluster import RedisCluster

from shared.idempotency.persistence.connections import ThreadConnections
from shared.stores.redis import FAILOVER_BACKOFF_BASE, FAILOVER_BACKOFF_CAP

T = TypeVar("T")

# Replies and failures after which the same call may succeed on the (refreshed) slot map.
REROUTE = (
    redis_errors.MovedError,
    redis_errors.AskError,
    redis_errors.TryAgainError,
    redis_errors.ClusterDownError,
    redis_errors.SlotNotCoveredError,
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
)
# A refresh within this many seconds of the last one is skipped: the threads that all met the
# same dead primary need one new slot map, not one each.
_REFRESH_INTERVAL = 0.05


class ClusterConnections:
    """Dedicated per-thread connections to every primary of a ``RedisCluster`` client."""

    def __init__(self, client: RedisCluster, failover_seconds: float) -> None:
        self._client = client
        self._failover_seconds = failover_seconds
        self._nodes: dict[str, ThreadConnections] = {}
        self._lock = threading.Lock()
        self._refreshed = 0.0

    def call(self, key: str, work: Callable[[ThreadConnections], T]) -> T:
        """``work`` on the connections of ``key``'s primary, again after each rerouting failure
        until ``failover_seconds`` have passed (then the last failure is raised)."""
        deadline = time.monotonic() + self._failover_seconds
        attempt = 0
        while True:
            try:
                return work(self._for_key(key))
            except REROUTE:
                if time.monotonic() >= deadline:
                    raise
                self._refresh()
                time.sleep(min(FAILOVER_BACKOFF_CAP, FAILOVER_BACKOFF_BASE * 2**attempt))
                attempt += 1

    def _for_key(self, key: str) -> ThreadConnections:
        node = self._client.get_node_from_key(key)  # type: ignore[no-untyped-call]
        connections = self._nodes.get(node.name)
        if connections is None:
            pool: Any = self._client.get_redis_connection(node).connection_pool
            with self._lock:
                connections = self._nodes.setdefault(node.name, ThreadConnections(pool))
        return connections

    def _refresh(self) -> None:
        with self._lock:
            if time.monotonic() - self._refreshed < _REFRESH_INTERVAL:
                return
            self._refreshed = time.monotonic()
        # No node answering yet is no error here: the next attempt (or the deadline) decides.
        with contextlib.suppress(redis_errors.RedisError, redis_errors.RedisClusterException):
            self._client.nodes_manager.initialize()
