"""The ML half of the pipeline: embed, cluster, flag anomalies, summarise clusters.

Shared by ``/api/analyze`` and ``/api/patterns``. Clustering is KMeans on the unit embeddings
with k chosen by silhouette (``shared.ml.algorithms``); anomalies are an IsolationForest over
each item's cosine distance to its cluster's centroid and to the nearest other centroid plus the
embedding itself reduced to a few principal components: an item far from every topic is flagged
even when it is alone in its own small cluster.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.core.api import ClusterSummary, Item
from shared.core.summaries import representatives, top_terms, trend
from shared.errors import UnprocessableContentError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MIN_ITEMS_TO_CLUSTER = 4  # fewer items form one cluster
SEED = 0


@dataclass(frozen=True)
class Clustering:
    labels: list[int]
    centroids: npt.NDArray[np.float32]  # unit vectors, one row per cluster id
    k: int


def check_items(items: list[Item], *, max_chars: int) -> list[str]:
    """The texts; 400 for a blank text, 413 for one over ``max_chars`` (EMBEDDINGS_MAX_CHARS)."""
    from shared.errors import BadRequestError, PayloadTooLargeError

    texts = [item.text for item in items]
    for index, text in enumerate(texts):
        if not text.strip():
            raise BadRequestError(f"items[{index}].text is empty")
        if len(text) > max_chars:
            raise PayloadTooLargeError(
                f"items[{index}].text has {len(text)} characters; the limit is {max_chars}"
            )
    return texts


def cluster(vectors: npt.NDArray[np.float32], *, k: int | None, k_max: int) -> Clustering:
    """KMeans with ``k`` or the best-silhouette k in [2, k_max]; one cluster for tiny input."""
    import numpy as np

    from shared.ml import algorithms

    n = vectors.shape[0]
    if n < MIN_ITEMS_TO_CLUSTER or (k is not None and k >= n):
        return Clustering([0] * n, _centroids(vectors, np.zeros(n, dtype=np.int64), 1), 1)
    x = vectors.astype(np.float64)
    try:
        result = algorithms.cluster(
            x,
            method="kmeans",
            k=k,
            k_min=2,
            k_max=max(2, min(k_max, n - 1)),
            eps=0.5,
            min_samples=5,
            scale=False,
            seed=SEED,
        )
    except UnprocessableContentError:  # e.g. every text identical: no 2 distinct clusters
        return Clustering([0] * n, _centroids(vectors, np.zeros(n, dtype=np.int64), 1), 1)
    labels = np.asarray(result.labels, dtype=np.int64)
    return Clustering(result.labels, _centroids(vectors, labels, result.k), result.k)


def _centroids(
    vectors: npt.NDArray[np.float32], labels: npt.NDArray[np.int64], k: int
) -> npt.NDArray[np.float32]:
    import numpy as np

    rows = [vectors[labels == c].mean(axis=0) for c in range(k)]
    centroids = np.stack(rows).astype(np.float32)
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    return centroids


def anomalies(
    vectors: npt.NDArray[np.float32], clustering: Clustering, *, contamination: float
) -> tuple[list[bool], list[float]]:
    """Flags and scores (higher: more anomalous); nothing is flagged under 8 items."""
    import numpy as np

    from shared.ml import algorithms

    n = vectors.shape[0]
    if n < 8:
        return [False] * n, [0.0] * n
    similarity = vectors.astype(np.float64) @ clustering.centroids.T.astype(np.float64)
    own = similarity[np.arange(n), clustering.labels]
    # An item's cluster counts as "support" only in proportion to its size: a singleton cluster
    # around an outlier must not make the outlier look typical.
    sizes = np.bincount(np.asarray(clustering.labels), minlength=clustering.k)[clustering.labels]
    support = own * np.minimum(1.0, sizes / max(3.0, contamination * n * 2))
    best_other = similarity.max(axis=1)
    features = np.column_stack([1 - support, 1 - best_other])
    model = algorithms.isolation_forest(
        features, contamination=contamination, n_estimators=200, seed=SEED
    )
    result = algorithms.score_anomalies(model, features)
    return result.flags, result.scores


def summarize(
    items: list[Item],
    vectors: npt.NDArray[np.float32],
    clustering: Clustering,
    flags: list[bool],
    labels: list[str | None],
) -> list[ClusterSummary]:
    """One extractive summary per cluster, largest first (with a trend when items have
    timestamps: buckets span all timestamped items so clusters compare)."""
    from collections import Counter

    n = len(items)
    members = [[i for i in range(n) if clustering.labels[i] == c] for c in range(clustering.k)]
    terms = top_terms([[items[i].text for i in rows] for rows in members])
    stamps = [item.timestamp for item in items if item.timestamp is not None]
    start, end = (min(stamps, key=_key), max(stamps, key=_key)) if stamps else (None, None)
    summaries = []
    for c, rows in enumerate(members):
        if not rows:
            continue
        cluster_stamps = [s for i in rows if (s := items[i].timestamp) is not None]
        counted = Counter(label for i in rows if (label := labels[i]) is not None)
        summaries.append(
            ClusterSummary(
                cluster=c,
                size=len(rows),
                share=round(len(rows) / n, 4),
                top_terms=terms[c],
                representatives=[items[i].text for i in representatives(vectors, rows)],
                label=counted.most_common(1)[0][0] if counted else None,
                anomalies=sum(1 for i in rows if flags[i]),
                trend=trend(cluster_stamps, start=start, end=end) if cluster_stamps else None,
            )
        )
    summaries.sort(key=lambda s: (-s.size, s.cluster))
    return summaries


def _key(moment: datetime.datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()
