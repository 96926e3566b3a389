"""From raw scores to the response: softmax over labels, best label first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.classify.api import Classification

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Row-wise softmax, stable for large logits."""
    import numpy as np

    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: npt.NDArray[np.float64] = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def classifications(
    labels: list[str], probabilities: npt.NDArray[np.float64]
) -> list[Classification]:
    """One ``Classification`` per row of ``probabilities`` (columns in ``labels`` order)."""
    results = []
    for row in probabilities:
        best = int(row.argmax())
        scores = {label: round(float(p), 6) for label, p in zip(labels, row, strict=True)}
        results.append(
            Classification(label=labels[best], score=round(float(row[best]), 6), scores=scores)
        )
    return results
