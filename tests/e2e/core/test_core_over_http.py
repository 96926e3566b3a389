"""The AI core over HTTP through devhost: analyze with planted topics and anomalies, patterns
kept per caller and matched later, explained suggestions; then a devhost whose graph and Qdrant
are down (the answers still come, marked degraded, never a 500) and whose synchronous limit is
small (a large batch becomes an analyze job: 202)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from datasets.core_tickets import planted
from tests.utils.app_host import start_app_host
from tests.utils.auth import new_caller
from tests.utils.servers import free_port


@pytest.fixture(scope="module")
def core_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A devhost on the default stores (the graph and the vectors in PostgreSQL)."""
    with start_app_host({}) as url:
        yield url


@pytest.fixture(scope="module")
def degraded_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A devhost whose graph (Neo4j) and Qdrant are ports nothing listens on."""
    env = {
        "NEO4J_URI": f"bolt://127.0.0.1:{free_port()}",
        "GRAPH_TIMEOUT_SECONDS": "1",
        "QDRANT_URL": f"http://127.0.0.1:{free_port()}",
        "CORE_SYNC_MAX_ITEMS": "20",
    }
    with start_app_host(env) as url:
        yield url


def body(per_topic: int = 20) -> tuple[dict, list[str | None]]:
    texts, truth = planted(per_topic)
    return {"items": [{"text": t, "id": f"t{i}"} for i, t in enumerate(texts)], "k": 3}, truth


def test_analyze_patterns_and_suggestions_over_http(core_host):
    alice, bob = new_caller("alice"), new_caller("bob")
    with httpx.Client(base_url=core_host, timeout=120) as client:
        request, truth = body()
        analyzed = client.post("/analyze", headers=alice, json={**request, "contamination": 0.1})
        assert analyzed.status_code == 200, analyzed.text
        result = analyzed.json()
        assert result["degraded"] == []
        assert len(result["clusters"]) == 3
        planted_anomalies = {i for i, t in enumerate(truth) if t is None}
        assert planted_anomalies <= set(result["anomalies"])
        assert len({r["cluster"] for r, t in zip(result["items"], truth, strict=True) if t}) == 3
        # patterns are kept for alice only
        found = client.post("/patterns", headers=alice, json=request)
        assert found.status_code == 200, found.text
        assert found.json()["stored"] == 3
        suggestion = client.post(
            "/suggestions", headers=alice, json={"text": "I was charged twice, refund please"}
        )
        assert suggestion.status_code == 200, suggestion.text
        first = suggestion.json()["suggestions"][0]
        assert first["kind"] == "pattern"
        assert first["pattern_id"] in {p["pattern_id"] for p in found.json()["patterns"]}
        assert first["evidence"]
        assert first["explanation"]
        other = client.post(
            "/suggestions", headers=bob, json={"text": "I was charged twice, refund please"}
        )
        assert other.status_code == 200
        assert [s for s in other.json()["suggestions"] if s["kind"] == "pattern"] == []
        # bad input is 4xx, never 500
        assert client.post("/analyze", headers=alice, json={"items": []}).status_code == 422
        blank = client.post("/analyze", headers=alice, json={"items": [{"text": "   "}]})
        assert blank.status_code == 400


def test_dependencies_down_answer_degraded_and_large_batches_become_jobs(degraded_host):
    alice = new_caller("alice")
    with httpx.Client(base_url=degraded_host, timeout=120) as client:
        request, _ = body(5)
        analyzed = client.post("/analyze", headers=alice, json=request)
        assert analyzed.status_code == 200, analyzed.text
        degraded = analyzed.json()["degraded"]
        assert [d.split(":")[0] for d in degraded] == ["relate", "match"]
        assert "graph unavailable" in degraded[0]
        assert "vectors unavailable" in degraded[1]
        assert len(analyzed.json()["clusters"]) == 3
        found = client.post("/patterns", headers=alice, json=request)
        assert found.status_code == 200
        assert found.json()["stored"] == 0
        assert found.json()["patterns"]
        suggested = client.post("/suggestions", headers=alice, json={"text": "refund twice"})
        assert suggested.status_code == 200
        assert {d.split(":")[0] for d in suggested.json()["degraded"]} == {
            "suggest_patterns",
            "relate",
        }
        # more than CORE_SYNC_MAX_ITEMS (20) items: an analyze job
        large, _ = body(10)
        accepted = client.post("/analyze", headers=alice, json=large)
        assert accepted.status_code == 202, accepted.text
        assert accepted.headers["location"].startswith("/api/jobs/")
