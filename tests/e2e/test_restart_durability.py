"""Nothing is lost on restart, and every process sees the same data (issue #18).

As a new user would: through the app's HTTP endpoints on a real devhost process, add a document,
/api/vectors points, AI-core patterns and graph concepts (a chat turn learns them); stop the host
with SIGTERM, then with SIGKILL, start it again each time: every answer is the same, with the
same ranking. A second process reads what the host wrote and writes what the host then reads,
and is itself killed with SIGTERM and SIGKILL; a real job worker (``python -m jobs run analyze``,
started by devhost's scaler after a killed host) matches items against the patterns the host
stored.
All on the default stores (pgvector and the graph in the local PostgreSQL)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from typing import Any

import httpx
import pytest

from datasets.core_tickets import planted
from devhost.testing import PROJECT_ROOT, DevhostProcess, start_devhost
from tests.chat_support import ZORBLANDIA
from tests.utils.auth import auth_headers, owner_of

# Nothing here may hide behind a per-process store: the defaults are asserted as well.
DEFAULT_STORES = {"VECTOR_STORE": "auto", "QDRANT_URL": "", "GRAPH_STORE": "auto", "NEO4J_URI": ""}
QUESTION = "What is the capital of Zorblandia?"
POINTS = [
    {"id": "eiffel", "text": "The Eiffel Tower is in Paris.", "payload": {"city": "Paris"}},
    {"id": "colosseum", "text": "The Colosseum is in Rome.", "payload": {"city": "Rome"}},
    {"id": "bread", "text": "Sourdough bread needs a starter.", "payload": {"city": "Paris"}},
]


def host() -> DevhostProcess:
    return start_devhost(PROJECT_ROOT, env={**DEFAULT_STORES, "DEVHOST_JOBS_ENABLED": "false"})


@pytest.fixture
def user() -> str:
    return f"restart-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def caller(user: str) -> dict[str, str]:
    return auth_headers(user)


def snapshot(base: str, caller: dict[str, str]) -> dict[str, Any]:
    """What a user sees of everything they stored: the answers to compare across restarts."""
    with httpx.Client(base_url=f"{base}/api", headers=caller, timeout=120) as client:
        documents = client.get("/chat/documents")
        assert documents.status_code == 200, documents.text
        reply = client.post("/chat", json={"message": QUESTION, "options": {"max_tokens": 32}})
        assert reply.status_code == 200, reply.text
        hits = client.post(
            "/vectors/voice_patterns/search", json={"query": "a famous monument", "top_k": 3}
        )
        filtered = client.post(
            "/vectors/voice_patterns/search",
            json={"query": "a famous monument", "filter": {"city": "Paris"}},
        )
        suggested = client.post("/suggestions", json={"text": "I was charged twice, refund"})
        for response in (hits, filtered, suggested):
            assert response.status_code == 200, response.text
    answer = reply.json()
    return {
        "documents": sorted(d["id"] for d in documents.json()["documents"]),
        "citations": [(c["document_id"], c["chunk"]) for c in answer["citations"]],
        "grounded": answer["grounded"],
        "related": answer["related_concepts"],
        "points": [(h["id"], round(h["score"], 4)) for h in hits.json()["results"]],
        "filtered": [h["id"] for h in filtered.json()["results"]],
        "patterns": [
            s["pattern_id"] for s in suggested.json()["suggestions"] if s["kind"] == "pattern"
        ],
    }


def store_everything(base: str, caller: dict[str, str]) -> None:
    texts, _ = planted(12)
    with httpx.Client(base_url=f"{base}/api", headers=caller, timeout=120) as client:
        added = client.post("/chat/documents", json={"text": ZORBLANDIA, "source": "z.txt"})
        assert added.status_code == 201, added.text
        upserted = client.post("/vectors/voice_patterns/points", json={"points": POINTS})
        assert upserted.status_code == 200, upserted.text
        patterns = client.post("/patterns", json={"items": [{"text": t} for t in texts], "k": 3})
        assert patterns.status_code == 200, patterns.text
        assert patterns.json()["stored"] == 3
        # A turn about amber trade teaches the graph concepts the later answers relate to.
        turn = client.post(
            "/chat", json={"message": "Tell me about the amber trade of Zorblandia."}
        )
        assert turn.status_code == 200, turn.text


@pytest.fixture
def stored(caller: dict[str, str]) -> dict[str, Any]:
    devhost = host()
    try:
        store_everything(devhost.base_url, caller)
        first = snapshot(devhost.base_url, caller)
    finally:
        assert devhost.stop(45) == 0, devhost.output()
    return first


def test_everything_is_found_after_sigterm_and_sigkill_restarts(caller, stored):
    # Given: what the first host answered (a grounded, cited answer; points; patterns; concepts).
    assert stored["grounded"] is True
    assert stored["citations"]
    assert {p for p, _ in stored["points"]} == {"eiffel", "colosseum", "bread"}
    assert sorted(stored["filtered"]) == ["bread", "eiffel"]
    assert stored["patterns"]
    assert stored["related"]

    # When: a new host after a graceful stop, and another after a kill.
    after_term = host()
    try:
        again = snapshot(after_term.base_url, caller)
    finally:
        after_term.send_signal(signal.SIGKILL)
        after_term.wait(30)
    after_kill = host()
    try:
        after_killing = snapshot(after_kill.base_url, caller)
    finally:
        assert after_kill.stop(45) == 0, after_kill.output()

    # Then: the same documents, passages, points, ranking, patterns and concepts.
    assert again == stored
    assert after_killing == stored


WORKER = textwrap.dedent(
    """
    import json, os, signal, sys, time
    from shared.chat.retrieval import retrieve
    from shared.graph import get_graph
    from shared.vectors import service
    from shared.vectors.api import PointIn, SearchRequest, UpsertRequest

    owner = sys.argv[1]
    seen = {
        "passages": [c.document_id.hex for c in retrieve(owner, sys.argv[2], 3).citations],
        "points": [h.id for h in service.search(
            owner, "voice_patterns", SearchRequest(query="a famous monument", top_k=3)).results],
        "concepts": [c.name for c in get_graph().concepts(owner)],
    }
    point = PointIn(id="from-worker", text="Big Ben is a clock tower in London.",
                    payload={"city": "London"})
    service.upsert(owner, "voice_patterns", UpsertRequest(points=[point]))
    get_graph().learn(owner, ["clock towers", "london"], confidence=0.9, at=int(time.time()))
    print(json.dumps(seen), flush=True)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    time.sleep(600)  # killed by the test, as a scaler stops a worker
    """
)


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGKILL])
def test_a_worker_process_and_the_host_see_each_others_data(user, caller, stored, stop_with):
    owner = owner_of(user)
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, owner, QUESTION],
        cwd=PROJECT_ROOT,
        env={**os.environ, **DEFAULT_STORES},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        seen = json.loads(worker.stdout.readline() or "{}")
    finally:
        worker.send_signal(stop_with)
        worker.wait(30)

    # The worker read what the host wrote ...
    assert [uuid.UUID(p) for p in seen["passages"]] == [
        uuid.UUID(d) for d, _ in stored["citations"][: len(seen["passages"])]
    ]
    assert seen["points"] == [p for p, _ in stored["points"]]
    assert seen["concepts"]
    # ... and the host reads what the (now dead) worker wrote.
    devhost = host()
    try:
        with httpx.Client(base_url=f"{devhost.base_url}/api", headers=caller, timeout=120) as c:
            found = c.post("/vectors/voice_patterns/search", json={"query": "clock in London"})
            reply = c.post("/chat", json={"message": "What about clock towers?"})
    finally:
        assert devhost.stop(45) == 0, devhost.output()
    assert found.json()["results"][0]["id"] == "from-worker"
    assert "london" in reply.json()["related_concepts"]


def test_a_job_worker_matches_the_patterns_the_host_stored(user, caller):
    """A real ``python -m jobs run analyze`` process, started by devhost's scaler after the host
    that stored the patterns was restarted, matches items against them."""
    from shared.stores.storage import get_queue

    texts, _ = planted(12)
    queue = f"test-restart-analyze-{uuid.uuid4().hex[:8]}"
    first = host()
    try:
        with httpx.Client(base_url=f"{first.base_url}/api", headers=caller, timeout=120) as c:
            found = c.post("/patterns", json={"items": [{"text": t} for t in texts], "k": 3})
        assert found.status_code == 200, found.text
        stored = {p["pattern_id"] for p in found.json()["patterns"]}
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    jobs_env = {
        **DEFAULT_STORES,
        "CORE_SYNC_MAX_ITEMS": "5",
        "JOB_QUEUE_ANALYZE": queue,
        "JOB_MAX_EXECUTIONS_ANALYZE": "1",
        "JOB_MAX_EXECUTIONS_SPEECH": "0",
        "JOB_MAX_EXECUTIONS_TRANSCRIBE": "0",
        "JOB_MAX_EXECUTIONS_ML": "0",
        "JOB_POLLING_INTERVAL_SECONDS": "1",
    }
    second = start_devhost(PROJECT_ROOT, env=jobs_env)
    try:
        with httpx.Client(base_url=f"{second.base_url}/api", headers=caller, timeout=120) as c:
            accepted = c.post("/analyze", json={"items": [{"text": t} for t in texts], "k": 3})
            assert accepted.status_code == 202, accepted.text
            job = wait_for(c, accepted.headers["location"].removeprefix("/api"))
            assert job["status"] == "succeeded", job
            [link] = job["results"]
            result = c.get(link["href"].removeprefix("/api")).json()
    finally:
        assert second.stop(60) == 0, second.output()
        for name in (queue, f"{queue}-poison"):
            with contextlib.suppress(Exception):
                get_queue(name).delete_queue()
    matched = {item["pattern"]["pattern_id"] for item in result["items"] if item["pattern"]}
    assert matched, result["degraded"]
    assert matched <= stored


def wait_for(client: httpx.Client, href: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.get(href).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {href} did not finish in {timeout} s: {job}")
