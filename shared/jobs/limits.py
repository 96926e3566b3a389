"""Per-caller limits kept in Redis, so they hold across every instance of the app.

- :func:`take_rate_token`: a sliding-window log (sorted set of request times). Up to ``limit``
  requests in any ``window`` seconds; the refusal says how long until the oldest one leaves the
  window, which becomes ``Retry-After``.
- :func:`acquire_slot` / :func:`release_slot`: the caller's active jobs (a sorted set of job ids
  scored by when the slot expires). At most ``limit`` at once. A slot is released when its job
  finishes; one leaked by a crash frees itself after ``JOB_SLOT_TTL_SECONDS``, or earlier when
  the submitter finds the job already finished (see ``service.submit_job``).

Each check is one Lua script, so two instances never both take the last token. Time comes from
Redis (``TIME``), not from the instances' clocks, which may disagree.
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.stores.redis import RedisClient

# Returns 0 when the request is admitted, else the milliseconds until it would be.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""

# Returns 0 when the slot is taken (or already held), else the number of slots in use.
_ACQUIRE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then return 0 end
local used = redis.call('ZCARD', KEYS[1])
if used < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 0
end
return used
"""

_scripts: dict[str, Any] = {}


def _script(client: RedisClient, source: str) -> Any:
    # register_script runs EVALSHA and falls back to EVAL after a NOSCRIPT (e.g. Redis restarted).
    key = f"{id(client)}:{hash(source)}"
    if key not in _scripts:
        _scripts[key] = client.register_script(source)
    return _scripts[key]


def rate_key(scope: str, owner: str) -> str:
    return f"ratelimit:{scope}:{owner}"


def slots_key(owner: str) -> str:
    return f"jobs:active:{owner}"


def take_rate_token(
    client: RedisClient, scope: str, owner: str, limit: int, window_seconds: float = 60.0
) -> float:
    """Admit one request of ``owner`` under ``scope``: 0.0 when admitted, else the seconds to
    wait (rounded up) before one would be."""
    wait_ms = _script(client, _SLIDING_WINDOW)(
        keys=[rate_key(scope, owner)],
        args=[int(window_seconds * 1000), limit, uuid.uuid4().hex],
    )
    return float(math.ceil(int(wait_ms) / 1000)) if int(wait_ms) else 0.0


def acquire_slot(
    client: RedisClient, owner: str, job_id: uuid.UUID, limit: int, ttl_seconds: int
) -> int:
    """Take a concurrency slot for ``job_id``: 0 when taken, else the slots in use (refused)."""
    used = _script(client, _ACQUIRE_SLOT)(
        keys=[slots_key(owner)], args=[ttl_seconds * 1000, limit, str(job_id)]
    )
    return int(used)


def active_slots(client: RedisClient, owner: str) -> list[uuid.UUID]:
    """The job ids holding ``owner``'s slots (expired ones included until the next acquire)."""
    members = client.zrange(slots_key(owner), 0, -1)
    return [uuid.UUID(m.decode() if isinstance(m, bytes) else str(m)) for m in members]


def release_slot(client: RedisClient, owner: str, *job_ids: uuid.UUID) -> None:
    """Free the slots of ``job_ids`` (no error when they are not held)."""
    if job_ids:
        client.zrem(slots_key(owner), *(str(j) for j in job_ids))
