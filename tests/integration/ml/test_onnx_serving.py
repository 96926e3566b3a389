"""ONNX copies in the registry on the real PostgreSQL and Azurite: stored at registration where the
estimator converts, predictions served by onnxruntime equal to scikit-learn's, a tampered ONNX
artefact refused (409), and versions without a copy served by scikit-learn."""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import pytest

from shared.errors import ConflictError
from shared.ml import algorithms, onnx_serving, service
from shared.ml.api import DataInput, PredictModelRequest, TrainModelRequest
from shared.ml.registry import get_registry


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def table(seed: int = 0, n: int = 300) -> tuple[np.ndarray, list[str], list[float]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    labels = ["up" if v > 0 else "down" for v in x[:, 0] + 0.5 * x[:, 2]]
    values = (2 * x[:, 1] - x[:, 3]).tolist()
    return x, labels, values


CASES = [
    ("kmeans", {"n_clusters": 3}, None, False),
    ("kmeans", {"n_clusters": 3}, None, True),
    ("random_forest", {"n_estimators": 30}, "label", False),
    ("random_forest", {"n_estimators": 30}, "value", True),
    ("logistic_regression", {}, "label", True),
    ("ridge", {}, "value", False),
]


@pytest.mark.parametrize(("algorithm", "params", "target", "scale"), CASES)
def test_converted_versions_predict_through_onnxruntime_like_scikit_learn(
    algorithm, params, target, scale
):
    x, labels, values = table()
    columns = ["a", "b", "c", "d"]
    rows = x.tolist()
    if target is not None:
        extra = labels if target == "label" else values
        rows = [[*r, t] for r, t in zip(rows, extra, strict=True)]
        columns = [*columns, target]
    name = unique("onnx")
    version = service.train_model(
        "o",
        TrainModelRequest(
            name=name,
            algorithm=algorithm,
            params=params,
            data=DataInput(rows=rows, columns=columns),
            target=target,
            scale=scale,
        ),
    )
    assert version.onnx_sha256 is not None
    registry = get_registry()
    record = registry.resolve("o", name, version=version.version)
    stored = registry._get_container().download_blob(record.onnx_blob_name).readall()
    assert hashlib.sha256(stored).hexdigest() == version.onnx_sha256 == record.onnx_sha256
    assert record.onnx_blob_name == f"{name}/{version.onnx_sha256}.onnx"

    fresh, _, _ = table(seed=1, n=50)
    body = PredictModelRequest(data=DataInput(rows=fresh.tolist(), columns=["a", "b", "c", "d"]))
    served = service.predict("o", name, body)
    assert served.runtime == "onnxruntime"
    expected = algorithms.predict(registry.load(record), algorithm, fresh)
    assert onnx_serving.mismatch(expected, served.model_dump(exclude_none=True)) is None
    if isinstance(expected["predictions"][0], float):
        assert served.predictions == pytest.approx(expected["predictions"], rel=1e-4, abs=1e-5)
    else:
        assert served.predictions == expected["predictions"]


def test_a_tampered_onnx_artefact_is_refused():
    x, _, values = table()
    name = unique("onnx-tamper")
    rows = [[*r, v] for r, v in zip(x.tolist(), values, strict=True)]
    service.train_model(
        "o",
        TrainModelRequest(
            name=name,
            algorithm="ridge",
            data=DataInput(rows=rows, columns=["a", "b", "c", "d", "y"]),
            target="y",
        ),
    )
    registry = get_registry()
    record = registry.resolve("o", name)
    container = registry._get_container()
    original = container.download_blob(record.onnx_blob_name).readall()
    container.upload_blob(record.onnx_blob_name, original + b"\x00", overwrite=True)
    registry.forget_cache()
    body = PredictModelRequest(
        data=DataInput(rows=[[0.0, 1.0, 0.0, 0.0]], columns=["a", "b", "c", "d"])
    )
    with pytest.raises(ConflictError, match="ONNX artefact does not match its recorded sha256"):
        service.predict("o", name, body)
    registry.load(record)  # the skops artefact is intact and still loads


def test_versions_without_an_onnx_copy_are_served_by_scikit_learn():
    rng = np.random.default_rng(2)
    name = unique("onnx-iforest")
    version = service.train_model(
        "o",
        TrainModelRequest(
            name=name,
            algorithm="isolation_forest",
            data=DataInput(rows=rng.normal(size=(200, 3)).tolist()),
        ),
    )
    assert version.onnx_sha256 is None  # not converted: slower through onnxruntime (bench ml)
    served = service.predict(
        "o", name, PredictModelRequest(data=DataInput(rows=[[0.0, 0.0, 0.0], [9.0, 9.0, 9.0]]))
    )
    assert served.runtime == "scikit-learn"
    assert served.predictions == [0, 1]
    assert served.scores is not None
