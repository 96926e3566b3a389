"""Pure logic of the core: trends, extractive summaries, declared steps and their fallbacks."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from shared.core.pipeline import STEPS, Trace
from shared.core.summaries import representatives, terms, top_terms, trend
from shared.errors import NotFoundError, ServiceUnavailableError

START = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)


def at(days: float) -> datetime.datetime:
    return START + datetime.timedelta(days=days)


def test_trend_rising_counts_per_day_with_empty_days():
    stamps = [at(0), at(2), at(2.5), at(3), at(3.2), at(3.4), at(3.6)]
    found = trend(stamps)
    assert found is not None
    assert found.bucket == "day"
    assert found.counts == [
        ("2026-03-01", 1),
        ("2026-03-02", 0),
        ("2026-03-03", 2),
        ("2026-03-04", 4),
    ]
    assert found.slope == pytest.approx(1.1)
    assert found.direction == "rising"


def test_trend_falling_and_stable():
    falling = trend([at(0)] * 5 + [at(2)] * 3 + [at(4)])
    assert falling is not None
    assert falling.direction == "falling"
    stable = trend([at(d) for d in range(6) for _ in range(3)])
    assert stable is not None
    assert stable.direction == "stable"
    assert stable.slope == 0


def test_trend_buckets_follow_the_span_and_a_given_range():
    hourly = trend([START, START + datetime.timedelta(hours=5)])
    assert hourly is not None
    assert hourly.bucket == "hour"
    assert len(hourly.counts) == 6
    weekly = trend([at(0), at(90)])
    assert weekly is not None
    assert weekly.bucket == "week"
    # a cluster's counts span the whole batch's range, so clusters compare bucket by bucket
    ranged = trend([at(1)], start=at(0), end=at(3))
    assert ranged is not None
    assert [c for _, c in ranged.counts] == [0, 1, 0, 0]
    naive = trend([datetime.datetime(2026, 3, 1, 10), datetime.datetime(2026, 3, 1, 12)])
    assert naive is not None
    assert naive.counts[0] == ("2026-03-01T10:00Z", 1)


def test_no_timestamps_no_trend():
    assert trend([]) is None


def test_top_terms_prefer_words_distinctive_of_the_cluster():
    clusters = [
        ["refund my invoice please", "the invoice charge needs a refund", "invoice refund now"],
        ["password reset fails", "cannot reset my password", "password expired, account locked"],
    ]
    found = top_terms(clusters, limit=2)
    assert found == [["invoice", "refund"], ["password", "reset"]]
    assert "the" not in terms("The invoice")
    assert "invoice" in terms("The invoice")


def test_representatives_are_closest_to_the_mean():
    vectors = np.array(
        [[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0], [0.707, 0.707]], dtype=np.float32
    )
    assert representatives(vectors, [0, 1, 2, 3, 4], limit=2)[0] == 4
    assert representatives(vectors, [0, 3], limit=3) in ([0, 3], [3, 0])
    assert representatives(vectors, []) == []


def test_trace_runs_the_fallback_and_says_why():
    trace = Trace()

    def down() -> list[str]:
        raise ServiceUnavailableError("the knowledge graph is unavailable")

    assert trace.run("relate", down, lambda: ["fallback"]) == ["fallback"]
    assert trace.run("match", lambda: [1], lambda: [2]) == [1]
    assert trace.degraded == [
        "relate: graph unavailable (the knowledge graph is unavailable); " + STEPS["relate"].without
    ]
    assert [(s.name, s.status) for s in trace.steps] == [("relate", "fallback"), ("match", "ok")]


def test_trace_lets_other_errors_through_unless_declared():
    trace = Trace()

    def missing() -> str:
        raise NotFoundError("no classifier model 'x'")

    with pytest.raises(NotFoundError):
        trace.run("classify", missing, lambda: "zero-shot")
    found = trace.run(
        "classify", missing, lambda: "zero-shot", failures=(NotFoundError,), without="zero-shot"
    )
    assert found == "zero-shot"
    assert trace.degraded == ["classify: classifier failed (no classifier model 'x'); zero-shot"]
