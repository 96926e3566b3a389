"""A large analyze batch run to its result over HTTP, as a user sees it: ``POST /api/analyze``
with more than ``CORE_SYNC_MAX_ITEMS`` items is accepted as a job (202, Location), devhost's job
scaler runs it (``python -m jobs run analyze``, the way Container Apps jobs run it), ``GET
/api/jobs/{id}`` reports it succeeded, and its ``result.json`` holds one result per item, in the
order sent, with the planted topics as clusters and the planted anomalies flagged."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ResourceNotFoundError

from datasets.core_tickets import planted
from tests.utils.app_host import start_app_host
from tests.utils.auth import auth_headers

SYNC_MAX_ITEMS = 20
PER_TOPIC = 10  # 3 topics of 10 and 4 anomalies: 34 items, over the synchronous limit
USER = "core-analyze-job"
EXPECTED_LABEL = {"billing": "billing", "login": "account_access", "shipping": "shipping"}


@pytest.fixture(scope="module")
def job_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A devhost with a small synchronous limit whose scaler runs analyze jobs only, from a
    queue of its own (no other test's job is worked here, and none of ours elsewhere)."""
    from shared.stores.storage import get_queue

    queue = f"test-analyze-{uuid.uuid4().hex[:10]}"
    env = {
        "CORE_SYNC_MAX_ITEMS": str(SYNC_MAX_ITEMS),
        "GRAPH_PATH": str(Path(tmp_path_factory.mktemp("core-graph")) / "concepts.lbug"),
        "JOB_QUEUE_ANALYZE": queue,
        "JOB_MAX_EXECUTIONS_ANALYZE": "1",
        "JOB_MAX_EXECUTIONS_SPEECH": "0",
        "JOB_MAX_EXECUTIONS_TRANSCRIBE": "0",
        "JOB_MAX_EXECUTIONS_ML": "0",
        "JOB_POLLING_INTERVAL_SECONDS": "1",
    }
    try:
        with start_app_host(env) as url:
            yield url
    finally:
        for name in (queue, f"{queue}-poison"):
            with contextlib.suppress(ResourceNotFoundError):
                get_queue(name).delete_queue()


def wait_for_job(client: httpx.Client, href: str, timeout: float = 180) -> dict[str, Any]:
    """Poll the job until it ends (the first execution loads the embedding model)."""
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(href.removeprefix("/api"), headers=auth_headers(USER))
        assert response.status_code == 200, response.text
        job = response.json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {href} did not finish in {timeout} s: {job}")


def test_a_large_batch_runs_as_a_job_and_its_result_has_every_item(job_host: str) -> None:
    texts, truth = planted(PER_TOPIC)
    assert len(texts) > SYNC_MAX_ITEMS
    body = {"items": [{"text": t, "id": f"t{i}"} for i, t in enumerate(texts)], "k": 3}
    with httpx.Client(base_url=job_host, timeout=60) as client:
        # Accepted as a job: 202, Location of the job, the job itself in the body.
        accepted = client.post("/analyze", headers=auth_headers(USER), json=body)
        assert accepted.status_code == 202, accepted.text
        job = accepted.json()
        assert job["kind"] == "analyze"
        assert job["status"] in ("pending", "running")
        location = accepted.headers["location"]
        assert location == f"/api/jobs/{job['id']}"

        # The job ends, and its summary matches what it found.
        done = wait_for_job(client, location)
        assert done["status"] == "succeeded", done
        assert done["progress"] == 100
        assert done["error"] is None
        [link] = done["results"]
        assert link["name"] == "result.json"
        assert link["content_type"] == "application/json"

        downloaded = client.get(link["href"].removeprefix("/api"), headers=auth_headers(USER))
        assert downloaded.status_code == 200, downloaded.text
        assert downloaded.headers["content-type"].startswith("application/json")
        result = downloaded.json()

    # One result per item, in the order sent, with the caller's ids.
    items = result["items"]
    assert [(r["index"], r["id"]) for r in items] == [(i, f"t{i}") for i in range(len(texts))]
    assert done["result"]["items"] == len(texts)
    assert done["result"]["clusters"] == len(result["clusters"]) == 3
    assert done["result"]["anomalies"] == len(result["anomalies"])
    assert done["result"]["degraded"] == result["degraded"]

    # Each planted topic is one cluster of its own.
    by_topic: dict[str, Counter[int]] = {}
    for item, topic in zip(items, truth, strict=True):
        if topic is not None:
            by_topic.setdefault(topic, Counter())[item["cluster"]] += 1
    main = {topic: counts.most_common(1)[0] for topic, counts in by_topic.items()}
    assert len({cluster for cluster, _ in main.values()}) == 3, by_topic
    assert all(count >= PER_TOPIC - 1 for _, count in main.values()), by_topic

    # The flagged items are planted anomalies, and the flags agree with the per-item results.
    planted_anomalies = {i for i, topic in enumerate(truth) if topic is None}
    assert result["anomalies"]
    assert set(result["anomalies"]) <= planted_anomalies
    assert {r["index"] for r in items if r["anomaly"]} == set(result["anomalies"])

    # Every item has a zero-shot label; each topic's most frequent one is the right intent.
    assert result["classification"] == "zero-shot:support_intent"
    assert all(r["label"] is not None and r["label_score"] is not None for r in items)
    for topic, label in EXPECTED_LABEL.items():
        given = Counter(r["label"] for r, t in zip(items, truth, strict=True) if t == topic)
        assert given.most_common(1)[0][0] == label, (topic, given)

    # Cluster summaries cover every item and quote the inputs.
    assert sum(c["size"] for c in result["clusters"]) == len(texts)
    for summary in result["clusters"]:
        assert summary["representatives"]
        assert set(summary["representatives"]) <= set(texts)
        assert summary["top_terms"]
