"""Classical ML and trading decisions over HTTP through devhost: keys, idempotency, bad input."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from sklearn.datasets import make_blobs

from tests.utils.auth import FUNCTION_KEY, auth_headers, new_caller

HOST_KEY = {"x-functions-key": FUNCTION_KEY}  # devhost's outer layer: no credential by itself
CALLER = auth_headers("ml-e2e")


@pytest.fixture
def client(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=60) as http:
        yield http


def issue_key(app_host: str, scopes: list[str]) -> dict:
    """A new API key for a trading agent of the test tenant, issued by an admin over HTTP."""
    issued = httpx.post(
        f"{app_host}/auth/keys",
        headers=auth_headers("ml-e2e-admin", scopes=["admin"]),
        json={
            "user": f"agent-{uuid.uuid4().hex[:8]}",
            "name": "e2e trading agent",
            "scopes": scopes,
        },
        timeout=30,
    )
    assert issued.status_code == 201, issued.text
    return issued.json()


@pytest.fixture(scope="module")
def api_key(app_host: str) -> Iterator[dict[str, str]]:
    """``X-API-Key`` with an issued key that has the ``predict`` scope (revoked afterwards)."""
    issued = issue_key(app_host, ["predict"])
    yield {"X-API-Key": issued["key"]}
    revoked = httpx.delete(
        f"{app_host}/auth/keys/{issued['id']}",
        headers=auth_headers("ml-e2e-admin", scopes=["admin"]),
        timeout=30,
    )
    assert revoked.status_code == 200, revoked.text


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
        HOST_KEY,
        {**HOST_KEY, "X-API-Key": "wrong"},
        {**HOST_KEY, "X-API-Key": ""},
        {},  # nothing at all
    ],
    ids=["no-api-key", "wrong-api-key", "empty-api-key", "nothing"],
)
def test_predict_without_the_right_keys_is_401(client, api_key, headers):
    response = client.post("/predict", headers=headers, json=predict_body())
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]  # a reason, never an empty body


def test_the_trading_agents_request_works_as_the_seed_writes_it(client, api_key):
    # POST {BaseUrl}/predict with X-API-Key and Idempotency-Key only: no function key.
    headers = {"X-API-Key": api_key["X-API-Key"], "Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/predict", headers=headers, json=predict_body())
    assert first.status_code == 200, first.text
    again = client.post("/predict", headers=headers, json=predict_body())
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_predict_with_a_key_lacking_the_predict_scope_is_403(client, app_host):
    issued = issue_key(app_host, ["ml"])
    response = client.post(
        "/predict", headers={**HOST_KEY, "X-API-Key": issued["key"]}, json=predict_body()
    )
    assert response.status_code == 403, response.text


def test_predict_decides_within_limits_and_replays(client, api_key):
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    headers = {**HOST_KEY, **api_key, **key}
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
def test_bad_predict_bodies_are_4xx(client, api_key, body, status):
    headers = {**HOST_KEY, **api_key, "content-type": "application/json"}
    response = client.post("/predict", headers=headers, content=body)
    assert response.status_code == status, response.text


def test_cluster_over_http_and_its_bad_input(client):
    x, _ = make_blobs(n_samples=150, centers=[[0, 0], [10, 0], [0, 10]], random_state=4)
    response = client.post("/ml/cluster", headers=CALLER, json={"data": {"rows": x.tolist()}})
    assert response.status_code == 200, response.text
    assert response.json()["k"] == 3
    for rows in ([[1, 2], [3]], [[1, "x"], [2, "y"]], [[1.0, 2.0]]):
        bad = client.post("/ml/cluster", headers=CALLER, json={"data": {"rows": rows}})
        assert bad.status_code == 422, bad.text
    nan = client.post(
        "/ml/cluster",
        headers={**CALLER, "content-type": "application/json"},
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
    headers = new_caller("ml")
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
        headers=CALLER,
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
        headers=CALLER,
        json={"alias": "production", "version": 1},
    )
    assert alias.status_code == 200
    assert alias.json()["aliases"] == {"production": 1}
    assert (
        client.get(f"/ml/models/{name}", headers=CALLER).json()["versions"][0]["sha256"]
        == created.json()["sha256"]
    )
    predicted = client.post(
        f"/ml/models/{name}/predict",
        headers=CALLER,
        json={"data": {"rows": x[:4].tolist()}, "alias": "production"},
    )
    assert predicted.status_code == 200, predicted.text
    assert len(predicted.json()["predictions"]) == 4
    assert predicted.json()["runtime"] == "onnxruntime"  # kmeans has an ONNX copy
    unknown = client.post(
        f"/ml/models/{name}-nope/predict", headers=CALLER, json={"data": {"rows": [[1, 2]]}}
    )
    assert unknown.status_code == 404
    bad_params = client.post(
        "/ml/models",
        headers=CALLER,
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
        **new_caller("ml"),
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
    bad = client.post("/ml/batch", headers=CALLER, json={**body, "operation": "regression"})
    assert bad.status_code == 422, bad.text
