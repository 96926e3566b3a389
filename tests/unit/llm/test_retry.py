"""Which remote failures are retried, and how long the back-off waits."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from shared.llm.retry import backoff_delay, is_retryable_status, parse_retry_after


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_transient_statuses_are_retried(status: int):
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 409, 413, 422, 451])
def test_other_statuses_are_not(status: int):
    assert not is_retryable_status(status)


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(7)
    for attempt, ceiling in enumerate([0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]):
        delays = [backoff_delay(attempt, base=0.5, cap=8.0, rng=rng) for _ in range(200)]
        assert min(delays) >= ceiling / 2
        assert max(delays) <= ceiling
        assert len(set(delays)) > 100, "jitter: retries of many clients must not line up"


def test_retry_after_wins_but_is_capped():
    assert backoff_delay(0, base=0.5, cap=8.0, retry_after=3.0) == 3.0
    assert backoff_delay(0, base=0.5, cap=8.0, retry_after=120.0) == 8.0


def test_retry_after_header_forms():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-3") == 0.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after(later) or 0) <= 30
