"""Classification use cases: classify texts (zero-shot or with a trained head), train a head."""

from __future__ import annotations

import datetime
import importlib.metadata
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.classify import heads, store, zero_shot
from shared.classify.api import ClassifyRequest, ClassifyResponse, TrainedModel, TrainRequest
from shared.classify.label_sets import descriptions_of, label_set
from shared.classify.scores import classifications
from shared.embeddings.limits import check_texts
from shared.embeddings.service import embed_checked
from shared.errors import UnprocessableContentError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


LabelVectors = Callable[[dict[str, list[str]]], tuple[list[str], "npt.NDArray[np.float64]"]]


def classify(owner: str, request: ClassifyRequest) -> ClassifyResponse:
    """Classify ``request.texts`` with the source the request names."""
    check_texts(request.texts)
    return classify_vectors(owner, request, embed_checked(request.texts).vectors)


def classify_vectors(
    owner: str,
    request: ClassifyRequest,
    vectors: npt.NDArray[np.floating],
    *,
    label_vectors: LabelVectors = zero_shot.label_vectors,
) -> ClassifyResponse:
    """Classify texts whose unit embeddings are ``vectors`` (checked and embedded by the caller,
    any number of them) with the source ``request`` names. 404 for a missing head, 422 for a
    head trained on another embedding size; ``label_vectors`` may be a cached one."""
    if request.model is not None:
        head = store.load_head(owner, request.model)
        if vectors.shape[1] != head.dimension:
            raise UnprocessableContentError(
                f"model {head.name!r} was trained on {head.dimension}-dimensional vectors; "
                "train it again"
            )
        results = classifications(head.labels, heads.predict(head, vectors))
        return ClassifyResponse(method="trained", source=head.name, results=results)
    if request.label_set is not None:
        descriptions, source = label_set(request.label_set), request.label_set
    else:
        assert request.labels is not None  # the request model allows exactly one source
        descriptions, source = descriptions_of(request.labels), "request"
    results = zero_shot.classify_vectors(vectors, *label_vectors(descriptions))
    return ClassifyResponse(method="zero-shot", source=source, results=results)


def train(owner: str, request: TrainRequest) -> TrainedModel:
    """Embed the examples, fit a head, store it for ``owner``; returns its summary."""
    texts = [example.text for example in request.examples]
    check_texts(texts, field="examples")
    embedded = embed_checked(texts)
    labels, coefficients, intercepts, accuracy = heads.fit(
        embedded.vectors,
        [example.label for example in request.examples],
        regularization=request.regularization,
    )
    head = heads.ClassifierHead(
        name=request.name,
        labels=labels,
        coefficients=coefficients,
        intercepts=intercepts,
        embedding_model=embedded.model,
        dimension=embedded.dimension,
        examples=len(texts),
        train_accuracy=accuracy,
        regularization=request.regularization,
        trained_with=f"scikit-learn {importlib.metadata.version('scikit-learn')}",
        created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )
    store.save_head(owner, head)
    return TrainedModel(
        name=head.name,
        labels=head.labels,
        examples=head.examples,
        train_accuracy=head.train_accuracy,
        embedding_model=head.embedding_model,
        created_at=head.created_at,
    )
