"""When a remote chat-model call is retried, and how long to wait before the next attempt.

Retried: connection errors and timeouts (the caller's), 408, 429 and every 5xx (the server's
transient states). Never retried: other 4xx, which the same request would get again.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_STATUSES_4XX = frozenset({408, 429})
_JITTER = random.Random()  # noqa: S311 (jitter, not cryptography)


def is_retryable_status(status: int) -> bool:
    """True for statuses a later identical request may not get: 408, 429 and 5xx."""
    return status in RETRY_STATUSES_4XX or 500 <= status <= 599


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def backoff_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to sleep after failed attempt number ``attempt`` (0 = the first).

    Exponential (``base * 2**attempt``, at most ``cap``) with "equal jitter": half of it fixed,
    half random, so that clients that failed together do not retry together yet every retry
    still waits. A server's ``Retry-After`` wins, also capped.
    """
    if retry_after is not None:
        return min(retry_after, cap)
    ceiling = min(cap, base * 2.0**attempt)
    return ceiling / 2 + (rng or _JITTER).uniform(0, ceiling / 2)
