"""The per-caller speech rate limit: ``TTS_RATE_LIMIT`` syntheses a minute, whatever the path.

Every way to make speech counts against one window per caller (Redis key
``ratelimit:tts:<owner>``, a sliding window shared by every instance): a read-aloud job
submission (``shared.media.documents``) and a synchronous synthesis (``shared.voice.tts``,
``POST /api/v1/audio/speech`` and its alias). Speech is the most CPU-hungry thing a caller can ask
for per byte of request, so the limit holds whichever endpoint a client picks.

A request counts when it is admitted, before the speech cache is looked up: a client sees one
predictable budget of requests, not one that depends on what others asked before.
"""

from __future__ import annotations

import logging

from shared.config import get_settings
from shared.errors import RateLimitedError, ServiceUnavailableError

logger = logging.getLogger(__name__)

RATE_SCOPE = "tts"


def take_speech_token(owner: str) -> None:
    """Count one synthesis of ``owner``; 429 with ``Retry-After`` over the limit.

    Redis errors propagate: for callers already inside ``redis_guard`` (job submission). Others
    call :func:`admit_speech`."""
    from shared.jobs.limits import take_rate_token
    from shared.stores.redis import RedisService, get_redis

    limit = get_settings().tts_rate_limit
    wait = take_rate_token(get_redis(RedisService.RATELIMIT), RATE_SCOPE, owner, limit)
    if wait:
        raise RateLimitedError(
            f"at most {limit} speech requests per minute; retry in {wait:.0f} s",
            headers={"Retry-After": str(int(wait))},
        )


def admit_speech(owner: str) -> None:
    """:func:`take_speech_token` through the ``redis`` breaker. Fails closed: when the limit
    cannot be checked the answer is 503 (the same as a job submission), never unlimited speech."""
    from shared.resilience import redis_guard
    from shared.resilience.seams import redis_failures

    try:
        with redis_guard():
            take_speech_token(owner)
    except redis_failures() as exc:
        logger.warning("the speech rate limit cannot be checked: %s", type(exc).__name__)
        raise ServiceUnavailableError(
            "the speech rate limit cannot be checked now (Redis is unreachable); retry later"
        ) from None
