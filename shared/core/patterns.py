"""``POST /api/patterns``: recurring patterns in the input, kept as known patterns.

A pattern is a cluster of at least ``min_size`` items: its representative examples, top terms,
frequency (share of the input) and, when items carry timestamps, its trend. Each pattern's
centroid is matched against the caller's stored patterns (``CORE_PATTERN_SAME_SIMILARITY``): a
match keeps the stored pattern's id (it is the same pattern seen again), otherwise the pattern
gets a new id. Patterns are then upserted into ``reasoning_knowledge`` so later calls (analyze,
suggestions) match new input against them. Qdrant down: patterns are still found and returned,
not matched and not stored, and ``degraded`` says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.config import get_settings
from shared.core import analysis, knowledge
from shared.core.api import Pattern, PatternsRequest, PatternsResponse
from shared.core.clients import embeddings_client
from shared.core.pipeline import Trace
from shared.core.service import check_batch

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def find_patterns(owner: str, request: PatternsRequest) -> PatternsResponse:
    """Cluster, summarise, match with known patterns, store (see the module docstring)."""
    import numpy as np

    settings = get_settings()
    check_batch(len(request.items))
    texts = analysis.check_items(request.items, max_chars=settings.embeddings_max_chars)
    trace = Trace()
    vectors = trace.timed("embed", lambda: embeddings_client().embed(texts))
    clustering = trace.timed(
        "cluster", lambda: analysis.cluster(vectors, k=request.k, k_max=request.k_max)
    )
    no_flags = [False] * len(texts)
    summaries = trace.timed(
        "summarize",
        lambda: analysis.summarize(
            request.items, vectors, clustering, no_flags, [None] * len(texts)
        ),
    )
    kept = [s for s in summaries if s.size >= request.min_size]
    centroids: npt.NDArray[np.float32] = (
        clustering.centroids[[s.cluster for s in kept]]
        if kept
        else np.zeros((0, vectors.shape[1]), dtype=np.float32)
    )
    known = _known(owner, centroids, trace)
    patterns = [
        Pattern(
            pattern_id=previous.pattern_id if previous is not None else knowledge.new_pattern_id(),
            name=" / ".join(summary.top_terms[:3]) or summary.representatives[0][:60],
            size=summary.size,
            frequency=summary.share,
            top_terms=summary.top_terms,
            representatives=summary.representatives,
            trend=summary.trend,
            known=previous.match() if previous is not None else None,
        )
        for summary, previous in zip(kept, known, strict=True)
    ]
    stored = 0
    if not request.store:
        trace.skip("store", "store is false")
    elif patterns:
        stored = trace.run(
            "store", lambda: knowledge.store(owner, patterns, centroids, known), lambda: 0
        )
    return PatternsResponse(
        patterns=patterns, stored=stored, steps=trace.steps, degraded=trace.degraded
    )


def _known(
    owner: str, centroids: npt.NDArray[np.float32], trace: Trace
) -> list[knowledge.KnownPattern | None]:
    nothing: list[knowledge.KnownPattern | None] = [None] * centroids.shape[0]
    if not centroids.shape[0]:
        return nothing
    threshold = get_settings().core_pattern_same_similarity

    def match() -> list[knowledge.KnownPattern | None]:
        found = knowledge.nearest(owner, centroids, min_similarity=threshold)
        return [hits[0] if hits else None for hits in found]

    return trace.run(
        "match", match, lambda: nothing, without="patterns not matched against known ones"
    )
