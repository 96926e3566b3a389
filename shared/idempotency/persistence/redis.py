"""Redis persistence: every state change is one Lua script, run with EVALSHA.

Round trips: a claim (HIT, MISS, conflict, mismatch or takeover) is one EVALSHA; a save or a
release is one more. Counters are incremented inside the same scripts (``HINCRBY
idempotency:stats:{<tag>}``), so counting costs no round trip. Scripts are identified by their
SHA-1, computed here; the first EVALSHA on a server that does not know a script gets NOSCRIPT,
loads it with SCRIPT LOAD and retries (after a Redis restart too).

The client must return bytes (``decode_responses=False``, redis-py's default): bodies are binary.
Every key the scripts touch is declared in KEYS and lives under ``idempotency:``, so a Redis user
limited to ``~idempotency:*`` with ``+evalsha +script|load +get +set +del +hincrby +pttl +hgetall``
is enough.

Redis Cluster: a record key carries a hash tag (``idempotency:{3f}:<hash>``, see ``keys.py``) and
the counters a script increments are those of the same tag (``idempotency:stats:{3f}``), so both
keys of every script share a slot. Reading the counters adds up the 256 tags' hashes (one
pipelined round trip per node). With a ``RedisCluster`` client the scripts go to the primary of the
record's slot and ride over a failover (``cluster.py``).

Durability (``wait_replicas``): Redis replicates asynchronously, so a primary that dies right after
granting a lease may take it along, and its promoted replica would grant the same key again:

    t=0  A's claim writes the lease on primary P; the reply reaches A; A starts the work
    t=1  P dies before its replica R received the lease; R is promoted
    t=2  B (a retry of the same request) claims the key on R: no record, CLAIMED: a second run

With ``wait_replicas=n`` a claim that took the lease, and a save that stored the result, are
followed by ``WAIT n`` on the same connection: the work starts (and the answer leaves) only once n
replicas hold the record. When fewer acknowledge within ``WAIT_TIMEOUT_MS`` (a replica is down)
the work goes ahead and a warning is logged: a missing replica must not stop the service.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from redis import exceptions as redis_errors

from shared.idempotency.exceptions import (
    IdempotencyConfigurationError,
    IdempotencyError,
    IdempotencyPersistenceError,
    IdempotencyStoreUnavailableError,
)
from shared.idempotency.keys import all_tags
from shared.idempotency.persistence.base import BasePersistenceLayer, ClaimStatus
from shared.idempotency.persistence.connections import ThreadConnections
from shared.stores.hash_tags import hash_tag, tag_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from shared.idempotency.persistence.cluster import ClusterConnections
    from shared.resilience import CircuitBreaker

logger = logging.getLogger(__name__)

STATS_KEY = "idempotency:stats"
WAIT_TIMEOUT_MS = 500


class RedisClientProtocol(Protocol):
    """The part of a redis-py client this layer uses (sync ``redis.Redis`` satisfies it)."""

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: str | bytes | int) -> Any: ...

    def script_load(self, script: str) -> Any: ...

    def hgetall(self, name: str) -> Any: ...


class _Script:
    """A Lua script and its SHA-1 (what EVALSHA names it by)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


# A client that retries a command after a timeout may run a script twice; each script therefore
# recognises its own earlier effect (our exact lease value, our exact completed record) and reports
# success again instead of a conflict:
#   t=0  EVALSHA claim -> Redis writes our lease -> the reply is lost (socket timeout)
#   t=1  the client retries -> finds our own lease -> CLAIMED again, not "in progress" (409)

# KEYS: record, stats. ARGV: fingerprint, lease value, lease ms.
# Returns {0} claimed, {1, record} completed, {2, pttl} in progress, {3} fingerprint mismatch,
# {4} claimed by taking over the in-progress record of an earlier delivery of the same message.
# A lease value may end in '#' + the delivery's dequeue count (byte 98 on: 'P', 64 hex fingerprint,
# 32 hex token); the takeover needs a count in both values, ours the higher (base.py's docstring).
_CLAIM = _Script("""
local function delivery(lease)
  if string.sub(lease, 98, 98) == '#' then
    return tonumber(string.sub(lease, 99))
  end
  return nil
end
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('HINCRBY', KEYS[2], 'miss', 1)
  return {0}
end
if current == ARGV[2] then
  return {0}
end
if string.sub(current, 2, 65) ~= ARGV[1] then
  redis.call('HINCRBY', KEYS[2], 'mismatch', 1)
  return {3}
end
if string.sub(current, 1, 1) == 'P' then
  local ours = delivery(ARGV[2])
  local theirs = delivery(current)
  if ours and theirs and theirs < ours then
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
    redis.call('HINCRBY', KEYS[2], 'takeover', 1)
    return {4}
  end
  redis.call('HINCRBY', KEYS[2], 'conflict', 1)
  return {2, redis.call('PTTL', KEYS[1])}
end
redis.call('HINCRBY', KEYS[2], 'hit', 1)
return {1, current}
""")

