"""Extractive cluster summaries and trends: pure functions of texts, vectors and timestamps.

No language model: a cluster is summarised by its representatives (the items closest to its
centroid, by cosine) and its top terms (class-based TF-IDF: a term scores by the share of the
cluster's items that contain it, times how rare it is across all items, so words every cluster
uses rank low). These are also the summaries used when an LLM would be unavailable.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from shared.core.api import Trend
from shared.graph.concepts import STOP_WORDS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_TERM = re.compile(r"[a-z][a-z0-9]+(?:['\-][a-z0-9]+)*")
MIN_TERM_CHARS = 3
HOUR, DAY = 3600.0, 86400.0


def terms(text: str) -> set[str]:
    """The distinct content words of ``text`` (lower case, no stop words, 3+ characters)."""
    return {
        t for t in _TERM.findall(text.lower()) if len(t) >= MIN_TERM_CHARS and t not in STOP_WORDS
    }


def top_terms(clusters: Sequence[Sequence[str]], limit: int = 5) -> list[list[str]]:
    """Per cluster (a list of its texts), its ``limit`` most distinctive terms (class TF-IDF)."""
    documents = [[terms(text) for text in texts] for texts in clusters]
    total = sum(len(docs) for docs in documents)
    df: Counter[str] = Counter(t for docs in documents for doc in docs for t in doc)
    result = []
    for docs in documents:
        tf: Counter[str] = Counter(t for doc in docs for t in doc)
        size = max(len(docs), 1)
        scored = sorted(
            tf,
            key=lambda t: (-(tf[t] / size) * math.log(1 + total / df[t]), t),
        )
        result.append([t for t in scored if tf[t] > 1 or size == 1][:limit])
    return result


def representatives(
    vectors: npt.NDArray[np.float32], members: Sequence[int], limit: int = 3
) -> list[int]:
    """The ``limit`` members (row indexes) closest to the members' normalised mean vector."""
    import numpy as np

    rows = np.asarray(list(members), dtype=np.int64)
    if rows.size == 0:
        return []
    block = vectors[rows].astype(np.float64)
    centroid = block.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    order = np.argsort(-(block @ centroid), kind="stable")
    return [int(rows[i]) for i in order[:limit]]


def trend(
    timestamps: Sequence[datetime.datetime],
    *,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> Trend | None:
    """Counts per bucket between ``start`` and ``end`` (default: the timestamps' own range) and
    the least-squares slope; None without timestamps. The bucket is an hour for spans up to two
    days, a day up to 60 days, else a week. ``direction`` is rising/falling when the fitted line
    changes by at least max(1, half the mean count) over the span, else stable."""
    if not timestamps:
        return None
    seconds = [_epoch(t) for t in timestamps]
    low = _epoch(start) if start is not None else min(seconds)
    high = _epoch(end) if end is not None else max(seconds)
    span = max(high - low, 0.0)
    bucket: Literal["hour", "day", "week"]
    bucket, width = ("hour", HOUR) if span <= 2 * DAY else ("day", DAY)
    if span > 60 * DAY:
        bucket, width = "week", 7 * DAY
    origin = math.floor(low / width) * width
    n = int((high - origin) // width) + 1
    counts = [0] * n
    for s in seconds:
        counts[min(max(int((s - origin) // width), 0), n - 1)] += 1
    slope = _slope(counts)
    mean = sum(counts) / n
    change = slope * (n - 1)
    direction: Literal["rising", "falling", "stable"] = "stable"
    if abs(change) >= max(1.0, 0.5 * mean) and n > 1:
        direction = "rising" if change > 0 else "falling"
    labels = [_label(origin + i * width, bucket) for i in range(n)]
    return Trend(
        bucket=bucket,
        counts=list(zip(labels, counts, strict=True)),
        slope=round(slope, 6),
        direction=direction,
    )


def _slope(counts: Sequence[int]) -> float:
    n = len(counts)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(counts) / n
    num = sum((i - mean_x) * (c - mean_y) for i, c in enumerate(counts))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def _epoch(moment: datetime.datetime) -> float:
    if moment.tzinfo is None:  # a naive timestamp is taken as UTC
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _label(seconds: float, bucket: str) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    if bucket == "hour":
        return moment.strftime("%Y-%m-%dT%H:00Z")
    return moment.strftime("%Y-%m-%d")
