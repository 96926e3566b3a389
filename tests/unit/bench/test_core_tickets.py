"""The AI-core benchmark's (and tests') generated tickets: planted topics and anomalies."""

from __future__ import annotations

from collections import Counter

from datasets.core_tickets import ANOMALIES, TOPICS, planted


def test_planted_gives_each_topic_its_count_and_every_anomaly_once() -> None:
    texts, truth = planted(7, seed=3)
    assert len(texts) == len(truth) == 3 * 7 + len(ANOMALIES)
    expected: dict[str | None, int] = {**dict.fromkeys(TOPICS, 7), None: len(ANOMALIES)}
    assert Counter(truth) == expected
    assert sorted(t for t, topic in zip(texts, truth, strict=True) if topic is None) == sorted(
        ANOMALIES
    )


def test_planted_is_deterministic_for_a_seed() -> None:
    assert planted(5, seed=11) == planted(5, seed=11)
    assert planted(5, seed=11) != planted(5, seed=12)
