"""Zero-shot classification: the label whose descriptions' embedding is closest to the text's.

Each label's vector is the normalised mean of its descriptions' unit vectors; a text's scores are
``softmax(cosine / TEMPERATURE)`` over the labels. The temperature only sharpens the scores for
reading; the chosen label is the one with the highest cosine either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.classify.api import Classification
from shared.classify.scores import classifications, softmax
from shared.embeddings.limits import check_texts
from shared.embeddings.service import embed_checked
from shared.errors import UnprocessableContentError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

TEMPERATURE = 0.05
MAX_LABELS = 100


def classify(texts: list[str], descriptions: dict[str, list[str]]) -> list[Classification]:
    """Classify ``texts`` (already checked) against label -> descriptions."""
    labels, centroids = label_vectors(descriptions)
    return classify_vectors(embed_checked(texts).vectors, labels, centroids)


def classify_vectors(
    vectors: npt.NDArray[np.floating], labels: list[str], centroids: npt.NDArray[np.float64]
) -> list[Classification]:
    """Classify texts by their unit ``vectors`` against ``label_vectors``' output."""
    scores = softmax(vectors.astype("float64") @ centroids.T / TEMPERATURE)
    return classifications(labels, scores)


def label_vectors(descriptions: dict[str, list[str]]) -> tuple[list[str], npt.NDArray[np.float64]]:
    """Labels and their unit vectors ``(labels, dimension)``; 422 for fewer than two labels."""
    import numpy as np

    if not 2 <= len(descriptions) <= MAX_LABELS:
        raise UnprocessableContentError(
            f"zero-shot classification needs 2 to {MAX_LABELS} labels; got {len(descriptions)}"
        )
    labels = list(descriptions)
    flat = [(label, text) for label in labels for text in descriptions[label] or [label]]
    check_texts([text for _, text in flat], field="labels")
    vectors = embed_checked([text for _, text in flat]).vectors.astype("float64")
    centroids = np.stack(
        [
            vectors[[i for i, (owner, _) in enumerate(flat) if owner == label]].mean(axis=0)
            for label in labels
        ]
    )
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    return labels, centroids
