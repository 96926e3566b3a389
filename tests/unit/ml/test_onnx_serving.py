"""ONNX copies of estimators: converted only where the outputs equal scikit-learn's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shared.ml import algorithms, onnx_serving


def blobs(n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0], [8, 0, 0], [0, 8, 0]])
    return centres[rng.integers(0, 3, n)] + rng.normal(size=(n, 3))


def test_a_classifier_copy_gives_the_same_labels_and_probabilities():
    x = blobs()
    y = ["left" if v < 4 else "right" for v in x[:, 0]]
    trained = algorithms.train("random_forest", {"n_estimators": 40}, x, y, task="auto", scale=True)
    data = onnx_serving.convert(trained.estimator, "random_forest", x)
    assert data is not None
    model = onnx_serving.session(data)
    assert model.classes == ["left", "right"]
    got = onnx_serving.predict(model, x)
    want = algorithms.predict(trained.estimator, "random_forest", x)
    assert got["predictions"] == want["predictions"]
    assert onnx_serving.mismatch(want, got) is None
    assert all(p >= 0.0 for row in got["probabilities"] for p in row.values())


def test_isolation_forest_is_not_converted():
    x = blobs()
    trained = algorithms.train("isolation_forest", {}, x, None, task="auto", scale=False)
    assert onnx_serving.convert(trained.estimator, "isolation_forest", x) is None


def test_outputs_that_differ_from_scikit_learn_are_not_stored(monkeypatch):
    x = blobs()
    trained = algorithms.train("kmeans", {"n_clusters": 3}, x, None, task="auto", scale=False)
    assert onnx_serving.convert(trained.estimator, "kmeans", x) is not None
    real = onnx_serving.predict

    def one_label_off(model: Any, rows: Any) -> dict[str, Any]:
        out = real(model, rows)
        out["predictions"][0] = (out["predictions"][0] + 1) % 3
        return out

    monkeypatch.setattr(onnx_serving, "predict", one_label_off)
    assert onnx_serving.convert(trained.estimator, "kmeans", x) is None


@pytest.mark.parametrize(
    ("expected", "actual", "reason"),
    [
        ({"predictions": [1.0, 2.0]}, {"predictions": [1.0, 2.0 + 1e-7]}, None),
        ({"predictions": [1.0, 2.0]}, {"predictions": [1.0, 2.01]}, "differ by up to"),
        ({"predictions": [1, 2]}, {"predictions": [1]}, "1 predictions for 2 rows"),
        ({"predictions": ["a", "b"]}, {"predictions": ["a", "a"]}, "1 of 2 labels differ"),
        (
            {"predictions": ["a"], "probabilities": [{"a": 0.6, "b": 0.4}]},
            {"predictions": ["a"], "probabilities": [{"a": 0.5, "b": 0.5}]},
            "class probabilities differ",
        ),
        (
            {"predictions": ["a"], "probabilities": [{"a": 1.0}]},
            {"predictions": ["a"]},
            "missing on one side",
        ),
    ],
)
def test_mismatch_names_the_difference(expected, actual, reason):
    found = onnx_serving.mismatch(expected, actual)
    assert found == reason if reason is None else reason in (found or "")
