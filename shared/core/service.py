"""``POST /api/analyze``: the full pipeline over a batch of texts or events.

embed -> cluster -> anomalies -> classify -> relate (graph) -> match (known patterns) ->
summarize, each step as declared in ``shared.core.pipeline`` (its dependency and its fallback).
Batches over ``CORE_SYNC_MAX_ITEMS`` items run as an ``analyze`` job (``submit_analysis``; the
endpoint answers 202 with the job's Location), with the same ``run_pipeline``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from shared.classify.api import Classification, ClassifyRequest, ClassifyResponse
from shared.config import get_settings
from shared.core import analysis, knowledge
from shared.core.api import AnalyzeRequest, AnalyzeResponse, ItemResult, PatternMatch
from shared.core.clients import classify_client, embeddings_client
from shared.core.pipeline import Trace
from shared.errors import (
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnprocessableContentError,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from shared.jobs.models import Job

logger = logging.getLogger(__name__)

RELATED_SEEDS = 64  # the most frequent concepts of the batch asked about in one graph call
RELATED_LIMIT = 100


def is_large(request: AnalyzeRequest) -> bool:
    """Whether ``request`` goes to the ``analyze`` job (over ``CORE_SYNC_MAX_ITEMS`` items)."""
    return len(request.items) > get_settings().core_sync_max_items


def check_batch(count: int) -> None:
    """413 over ``CORE_SYNC_MAX_ITEMS`` items (for endpoints without a job behind them)."""
    limit = get_settings().core_sync_max_items
    if count > limit:
        raise PayloadTooLargeError(
            f"items holds {count} entries; one synchronous call takes at most {limit} "
            "(CORE_SYNC_MAX_ITEMS): split the batch"
        )


def submit_analysis(owner: str, request: AnalyzeRequest, idempotency_key: str | None) -> Job:
    """An ``analyze`` job over ``request`` (see shared/core/handlers.py)."""
    from shared.jobs.queues import ANALYZE
    from shared.jobs.service import submit_job

    job, _ = submit_job(
        owner, ANALYZE, request.model_dump(mode="json"), idempotency_key=idempotency_key
    )
    return job


def analyze(owner: str, request: AnalyzeRequest) -> AnalyzeResponse:
    """Run the pipeline for ``owner`` now; 413 over ``CORE_SYNC_MAX_ITEMS`` items."""
    check_batch(len(request.items))
    return run_pipeline(owner, request)


def run_pipeline(owner: str, request: AnalyzeRequest) -> AnalyzeResponse:
    """The pipeline, any number of items (the ``analyze`` job runs it for large batches)."""
    settings = get_settings()
    texts = analysis.check_items(request.items, max_chars=settings.embeddings_max_chars)
    trace = Trace()
    vectors = trace.timed("embed", lambda: embeddings_client().embed(texts))
    clustering = trace.timed(
        "cluster", lambda: analysis.cluster(vectors, k=request.k, k_max=request.k_max)
    )
    flags, scores = trace.timed(
        "anomalies",
        lambda: analysis.anomalies(vectors, clustering, contamination=request.contamination),
    )
    classified = _classify(owner, request, texts, vectors, trace)
    labels: list[Classification | None] = (
        list(classified.results) if classified is not None else [None] * len(texts)
    )
    concepts, related = _relate(owner, texts, request.relate, trace)
    matches = _match(owner, vectors, request.match_patterns, trace)
    summaries = trace.timed(
        "summarize",
        lambda: analysis.summarize(
            request.items,
            vectors,
            clustering,
            flags,
            [c.label if c is not None else None for c in labels],
        ),
    )
    items = [
        ItemResult(
            index=i,
            id=item.id,
            cluster=clustering.labels[i],
            anomaly=flags[i],
            anomaly_score=scores[i],
            label=label.label if (label := labels[i]) is not None else None,
            label_score=label.score if label is not None else None,
            concepts=concepts[i],
            related=related[i],
            pattern=matches[i],
        )
        for i, item in enumerate(request.items)
    ]
    return AnalyzeResponse(
        items=items,
        clusters=summaries,
        anomalies=[i for i, flagged in enumerate(flags) if flagged],
        classification=(
            f"{classified.method}:{classified.source}" if classified is not None else None
        ),
        steps=trace.steps,
        degraded=trace.degraded,
    )


def _classify(
    owner: str,
    request: AnalyzeRequest,
    texts: list[str],
    vectors: npt.NDArray[np.float32],
    trace: Trace,
) -> ClassifyResponse | None:
    """The trained head when asked for; zero-shot when it is missing; no labels when the
    classifier fails altogether."""
    client = classify_client()
    zero_shot = _zero_shot_request(request, texts)

    def run_zero_shot() -> ClassifyResponse | None:
        if zero_shot is None:
            return None
        try:
            return client.classify(owner, zero_shot, vectors)
        except ServiceUnavailableError:
            return None

    if request.model is None:
        if zero_shot is None:
            trace.skip("classify", "no model, label_set or labels given")
            return None
        return trace.run("classify", lambda: client.classify(owner, zero_shot, vectors), _none)
    trained = ClassifyRequest(texts=texts, model=request.model)
    source = request.label_set or ("request labels" if request.labels else "nothing")
    return trace.run(
        "classify",
        lambda: client.classify(owner, trained, vectors),
        run_zero_shot,
        # missing (404), or trained on another embedding size (422): zero-shot still answers
        failures=(NotFoundError, UnprocessableContentError, ServiceUnavailableError),
        without=f"zero-shot classification over {source}",
    )


def _zero_shot_request(request: AnalyzeRequest, texts: list[str]) -> ClassifyRequest | None:
    if request.labels is not None:
        return ClassifyRequest(texts=texts, labels=request.labels)
    if request.label_set is not None:
        return ClassifyRequest(texts=texts, label_set=request.label_set)
    return None


def _none() -> None:
    return None


def _relate(
    owner: str, texts: list[str], enabled: bool, trace: Trace
) -> tuple[list[list[str]], list[list[str]]]:
    """Each item's concepts, and the graph's concepts related to them (one graph call)."""
    from collections import Counter

    from shared.graph.concepts import extract_concepts

    concepts = [extract_concepts(text, limit=5) for text in texts]
    empty: list[list[str]] = [[] for _ in texts]
    if not enabled:
        trace.skip("relate", "relate is false")
        return concepts, empty
    seeds = [
        name for name, _ in Counter(c for cs in concepts for c in cs).most_common(RELATED_SEEDS)
    ]
    if not seeds:
        trace.skip("relate", "no concepts in the items")
        return concepts, empty

    def related() -> list[list[str]]:
        from shared.graph import GraphUnavailableError, get_graph
        from shared.resilience import guard

        with guard("graph", counts=(GraphUnavailableError,)):
            links = get_graph().related(owner, seeds, limit=RELATED_LIMIT)
        return [[r.name for r in links if r.via in set(cs)][:5] for cs in concepts]

    return concepts, trace.run("relate", related, lambda: empty)


def _match(
    owner: str, vectors: npt.NDArray[np.float32], enabled: bool, trace: Trace
) -> list[PatternMatch | None]:
    """Each item's closest known pattern (at least ``CORE_MATCH_MIN_SIMILARITY`` similar)."""
    nothing: list[PatternMatch | None] = [None] * vectors.shape[0]
    if not enabled:
        trace.skip("match", "match_patterns is false")
        return nothing
    threshold = get_settings().core_match_min_similarity

    def match() -> list[PatternMatch | None]:
        found = knowledge.nearest(owner, vectors, min_similarity=threshold)
        return [hits[0].match() if hits else None for hits in found]

    return trace.run("match", match, lambda: nothing)
