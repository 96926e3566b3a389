"""The model registry on the real PostgreSQL and Azurite: round trip, aliases, integrity, and the
trading model picked up by /api/predict's service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
import pytest

from shared.errors import ConflictError, NotFoundError
from shared.ml import service
from shared.ml.api import (
    AliasRequest,
    AnomalyRequest,
    DataInput,
    ModelRef,
    PredictModelRequest,
    TrainModelRequest,
)
from shared.ml.registry import get_registry


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def regression_table(seed: int = 0, n: int = 200):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = 2 * x[:, 1] - x[:, 3]
    return DataInput(rows=np.column_stack([x, y]).tolist(), columns=["a", "b", "c", "d", "y"])


def test_round_trip_versions_and_aliases():
    name = unique("reg")
    first = service.train_model(
        "owner-1",
        TrainModelRequest(
            name=name,
            algorithm="ridge",
            data=regression_table(),
            target="y",
            aliases=["staging"],
        ),
    )
    second = service.train_model(
        "owner-1",
        TrainModelRequest(
            name=name,
            algorithm="random_forest",
            params={"n_estimators": 40},
            data=regression_table(1),
            target="y",
        ),
    )
    assert (first.version, second.version) == (1, 2)
    assert first.aliases == ["staging"]
    assert len(first.sha256) == 64
    assert first.metrics["train_score"] > 0.99
    assert first.features == ["a", "b", "c", "d"]

    detail = service.set_alias("owner-1", name, AliasRequest(alias="production", version=1))
    assert detail.aliases == {"production": 1, "staging": 1}
    assert [v.version for v in detail.versions] == [1, 2]
    assert name in {m.name for m in service.list_models("owner-1").models}

    rows = DataInput(rows=[[0.0, 1.0, 0.0, 0.0]], columns=["a", "b", "c", "d"])
    by_alias = service.predict("owner-1", name, PredictModelRequest(data=rows))  # production
    assert by_alias.version == 1
    assert by_alias.predictions[0] == pytest.approx(2.0, abs=0.05)
    by_version = service.predict("owner-1", name, PredictModelRequest(data=rows, version=2))
    assert by_version.version == 2
    assert by_version.algorithm == "random_forest"

    with pytest.raises(NotFoundError, match="no version 9"):
        service.predict("owner-1", name, PredictModelRequest(data=rows, version=9))
    with pytest.raises(NotFoundError, match="no alias"):
        service.predict("owner-1", name, PredictModelRequest(data=rows, alias="nope"))
    with pytest.raises(NotFoundError):
        service.get_model("owner-1", unique("missing"))
    with pytest.raises(NotFoundError):
        service.set_alias("owner-1", name, AliasRequest(alias="production", version=7))


def test_model_names_are_per_caller():
    # given owner-a's model
    name = unique("ns")
    service.train_model(
        "owner-a",
        TrainModelRequest(name=name, algorithm="ridge", data=regression_table(), target="y"),
    )
    rows = DataInput(rows=[[0.0, 1.0, 0.0, 0.0]], columns=["a", "b", "c", "d"])

    # then another caller neither sees, serves nor aliases it
    assert name not in {m.name for m in service.list_models("owner-b").models}
    with pytest.raises(NotFoundError):
        service.get_model("owner-b", name)
    with pytest.raises(NotFoundError):
        service.predict("owner-b", name, PredictModelRequest(data=rows))
    with pytest.raises(NotFoundError):
        service.set_alias("owner-b", name, AliasRequest(alias="production", version=1))

    # and registering the same name is its own model, starting at version 1
    other = service.train_model(
        "owner-b",
        TrainModelRequest(
            name=name, algorithm="random_forest", data=regression_table(), target="y"
        ),
    )
    assert other.version == 1
    assert service.get_model("owner-a", name).versions[0].algorithm == "ridge"
    assert [v.algorithm for v in service.get_model("owner-b", name).versions] == ["random_forest"]


def test_a_tampered_artefact_is_refused():
    name = unique("tamper")
    version = service.train_model(
        "o", TrainModelRequest(name=name, algorithm="ridge", data=regression_table(), target="y")
    )
    registry = get_registry()
    record = registry.resolve("o", name, version=version.version)
    container = registry._get_container()
    original = container.download_blob(record.blob_name).readall()
    container.upload_blob(record.blob_name, original + b"\x00", overwrite=True)
    registry.forget_cache()
    # predict serves this ridge from its ONNX copy (tests/integration/ml/test_onnx_serving.py
    # tampers with that one): the skops artefact is what the anomaly and trading paths load.
    with pytest.raises(ConflictError, match="sha256"):
        registry.load(record)


def test_anomaly_scoring_with_a_stored_model():
    rng = np.random.default_rng(0)
    name = unique("iforest")
    normal = rng.normal(size=(500, 3))
    service.train_model(
        "o",
        TrainModelRequest(
            name=name,
            algorithm="isolation_forest",
            params={"contamination": 0.01},
            data=DataInput(rows=normal.tolist()),
        ),
    )
    fresh = np.vstack([rng.normal(size=(20, 3)), [[9, 9, 9], [-8, 8, -8]]])
    result = service.anomaly(
        "o", AnomalyRequest(data=DataInput(rows=fresh.tolist()), model=ModelRef(name=name))
    )
    assert result.flags[-2:] == [True, True]
    assert sum(result.flags[:20]) <= 2
    assert result.model_version == f"{name}@1"


def test_the_trading_service_uses_the_production_model(settings, monkeypatch):
    from shared.trading import service as trading
    from shared.trading import state
    from shared.trading.api import Candle, Portfolio, PredictRequest
    from shared.trading.features import FEATURE_NAMES

    name = unique("trading")
    monkeypatch.setattr(settings, "trading_model_name", name)
    monkeypatch.setattr(settings, "trading_model_refresh_seconds", 0.0)
    trading.reset()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, len(FEATURE_NAMES)))
    labels = ["buy" if v > 0 else "sell" for v in x[:, 0]]  # driven by return_1
    rows = [[*r, label] for r, label in zip(x.tolist(), labels, strict=True)]
    service.train_model(
        "o",
        TrainModelRequest(
            name=name,
            algorithm="random_forest",
            params={"n_estimators": 30},
            data=DataInput(rows=rows, columns=[*FEATURE_NAMES, "label"]),
            target="label",
            aliases=["production"],
        ),
    )
    closes = [100.0] * 10 + [110.0]  # return_1 = +10 %: the model says buy
    request = PredictRequest(
        agent_id="agent",
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        portfolio=Portfolio(cash=10_000),
        market={"XYZ": [Candle(open=c, high=c, low=c, close=c) for c in closes]},
    )
    try:
        # another caller has no model of that name: the baseline decides for it
        assert trading.decide(request, "someone-else").model_version == state.BASELINE_VERSION
        response = trading.decide(request, "o")
        assert response.model_version == f"{name}@1"
        assert state.current().loaded
        assert state.current().version == f"{name}@1"
        assert [o.side for o in response.orders] == ["buy"]
        assert "return_1" in response.orders[0].reasoning
        assert response.orders[0].quantity * 110.0 <= 0.2 * 10_000
    finally:
        trading.reset()