# KEYS: record, stats. ARGV: our lease value, completed record, ttl ms. Returns 1 saved, 0 lost.
_SAVE = _Script("""
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('HINCRBY', KEYS[2], 'stored', 1)
  return 1
end
if current == ARGV[2] then
  return 1
end
redis.call('HINCRBY', KEYS[2], 'lease_lost', 1)
return 0
""")

# KEYS: record, stats. ARGV: our lease value, counter name. Returns 1 released, 0 lost.
_RELEASE = _Script("""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  return 1
end
redis.call('HINCRBY', KEYS[2], 'lease_lost', 1)
return 0
""")

# Failures that mean "Redis is not there right now": the caller may fail open or answer 503.
# Wrong credentials or a missing ACL permission are configuration bugs and never fail open.
_UNAVAILABLE = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,
    redis_errors.TryAgainError,
)
_MISCONFIGURED = (redis_errors.AuthenticationError, redis_errors.AuthorizationError)


class RedisPersistenceLayer(BasePersistenceLayer):
    """Records as Redis strings under ``idempotency:``; the module docstring states the contract."""

    def __init__(
        self,
        client: RedisClientProtocol,
        *,
        stats_key: str = STATS_KEY,
        dedicated_connections: bool = True,
        breaker: CircuitBreaker | None = None,
        wait_replicas: int = 0,
        failover_seconds: float = 5.0,
    ) -> None:
        """``dedicated_connections``: send scripts on one connection per thread built from the
        client's pool settings (see ``connections.py``; per primary for a ``RedisCluster``,
        riding over a failover for up to ``failover_seconds``, see ``cluster.py``); False uses
        ``client.evalsha``. ``breaker``: a circuit breaker (the process's ``redis`` one for the
        default layer) that counts "Redis is unavailable"; while it is open every call raises
        ``IdempotencyStoreUnavailableError`` at once, exactly as if Redis were down, so the
        decorator's fail_open / fail_closed choice applies unchanged. ``wait_replicas``: see the
        module docstring (dedicated connections only)."""
        if _connection_kwargs(client).get("decode_responses"):
            raise IdempotencyConfigurationError(
                "the Redis client decodes responses; idempotency records are binary"
            )
        self.client = client
        self.stats_key = stats_key
        self.breaker = breaker
        self.wait_replicas = wait_replicas
        self._connections: ThreadConnections | None = None
        self._cluster: ClusterConnections | None = None
        if dedicated_connections:
            self._cluster = _cluster_connections(client, failover_seconds)
            if self._cluster is None:
                self._connections = ThreadConnections.for_client(client)

    def stats_key_of(self, record_key: str) -> str:
        """The counters the scripts increment for ``record_key``: those of its hash tag. A
        record key without one (not made by ``keys.record_key``) is refused: on a cluster its
        script would span two slots."""
        tag = tag_of(record_key)
        if tag is None:
            raise ValueError(f"a record key needs a hash tag (keys.record_key): {record_key!r}")
        return f"{self.stats_key}:{hash_tag(tag)}"

    def stats_keys(self) -> list[str]:
        """Every key the counters live in: one per hash tag of ``keys.record_key``."""
        return [f"{self.stats_key}:{hash_tag(tag)}" for tag in all_tags()]

    def _put_record(
        self, record_key: str, fingerprint: str, lease: bytes, lease_ms: int
    ) -> tuple[ClaimStatus, bytes | int | None]:
        reply = self._run(_CLAIM, record_key, _took_lease, fingerprint, lease, lease_ms)
        return ClaimStatus(int(reply[0])), reply[1] if len(reply) > 1 else None

    def _update_record(self, record_key: str, lease: bytes, completed: bytes, ttl_ms: int) -> bool:
        return bool(self._run(_SAVE, record_key, bool, lease, completed, ttl_ms))

    def _delete_record(self, record_key: str, lease: bytes, reason: str) -> bool:
        return bool(self._run(_RELEASE, record_key, None, lease, reason))

    def _get_stats(self) -> dict[str, int]:
        doing = "reading the idempotency counters"
        totals: dict[str, int] = {}
        with self._breaker(doing):
            try:
                hashes = self._read_hashes(self.stats_keys())
            except redis_errors.RedisError as exc:
                raise _wrap(exc, doing) from exc
        for raw in hashes:
            for name, value in raw.items():
                totals[_text(name)] = totals.get(_text(name), 0) + int(value)
        return totals

    def _read_hashes(self, keys: list[str]) -> list[Any]:
        pipeline = getattr(self.client, "pipeline", None)
        if pipeline is None:  # a minimal client: one HGETALL at a time
            return [self.client.hgetall(key) for key in keys]
        pipe = pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        return list(pipe.execute())

    @contextlib.contextmanager
    def _breaker(self, doing: str) -> Iterator[None]:
        if self.breaker is None:
            yield
            return
        from shared.resilience import DependencyOpenError, protect

        try:
            with protect(self.breaker, counts=(IdempotencyStoreUnavailableError,)):
                yield
        except DependencyOpenError as exc:
            raise IdempotencyStoreUnavailableError(
                f"Redis is unavailable while {doing} (circuit breaker open)", exc
            ) from exc

    def _run(
        self,
        script: _Script,
        record_key: str,
        durable: Callable[[Any], bool] | None,
        *args: str | bytes | int,
    ) -> Any:
        """Run ``script`` on ``record_key``; when ``durable(reply)`` says it wrote what must
        survive a failover, wait for ``wait_replicas`` replicas (module docstring)."""
        doing = "running an idempotency script"
        keys_and_args = (record_key, self.stats_key_of(record_key), *args)
        with self._breaker(doing):
            try:
                if self._cluster is not None:
                    return self._cluster.call(
                        record_key, lambda conns: self._on(conns, script, durable, keys_and_args)
                    )
                if self._connections is not None:
                    return self._on(self._connections, script, durable, keys_and_args)
                return self._via_client(script, keys_and_args)
            except redis_errors.RedisError as exc:
                raise _wrap(exc, doing) from exc

    def _on(
        self,
        connections: ThreadConnections,
        script: _Script,
        durable: Callable[[Any], bool] | None,
        keys_and_args: tuple[str | bytes | int, ...],
    ) -> Any:
        try:
            reply = connections.execute("EVALSHA", script.sha, 2, *keys_and_args)
        except redis_errors.NoScriptError:
            # First use on this server (a restart, a promoted replica): load once, then retry.
            logger.info("loading idempotency script %s into Redis", script.sha[:12])
            connections.execute("SCRIPT", "LOAD", script.source)
            reply = connections.execute("EVALSHA", script.sha, 2, *keys_and_args)
        if self.wait_replicas and durable is not None and durable(reply):
            acknowledged = connections.execute(
                "WAIT", self.wait_replicas, WAIT_TIMEOUT_MS, retry=False
            )
            if int(acknowledged) < self.wait_replicas:
                logger.warning(
                    "idempotency record on %s of %s replicas after %s ms",
                    acknowledged,
                    self.wait_replicas,
                    WAIT_TIMEOUT_MS,
                )
        return reply

    def _via_client(self, script: _Script, keys_and_args: tuple[str | bytes | int, ...]) -> Any:
        try:
            return self.client.evalsha(script.sha, 2, *keys_and_args)
        except redis_errors.NoScriptError:
            logger.info("loading idempotency script %s into Redis", script.sha[:12])
            self.client.script_load(script.source)
            return self.client.evalsha(script.sha, 2, *keys_and_args)


