"""Known patterns in the ``reasoning_knowledge`` collection, kept per caller.

Each pattern is one point: its vector is the pattern's centroid (unit length), its payload
``{"kind": "core_pattern", "user_id": <caller>, "name", "top_terms", "representatives",
"size", "frequency", "trend", "first_seen", "last_seen", "times_seen"}``. Every read filters on
``kind`` and ``user_id``: a caller never matches another caller's patterns. Qdrant failures
arrive as ``ServiceUnavailableError`` (``collection_client`` maps them and runs the ``qdrant``
breaker); the pipeline's steps turn them into fallbacks.
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
    from qdrant_client import models

    from shared.vectors.collections import collection_client

    owner_filter = _owner_filter(owner)
    requests = [
        models.QueryRequest(
            query=row.tolist(),
            filter=owner_filter,
            limit=limit,
            score_threshold=min_similarity,
            with_payload=True,
        )
        for row in vectors
    ]
    found: list[list[KnownPattern]] = []
    with collection_client(COLLECTION, int(vectors.shape[1])) as client:
        for start in range(0, len(requests), 256):
            answers = client.query_batch_points(COLLECTION, requests[start : start + 256])
            found.extend(
                [KnownPattern(str(p.id), float(p.score), dict(p.payload or {})) for p in a.points]
                for a in answers
            )
    return found


def store(
    owner: str,
    patterns: list[Pattern],
    centroids: npt.NDArray[np.float32],
    known: list[KnownPattern | None],
) -> int:
    """Upsert ``patterns`` (a known one keeps its id, first_seen and adds to times_seen)."""
    from qdrant_client import models

    from shared.vectors.collections import collection_client

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
        points.append(
            models.PointStruct(id=pattern.pattern_id, vector=centroid.tolist(), payload=payload)
        )
    if not points:
        return 0
    with collection_client(COLLECTION, int(centroids.shape[1])) as client:
        client.upsert(COLLECTION, points=points, wait=True)
    return len(points)


def new_pattern_id() -> str:
    return str(uuid.uuid4())
