"""Health and discovery endpoints over real HTTP through devhost, against the real services."""

from __future__ import annotations

import httpx

from tests.utils.app_host import start_app_host
from tests.utils.servers import redis_server


def test_health_is_anonymous_and_touches_nothing(app_host: str):
    response = httpx.get(f"{app_host}/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["x-request-id"]


def test_services_status_reports_every_store(app_host: str):
    response = httpx.get(f"{app_host}/services/status", timeout=15)
    body = response.json()
    assert response.status_code == 200, body
    required = {d["name"]: d["ok"] for d in body["dependencies"] if d["required"]}
    assert required == {
        "redis": True,
        "postgres": True,
        "blob": True,
        "queue": True,
        "vectors": True,
    }
    # Every dependency is listed, and each one a breaker guards carries the breaker's state.
    breakers = {d["name"]: d["breaker"] for d in body["dependencies"] if d["breaker"] is not None}
    assert set(breakers) == {"redis", "postgres", "blob", "queue", "vectors", "graph", "llm"}
    assert set(breakers.values()) <= {"closed", "open", "half_open"}
    runtimes = {d["name"] for d in body["dependencies"] if d["name"].startswith("runtime:")}
    assert runtimes == {"runtime:openvino", "runtime:onnxruntime", "runtime:ctranslate2"}
    assert {"hit", "miss", "conflict", "mismatch", "fail_open"} <= body["idempotency"].keys()


def test_services_status_is_503_and_names_a_stopped_store():
    with redis_server() as private, start_app_host({"REDIS_PORT": str(private.port)}) as url:
        assert httpx.get(f"{url}/services/status", timeout=15).status_code == 200
        private.stop()
        response = httpx.get(f"{url}/services/status", timeout=15)
    assert response.status_code == 503
    failed = [d for d in response.json()["dependencies"] if not d["ok"] and d["required"]]
    assert [d["name"] for d in failed] == ["redis"]
    assert failed[0]["error"]
    # The counters kept in Redis cannot be read, and the page says so instead of failing.
    assert response.json()["idempotency"]["stats_unavailable"] == 1


def test_models_status_lists_the_catalog(app_host: str):
    response = httpx.get(f"{app_host}/models/status")
    assert response.status_code == 200
    assert isinstance(response.json()["models"], list)


def test_openapi_document_is_served_and_lists_itself(app_host: str):
    response = httpx.get(f"{app_host}/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"
    assert "/api/openapi.json" in response.json()["paths"]


def test_unknown_route_and_wrong_method_are_404_as_on_the_real_host(app_host: str):
    # The Functions host answers 404, not 405, when only the method fails to match
    # (devhost can answer 405 with DEVHOST_METHOD_NOT_ALLOWED_STATUS=405; see its tests).
    assert httpx.get(f"{app_host}/no-such-thing").status_code == 404
    assert httpx.post(f"{app_host}/health").status_code == 404
