"""Redis persistence: every state change is one Lua script, run with EVALSHA.

Round trips: a claim (HIT, MISS, conflict, mismatch or takeover) is one EVALSHA; a save or a
release is one more. Counters are incremented inside the same scripts (``HINCRBY
idempotency:stats``), so counting costs no round trip. Scripts are identified by their SHA-1,
computed here; the first EVALSHA on a server that does not know a script gets NOSCRIPT, loads it
with SCRIPT LOAD and retries (after a Redis restart too).

The client must return bytes (``decode_responses=False``, redis-py's default): bodies are binary.
Every key the scripts touch is declared in KEYS and lives under ``idempotency:``, so a Redis user
limited to ``~idempotency:*`` with ``+evalsha +script|load +get +set +del +hincrby +pttl +hgetall``
is enough. The stats key and the record key hash to different slots: Redis Cluster is not
supported (Azure Cache for Redis without clustering is).
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
from shared.idempotency.persistence.base import BasePersistenceLayer, ClaimStatus
from shared.idempotency.persistence.connections import ThreadConnections

if TYPE_CHECKING:
    from shared.resilience import CircuitBreaker

logger = logging.getLogger(__name__)

STATS_KEY = "idempotency:stats"


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
    ) -> None:
        """``dedicated_connections``: send scripts on one connection per thread built from the
        client's pool settings (see ``connections.py``); False uses ``client.evalsha``.
        ``breaker``: a circuit breaker (the process's ``redis`` one for the default layer) that
        counts "Redis is unavailable"; while it is open every call raises
        ``IdempotencyStoreUnavailableError`` at once, exactly as if Redis were down, so the
        decorator's fail_open / fail_closed choice applies unchanged."""
        pool = getattr(client, "connection_pool", None)
        if getattr(pool, "connection_kwargs", {}).get("decode_responses"):
            raise IdempotencyConfigurationError(
                "the Redis client decodes responses; idempotency records are binary"
            )
        self.client = client
        self.stats_key = stats_key
        self.breaker = breaker
        self._connections = ThreadConnections.for_client(client) if dedicated_connections else None

    def _put_record(
        self, record_key: str, fingerprint: str, lease: bytes, lease_ms: int
    ) -> tuple[ClaimStatus, bytes | int | None]:
        reply = self._run(_CLAIM, record_key, fingerprint, lease, lease_ms)
        return ClaimStatus(int(reply[0])), reply[1] if len(reply) > 1 else None

    def _update_record(self, record_key: str, lease: bytes, completed: bytes, ttl_ms: int) -> bool:
        return bool(self._run(_SAVE, record_key, lease, completed, ttl_ms))

    def _delete_record(self, record_key: str, lease: bytes, reason: str) -> bool:
        return bool(self._run(_RELEASE, record_key, lease, reason))

    def _get_stats(self) -> dict[str, int]:
        doing = "reading the idempotency counters"
        with self._breaker(doing):
            try:
                raw = self.client.hgetall(self.stats_key)
            except redis_errors.RedisError as exc:
                raise _wrap(exc, doing) from exc
        return {_text(name): int(value) for name, value in raw.items()}

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

    def _run(self, script: _Script, record_key: str, *args: str | bytes | int) -> Any:
        with self._breaker("running an idempotency script"):
            return self._run_script(script, record_key, *args)

    def _run_script(self, script: _Script, record_key: str, *args: str | bytes | int) -> Any:
        try:
            try:
                return self._evalsha(script.sha, record_key, self.stats_key, *args)
            except redis_errors.NoScriptError:
                # First use on this server (or it restarted): load once, then retry.
                logger.info("loading idempotency script %s into Redis", script.sha[:12])
                self.client.script_load(script.source)
                return self._evalsha(script.sha, record_key, self.stats_key, *args)
        except redis_errors.RedisError as exc:
            raise _wrap(exc, "running an idempotency script") from exc

    def _evalsha(self, sha: str, *keys_and_args: str | bytes | int) -> Any:
        if self._connections is not None:
            return self._connections.execute("EVALSHA", sha, 2, *keys_and_args)
        return self.client.evalsha(sha, 2, *keys_and_args)


def _wrap(exc: redis_errors.RedisError, doing: str) -> IdempotencyError:
    if isinstance(exc, _UNAVAILABLE) and not isinstance(exc, _MISCONFIGURED):
        return IdempotencyStoreUnavailableError(f"Redis is unavailable while {doing}", exc)
    return IdempotencyPersistenceError(f"Redis refused {doing}", exc)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