def _took_lease(reply: Any) -> bool:
    # CLAIMED or TAKEN_OVER: the caller is about to run the work.
    return int(reply[0]) in (ClaimStatus.CLAIMED.value, ClaimStatus.TAKEN_OVER.value)


def _connection_kwargs(client: Any) -> dict[str, Any]:
    pool = getattr(client, "connection_pool", None)
    if pool is None:  # RedisCluster: the settings every node's pool is built with
        pool = getattr(client, "nodes_manager", None)
    kwargs = getattr(pool, "connection_kwargs", None)
    return kwargs if isinstance(kwargs, dict) else {}


def _cluster_connections(client: Any, failover_seconds: float) -> ClusterConnections | None:
    from redis.cluster import RedisCluster

    if not isinstance(client, RedisCluster):
        return None
    from shared.idempotency.persistence.cluster import ClusterConnections

    return ClusterConnections(client, failover_seconds)


def _wrap(exc: redis_errors.RedisError, doing: str) -> IdempotencyError:
    if isinstance(exc, _UNAVAILABLE) and not isinstance(exc, _MISCONFIGURED):
        return IdempotencyStoreUnavailableError(f"Redis is unavailable while {doing}", exc)
    return IdempotencyPersistenceError(f"Redis refused {doing}", exc)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
