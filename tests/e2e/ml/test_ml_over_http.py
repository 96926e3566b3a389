"""Classical ML and trading decisions over HTTP through devhost: keys, idempotency, bad input."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from sklearn.datasets import make_blobs

FUNCTION_KEY = {"x-functions-key": "local-dev-function-key"}
API_KEY = {"X-API-Key": "local-dev-ml-service-key"}


@pytest.fixture
def client(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=60) as http:
        yield http


def predict_body(cash: float = 50_000.0) -> dict:
    rng = np.random.default_rng(8)  # a seed whose series the baseline buys (and sells reversed)
    closes = (100 * np.cumprod(1 + 0.004 + 0.01 * rng.normal(size=40))).tolist()
    candles = [
        {
            "timestamp": f"2026-01-01T00:{i:02d}:00Z",
            "open": c,
            "high": c * 1.01,
            "low": c * 0.99,
            "close": c,
            "volume": 1000,
        }
        for i, c in enumerate(closes)
    ]
    return {
        "agent_id": "agent-7",
        "timestamp": "2026-01-01T01:00:00Z",
        "portfolio": {"cash": cash, "positions": [{"symbol": "MSFT", "quantity": 3}]},
        "market": {"AAPL": candles, "MSFT": candles[::-1]},
        "constraints": {"max_position_fraction": 0.1},
    }


def test_health_reports_the_trading_model_fields(client):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert isinstance(body["model_loaded"], bool)
    assert body["model_version"]
    assert body["schema_version"] == "1.0"


@pytest.mark.parametrize(
    "headers",
    [
        FUNCTION_KEY,
        {**FUNCTION_KEY, "X-API-Key": "wrong"},
        {**FUNCTION_KEY, "X-API-Key": ""},
        API_KEY,  # no function key: devhost refuses it first
    ],
)
def test_predict_without_the_right_keys_is_401(client, headers):
    response = client.post("/predict", headers=headers, json=predict_body())
    assert response.status_code == 401, response.text


def test_predict_decides_within_limits_and_replays(client):
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    headers = {**FUNCTION_KEY, **API_KEY, **key}
    first = client.post("/predict", headers=headers, json=predict_body())
    assert first.status_code == 200, first.text
    decision = first.json()
    assert decision["schema_version"] == "1.0"
    assert decision["model_version"]
    assert decision["reasoning"]
    sides = {o["symbol"]: o for o in decision["orders"]}
    assert sides["AAPL"]["side"] == "buy"
    assert sides["AAPL"]["quantity"] * sides["AAPL"]["limit_price"] <= 0.1 * 60_000
    assert sides["MSFT"]["side"] == "sell"
    assert sides["MSFT"]["quantity"] <= 3

    again = client.post("/predict", headers=headers, json=predict_body())
    assert again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.content == first.content

    changed = client.post("/predict", headers=headers, json=predict_body(cash=1.0))
    assert changed.status_code == 422, changed.text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ('{"agent_id": "a"}', 422),
        ("not json", 400),
        (json.dumps(predict_body()).replace('"cash": 50000.0', '"cash": NaN'), 422),
    ],
)
def test_bad_predict_bodies_are_4xx(client, body, status):
    headers = {**FUNCTION_KEY, **API_KEY, "content-type": "application/json"}
    response = client.post("/predict", headers=headers, content=body)
    assert response.status_code == status, response.text


def test_cluster_over_http_and_its_bad_input(client):
    x, _ = make_blobs(n_samples=150, centers=[[0, 0], [10, 0], [0, 10]], random_state=4)
    response = client.post("/ml/cluster", headers=FUNCTION_KEY, json={"data": {"rows": x.tolist()}})
    assert response.status_code == 200, response.text
    assert response.json()["k"] == 3
    for rows in ([[1, 2], [3]], [[1, "x"], [2, "y"]], [[1.0, 2.0]]):
        bad = client.post("/ml/cluster", headers=FUNCTION_KEY, json={"data": {"rows": rows}})
        assert bad.status_code == 422, bad.text
    nan = client.post(
        "/ml/cluster",
        headers={**FUNCTION_KEY, "content-type": "application/json"},
        content='{"data": {"rows": [[1, NaN], [2, 3], [4, 5]]}}',
    )
    assert nan.status_code == 422
    assert "non-finite" in nan.text


def test_csv_upload_feature_importance(client):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(120, 4))
    y = 4 * x[:, 3] + 0.05 * rng.normal(size=120)
    lines = [
        "a,b,c,d,y",
        *(",".join(f"{v:.6f}" for v in [*r, t]) for r, t in zip(x, y, strict=True)),
    ]
    headers = {**FUNCTION_KEY, "x-ms-client-principal-id": f"ml-{uuid.uuid4().hex[:8]}"}
    upload = client.post(
        "/media/upload", headers=headers, files={"file": ("t.csv", "\n".join(lines).encode())}
    )
    assert upload.status_code in (200, 201), upload.text
    body = {
        "data": {"file_id": upload.json()["id"]},
        "target": "y",
        "n_estimators": 50,
        "n_repeats": 2,
    }
    response = client.post("/ml/feature-importance", headers=headers, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["importances"][0]["feature"] == "d"
    missing = client.post(
        "/ml/feature-importance",
        headers=headers,
        json={**body, "data": {"file_id": str(uuid.uuid4())}},
    )
    assert missing.status_code == 404


def test_registry_over_http(client):
    name = f"http-{uuid.uuid4().hex[:10]}"
    x, _ = make_blobs(n_samples=60, centers=2, n_features=2, random_state=0)
    created = client.post(
        "/ml/models",
        headers=FUNCTION_KEY,
        json={
            "name": name,
            "algorithm": "kmeans",
            "params": {"n_clusters": 2},
            "data": {"rows": x.tolist()},
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    alias = client.post(
        f"/ml/models/{name}/aliases",
        headers=FUNCTION_KEY,
        json={"alias": "production", "version": 1},
    )
    assert alias.status_code == 200
    assert alias.json()["aliases"] == {"production": 1}
    assert (
        client.get(f"/ml/models/{name}", headers=FUNCTION_KEY).json()["versions"][0]["sha256"]
        == created.json()["sha256"]
    )
    predicted = client.post(
        f"/ml/models/{name}/predict",
        headers=FUNCTION_KEY,
        json={"data": {"rows": x[:4].tolist()}, "alias": "production"},
    )
    assert predicted.status_code == 200, predicted.text
    assert len(predicted.json()["predictions"]) == 4
    assert predicted.json()["runtime"] == "onnxruntime"  # kmeans has an ONNX copy
    unknown = client.post(
        f"/ml/models/{name}-nope/predict", headers=FUNCTION_KEY, json={"data": {"rows": [[1, 2]]}}
    )
    assert unknown.status_code == 404
    bad_params = client.post(
        "/ml/models",
        headers=FUNCTION_KEY,
        json={
            "name": name,
            "algorithm": "kmeans",
            "params": {"n_clusters": 500},
            "data": {"rows": x.tolist()},
        },
    )
    assert bad_params.status_code == 422


def test_batch_is_a_job_and_a_repeated_key_gets_the_same_one(client):
    x, _ = make_blobs(n_samples=60, centers=[[0, 0], [10, 0], [0, 10]], random_state=4)
    body = {"operation": "cluster", "data": {"rows": x.tolist()}, "k": 3}
    headers = {
        **FUNCTION_KEY,
        "x-ms-client-principal-id": f"ml-{uuid.uuid4().hex[:8]}",
        "Idempotency-Key": f'"{uuid.uuid4()}"',
    }
    first = client.post("/ml/batch", headers=headers, json=body)
    assert first.status_code == 202, first.text
    job = first.json()
    assert job["kind"] == "ml"
    assert first.headers["location"] == f"/api/jobs/{job['id']}"
    again = client.post("/ml/batch", headers=headers, json=body)
    assert again.status_code == 202, again.text
    assert again.json()["id"] == job["id"]
    assert again.headers["location"] == first.headers["location"]
    bad = client.post("/ml/batch", headers=FUNCTION_KEY, json={**body, "operation": "regression"})
    assert bad.status_code == 422, bad.text
