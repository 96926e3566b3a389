"""Known patterns in the ``reasoning_knowledge`` collection, kept per caller.

Each pattern is one point: its vector is the pattern's centroid (unit length), its payload
``{"kind": "core_pattern", "user_id": <caller>, "name", "top_terms", "representatives",
"size", "frequency", "trend", "first_seen", "last_seen", "times_seen"}``. Every read filters on
``kind`` and ``user_id``, and the vector store keeps each owner's points apart: a caller never
matches another caller's patterns. Store failures arrive as ``ServiceUnavailableError`` (the
store maps them and runs the ``vectors`` breaker); the pipeline's steps turn them into fallbacks.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.core.api import Pattern, PatternMatch

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

COLLECTION = "reasoning_knowledge"
KIND = "core_pattern"


@dataclass(frozen=True)
class KnownPattern:
    """A stored pattern found by similarity."""

    pattern_id: str
    similarity: float
    payload: dict[str, Any]

    def match(self) -> PatternMatch:
        return PatternMatch(
            pattern_id=self.pattern_id,
            name=str(self.payload.get("name", "")),
            similarity=round(self.similarity, 4),
        )


def _owner_filter(owner: str) -> Any:
    from qdrant_client import models

    return models.Filter(
        must=[
            models.FieldCondition(key="kind", match=models.MatchValue(value=KIND)),
            models.FieldCondition(key="user_id", match=models.MatchValue(value=owner)),
        ]
    )


def nearest(
    owner: str, vectors: npt.NDArray[np.float32], *, min_similarity: float, limit: int = 1
) -> list[list[KnownPattern]]:
    """Per vector, up to ``limit`` of ``owner``'s patterns at least ``min_similarity`` close."""
    from shared.vectors.factory import get_vector_store
    from shared.vectors.store import VectorQuery

    owner_filter = _owner_filter(owner)
    queries = [
        VectorQuery(
            vector=row.tolist(), filter=owner_filter, limit=limit, score_threshold=min_similarity
        )
        for row in vectors
    ]
    answers = get_vector_store().search_batch(COLLECTION, owner, queries)
    return [[KnownPattern(p.id, p.score, p.payload) for p in found] for found in answers]


def store(
    owner: str,
    patterns: list[Pattern],
    centroids: npt.NDArray[np.float32],
    known: list[KnownPattern | None],
) -> int:
    """Upsert ``patterns`` (a known one keeps its id, first_seen and adds to times_seen)."""
    from shared.vectors.factory import get_vector_store
    from shared.vectors.store import VectorPoint

    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    points = []
    for pattern, centroid, previous in zip(patterns, centroids, known, strict=True):
        old = previous.payload if previous is not None else {}
        payload = {
            "kind": KIND,
            "user_id": owner,
            "name": pattern.name,
            "top_terms": pattern.top_terms,
            "representatives": pattern.representatives,
            "size": pattern.size + int(old.get("size", 0)),
            "frequency": pattern.frequency,
            "trend": pattern.trend.direction if pattern.trend is not None else None,
            "first_seen": old.get("first_seen", now),
            "last_seen": now,
            "times_seen": int(old.get("times_seen", 0)) + 1,
        }
        points.append(VectorPoint(id=pattern.pattern_id, vector=centroid.tolist(), payload=payload))
    if not points:
        return 0
    get_vector_store().upsert(COLLECTION, owner, points)
    return len(points)


def new_pattern_id() -> str:
    return str(uuid.uuid4())
