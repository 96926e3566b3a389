"""Classifier heads: logistic regression on sentence embeddings, kept as plain numbers.

Training uses scikit-learn (imported only here, only when training). The fitted model is kept as
its coefficients and intercepts in a JSON document, never pickled (a pickle runs code when loaded
and breaks across library versions); prediction is a matrix product and a softmax in numpy, so
the serving path does not import scikit-learn at all.

Binary heads store one coefficient row (scikit-learn's shape); ``predict`` turns it into the
two-class softmax it equals: p(second label) = sigmoid(w.x + b).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from pydantic import BaseModel

from shared.errors import UnprocessableContentError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

HEAD_FORMAT = 1
MIN_EXAMPLES_PER_LABEL = 2


class ClassifierHead(BaseModel):
    """The stored form of a trained head (the blob's JSON)."""

    format: int = HEAD_FORMAT
    name: str
    labels: list[str]
    coefficients: list[list[float]]
    intercepts: list[float]
    embedding_model: str
    dimension: int
    examples: int
    train_accuracy: float
    regularization: float
    trained_with: str
    created_at: str


def fit(
    vectors: npt.NDArray[np.float32], labels: list[str], *, regularization: float
) -> tuple[list[str], list[list[float]], list[float], float]:
    """Fit a head; returns (labels, coefficients, intercepts, accuracy on the training set)."""
    counts = Counter(labels)
    if len(counts) < 2:
        raise UnprocessableContentError("training needs examples of at least two labels")
    scarce = sorted(label for label, n in counts.items() if n < MIN_EXAMPLES_PER_LABEL)
    if scarce:
        raise UnprocessableContentError(
            f"each label needs at least {MIN_EXAMPLES_PER_LABEL} examples; too few: "
            + ", ".join(scarce[:10])
        )
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=regularization, max_iter=2000)
    model.fit(vectors, labels)
    accuracy = float(model.score(vectors, labels))
    return (
        [str(c) for c in model.classes_],
        model.coef_.tolist(),
        model.intercept_.tolist(),
        round(accuracy, 6),
    )


def predict(head: ClassifierHead, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Class probabilities ``(n, labels)`` for unit vectors, columns in ``head.labels`` order."""
    import numpy as np

    from shared.classify.scores import softmax

    weights = np.asarray(head.coefficients, dtype=np.float64)
    logits = vectors.astype(np.float64) @ weights.T + np.asarray(head.intercepts)
    if len(head.labels) == 2 and weights.shape[0] == 1:
        logits = np.hstack([np.zeros_like(logits), logits])
    return softmax(logits)
