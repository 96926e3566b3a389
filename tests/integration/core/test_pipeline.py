"""The AI-core pipeline on generated tickets with planted topics and anomalies, real models,
a real embedded graph, Qdrant (local mode) and Azurite for trained classifier heads."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest

from datasets.core_tickets import TOPICS, planted
from shared.classify.api import LabelledText, TrainRequest
from shared.core.api import AnalyzeRequest, Item, PatternsRequest, SuggestionsRequest
from shared.core.patterns import find_patterns
from shared.core.service import analyze
from shared.core.suggestions import suggest
from shared.errors import PayloadTooLargeError

EXPECTED_LABEL = {"billing": "billing", "login": "account_access", "shipping": "shipping"}


def items_of(texts: list[str]) -> list[Item]:
    return [Item(text=t, id=f"t{i}") for i, t in enumerate(texts)]


def clusters_by_topic(labels: list[int], truth: list[str | None]) -> dict[str, Counter[int]]:
    found: dict[str, Counter[int]] = {}
    for label, topic in zip(labels, truth, strict=True):
        if topic is not None:
            found.setdefault(topic, Counter())[label] += 1
    return found


def test_analyze_finds_planted_clusters_anomalies_labels_and_relations(owner, graph):
    # given 3 planted topics of 30 tickets, 4 planted anomalies, and a graph link on a concept
    # that login tickets use
    texts, truth = planted(30)
    graph.relate("password reset", "account recovery", weight=3)
    # when
    result = analyze(owner, AnalyzeRequest(items=items_of(texts), k=3))
    # then each topic is one cluster of its own
    labels = [r.cluster for r in result.items]
    by_topic = clusters_by_topic(labels, truth)
    main = {topic: counts.most_common(1)[0] for topic, counts in by_topic.items()}
    assert len({cluster for cluster, _ in main.values()}) == 3
    assert all(count >= 28 for _, count in main.values()), by_topic
    # the planted anomalies are flagged, with few false alarms
    planted_anomalies = {i for i, topic in enumerate(truth) if topic is None}
    assert planted_anomalies <= set(result.anomalies)
    assert len(result.anomalies) <= 2 * len(planted_anomalies)
    # zero-shot labels agree with the topics
    assert result.classification == "zero-shot:support_intent"
    for topic, label in EXPECTED_LABEL.items():
        given = Counter(r.label for r, t in zip(result.items, truth, strict=True) if t == topic)
        assert given.most_common(1)[0][0] == label, (topic, given)
    # relations come from the graph for the items that mention the concept
    linked = [r for r in result.items if "password reset" in r.concepts]
    assert linked
    assert all("account recovery" in r.related for r in linked)
    # cluster summaries are extractive: representatives are inputs, terms are the topic's words
    assert sum(c.size for c in result.clusters) == len(texts)
    for summary in result.clusters:
        assert set(summary.representatives) <= set(texts)
    login_cluster = main["login"][0]
    login_summary = next(c for c in result.clusters if c.cluster == login_cluster)
    assert login_summary.label == "account_access"
    assert {"password", "reset", "login", "account", "sign"} & set(login_summary.top_terms)
    assert result.degraded == []
    assert {s.name: s.status for s in result.steps}["relate"] == "ok"


def test_analyze_without_k_keeps_planted_topics_apart(owner, graph):
    texts, truth = planted(30)
    result = analyze(owner, AnalyzeRequest(items=items_of(texts)))
    # every cluster (anomalies aside) holds one topic: k by silhouette may split a topic, never
    # merge two
    for cluster in {r.cluster for r in result.items}:
        topics = Counter(
            t for r, t in zip(result.items, truth, strict=True) if r.cluster == cluster
        )
        topics.pop(None, None)
        if topics:
            assert topics.most_common(1)[0][1] / sum(topics.values()) >= 0.9, topics


def timed_items(topic: str, count: int, start: datetime.datetime, rising: bool) -> list[Item]:
    templates, fillers = TOPICS[topic]
    items = []
    for i in range(count):
        # rising: more items late in the week; flat: one a day
        day = min(6, int(7 * (i / count) ** 0.5)) if rising else i % 7
        text = templates[i % len(templates)].format(x=fillers[i % len(fillers)])
        items.append(Item(text=text, timestamp=start + datetime.timedelta(days=day, hours=i % 5)))
    return items


def test_patterns_are_stored_then_matched_and_suggested(owner, graph):
    # given a week of tickets where billing rises and shipping stays flat
    start = datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC)
    items = timed_items("billing", 28, start, rising=True) + timed_items(
        "shipping", 21, start, rising=False
    )
    # when patterns are found and stored
    found = find_patterns(owner, PatternsRequest(items=items, k=2))
    # then both are patterns with examples, frequency and trend, and both are stored
    assert found.degraded == []
    assert found.stored == 2
    by_terms = {p.pattern_id: p for p in found.patterns}
    billing = next(p for p in found.patterns if "refund" in p.top_terms or "charge" in p.name)
    shipping = next(p for p in by_terms.values() if p is not billing)
    assert billing.size == 28
    assert billing.frequency == pytest.approx(28 / 49, abs=1e-3)
    assert billing.trend is not None
    assert billing.trend.direction == "rising"
    assert shipping.trend is not None
    assert shipping.trend.direction == "stable"
    assert billing.known is None
    # a later analysis matches new input against the stored patterns
    later = analyze(
        owner,
        AnalyzeRequest(
            items=[Item(text="I need a refund, my card was charged twice for premium")],
            relate=False,
        ),
    )
    match = later.items[0].pattern
    assert match is not None
    assert match.pattern_id == billing.pattern_id
    # the same patterns found again keep their ids
    again = find_patterns(owner, PatternsRequest(items=items, k=2))
    assert {p.pattern_id for p in again.patterns} == set(by_terms)
    assert all(p.known is not None for p in again.patterns)
    # another caller matches none of them
    other = analyze(
        owner + "-other",
        AnalyzeRequest(items=[Item(text="I need a refund, I was charged twice")], relate=False),
    )
    assert other.items[0].pattern is None
    # suggestions name the pattern and the evidence; graph links add explained suggestions
    graph.relate("refund", "refund policy", weight=2)
    answer = suggest(owner, SuggestionsRequest(text="Please refund the double charge on my card"))
    assert answer.degraded == []
    first = answer.suggestions[0]
    assert first.kind == "pattern"
    assert first.pattern_id == billing.pattern_id
    assert first.rank == 1
    assert any("similarity" in e for e in first.evidence)
    assert any(e.startswith("example: ") for e in first.evidence)
    concept = next(s for s in answer.suggestions if s.kind == "concept")
    assert "refund policy" in concept.suggestion
    assert "refund" in concept.explanation
    assert [s.rank for s in answer.suggestions] == list(range(1, len(answer.suggestions) + 1))


def test_trained_head_classifies_and_missing_head_falls_back_to_zero_shot(owner, graph):
    from shared.classify.service import train

    texts, truth = planted(6, seed=3)
    examples = [
        LabelledText(text=t, label=topic) for t, topic in zip(texts, truth, strict=True) if topic
    ]
    train(owner, TrainRequest(name="core-topics", examples=examples))
    trained = analyze(owner, AnalyzeRequest(items=items_of(texts), model="core-topics"))
    assert trained.classification == "trained:core-topics"
    assert trained.degraded == []
    assert all(r.label == t for r, t in zip(trained.items, truth, strict=True) if t)
    # given a head that does not exist
    missing = analyze(owner, AnalyzeRequest(items=items_of(texts), model="no-such-head"))
    assert missing.classification == "zero-shot:support_intent"
    assert len(missing.degraded) == 1
    assert missing.degraded[0].startswith("classify: classifier failed (no classifier model")
    assert "zero-shot classification over support_intent" in missing.degraded[0]
    assert {s.name: s.status for s in missing.steps}["classify"] == "fallback"


def test_a_head_of_another_embedding_size_is_refused_and_analysis_falls_back(owner, graph):
    """A head trained before the embedding model changed: /api/classify's service answers 422,
    and the analysis uses zero-shot instead and says why (the one shared code path)."""
    from shared.classify import store
    from shared.classify.api import ClassifyRequest
    from shared.classify.service import classify, train
    from shared.errors import UnprocessableContentError

    texts, truth = planted(6, seed=4)
    examples = [
        LabelledText(text=t, label=topic) for t, topic in zip(texts, truth, strict=True) if topic
    ]
    train(owner, TrainRequest(name="old-topics", examples=examples))
    head = store.load_head(owner, "old-topics")
    narrower = head.model_copy(
        update={"dimension": 8, "coefficients": [row[:8] for row in head.coefficients]}
    )
    store.save_head(owner, narrower)
    with pytest.raises(UnprocessableContentError, match="8-dimensional"):
        classify(owner, ClassifyRequest(texts=texts[:2], model="old-topics"))
    answer = analyze(owner, AnalyzeRequest(items=items_of(texts), model="old-topics"))
    assert answer.classification == "zero-shot:support_intent"
    assert len(answer.degraded) == 1
    assert "8-dimensional" in answer.degraded[0]
    assert {s.name: s.status for s in answer.steps}["classify"] == "fallback"


def test_graph_down_answers_without_relations(owner, graph_down):
    texts, _ = planted(10)
    result = analyze(owner, AnalyzeRequest(items=items_of(texts), match_patterns=False))
    assert len(result.items) == len(texts)
    assert result.clusters
    assert all(r.related == [] for r in result.items)
    assert any(r.concepts for r in result.items)  # extracted without the graph
    assert len(result.degraded) == 1
    assert result.degraded[0].startswith("relate: graph unavailable (the knowledge graph")
    assert result.degraded[0].endswith("analysis without related concepts")
    answer = suggest(owner, SuggestionsRequest(text="refund for the double charge"))
    assert any(d.startswith("relate: graph unavailable") for d in answer.degraded)


def test_vectors_down_still_clusters_without_pattern_matching(owner, graph, vectors_down):
    texts, _truth = planted(10)
    result = analyze(owner, AnalyzeRequest(items=items_of(texts), k=3))
    assert len({r.cluster for r in result.items}) == 3
    assert all(r.pattern is None for r in result.items)
    assert result.degraded == [
        "match: vectors unavailable (the vector store is unavailable); "
        "no matching against known patterns"
    ]
    found = find_patterns(owner, PatternsRequest(items=items_of(texts), k=3))
    assert found.patterns
    assert found.stored == 0
    assert [d.split(":")[0] for d in found.degraded] == ["match", "store"]
    answer = suggest(owner, SuggestionsRequest(text="refund for the double charge"))
    assert answer.degraded[0].startswith("suggest_patterns: vectors unavailable")


def test_open_breaker_answers_at_once_with_the_reason(owner, graph, vectors_down, monkeypatch):
    from shared.config import reset_settings

    monkeypatch.setenv("BREAKER_FAILURE_THRESHOLD", "1")
    reset_settings()
    request = AnalyzeRequest(items=[Item(text="refund please")], relate=False)
    first = analyze(owner, request)  # fails for real and opens the breaker
    assert "the vector store is unavailable" in first.degraded[0]
    second = analyze(owner, request)
    assert "circuit breaker open" in second.degraded[0]
    step = next(s for s in second.steps if s.name == "match")
    assert step.status == "fallback"
    assert step.ms < 50


def test_too_many_items_is_413(owner, monkeypatch, settings):
    from shared.config import reset_settings

    monkeypatch.setenv("CORE_SYNC_MAX_ITEMS", "3")
    reset_settings()
    with pytest.raises(PayloadTooLargeError, match="CORE_SYNC_MAX_ITEMS"):
        analyze(owner, AnalyzeRequest(items=items_of(["a", "b", "c", "d"])))


def test_storage_down_classifies_zero_shot_and_says_why(owner, graph, storage_down):
    texts, _ = planted(6, seed=3)
    request = AnalyzeRequest(items=items_of(texts), model="core-topics", match_patterns=False)
    result = analyze(owner, request)
    assert len(result.items) == len(texts)
    assert result.classification == "zero-shot:support_intent"
    assert all(r.label is not None for r in result.items)
    assert len(result.degraded) == 1
    assert result.degraded[0].startswith("classify: classifier unavailable")
    assert result.degraded[0].endswith("zero-shot classification over support_intent")
