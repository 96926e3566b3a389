"""Classifier heads predict as scikit-learn does, from JSON numbers; request models' rules."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression

from shared.classify.api import ClassifyRequest, TrainRequest
from shared.classify.heads import ClassifierHead, fit, predict
from shared.classify.label_sets import descriptions_of, label_set
from shared.errors import NotFoundError, UnprocessableContentError
from shared.vectors.api import DeleteRequest


def head_from(labels, coefficients, intercepts) -> ClassifierHead:
    return ClassifierHead(
        name="h",
        labels=labels,
        coefficients=coefficients,
        intercepts=intercepts,
        embedding_model="m",
        dimension=len(coefficients[0]),
        examples=0,
        train_accuracy=1.0,
        regularization=1.0,
        trained_with="test",
        created_at="now",
    )


@pytest.mark.parametrize("classes", [2, 3])
def test_stored_head_predicts_what_scikit_learn_predicts(classes: int):
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    labels = [f"c{i % classes}" for i in range(60)]
    model = LogisticRegression(max_iter=2000).fit(vectors, labels)

    stored = head_from(*fit(vectors, labels, regularization=1.0)[:3])
    # the JSON round trip is what the store does
    stored = ClassifierHead.model_validate_json(stored.model_dump_json())

    assert stored.labels == list(model.classes_)
    np.testing.assert_allclose(predict(stored, vectors), model.predict_proba(vectors), atol=1e-6)


def test_training_needs_two_labels_with_two_examples_each():
    vectors = np.zeros((3, 4), dtype=np.float32)
    with pytest.raises(UnprocessableContentError, match="at least two labels"):
        fit(vectors, ["a", "a", "a"], regularization=1.0)
    with pytest.raises(UnprocessableContentError, match="too few: b"):
        fit(vectors, ["a", "a", "b"], regularization=1.0)


def test_classify_request_takes_exactly_one_source():
    ClassifyRequest(texts=["x"], label_set="sentiment")
    with pytest.raises(ValidationError):
        ClassifyRequest(texts=["x"])
    with pytest.raises(ValidationError):
        ClassifyRequest(texts=["x"], label_set="sentiment", model="m")


def test_model_names_are_restricted():
    TrainRequest(name="support-v2.1", examples=[])
    with pytest.raises(ValidationError):
        TrainRequest(name="../escape", examples=[])


def test_delete_request_takes_ids_or_a_filter():
    DeleteRequest(ids=[1])
    DeleteRequest(filter={"a": 1})
    with pytest.raises(ValidationError):
        DeleteRequest()
    with pytest.raises(ValidationError):
        DeleteRequest(ids=[1], filter={"a": 1})


def test_label_sets_and_request_labels():
    assert "positive" in label_set("sentiment")
    with pytest.raises(NotFoundError):
        label_set("nope")
    assert descriptions_of(["a", "b"]) == {"a": ["a"], "b": ["b"]}
    assert descriptions_of({"a": "x", "b": ["y", "z"]}) == {"a": ["x"], "b": ["y", "z"]}
