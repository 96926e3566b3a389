"""Traces, metrics and logs from real processes: devhost serving the app, the storage queue, and
the job runner devhost's scaler starts, all exporting over OTLP/HTTP to a local receiver.

One module-scoped run: a client with its own ``traceparent`` issues an API key, embeds a text and
submits an extract job through the job runner (the queue trigger is turned off so the Container
Apps path runs), then waits for the job to finish. The tests read what the receiver and devhost's
log (which includes the job runner's) got.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from devhost.otlp import Received, otlp_receiver
from devhost.testing import PROJECT_ROOT, DevhostProcess, start_devhost
from tests.utils.auth import FUNCTION_KEY, auth_headers
from tests.utils.pdfs import make_pdf

TRACE_ID = uuid.uuid4().hex
PARENT_ID = uuid.uuid4().hex[:16]
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
PAYLOAD_SECRET = f"password=hunter2-{uuid.uuid4().hex[:12]}"


@dataclass
class Run:
    received: Received
    log: str
    job_id: str
    api_key: str
    token: str
    request_id: str


def _env(endpoint: str) -> dict[str, str]:
    queue = f"tel-extract-{uuid.uuid4().hex[:10]}"  # nobody else's runner takes these messages
    return {
        "OTEL_SDK_DISABLED": "false",  # tests/conftest.py turns it off for in-process tests
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_BLRP_SCHEDULE_DELAY": "200",
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "JOB_QUEUE_EXTRACT": queue,
        "JOB_MAX_EXECUTIONS_EXTRACT": "1",
        "JOB_POLLING_INTERVAL_SECONDS": "0.5",
        "AzureWebJobs.media_extract_job.Disabled": "true",
        "DEVHOST_FUNCTION_KEY": FUNCTION_KEY,
    }


def _wait_for_job(client: httpx.Client, href: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = client.get(href, headers=headers).json()
        if job["status"] in {"succeeded", "failed", "cancelled"}:
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"job {href} did not finish")


def _drive(base: str) -> tuple[str, str, str, str]:
    admin = auth_headers("tel-admin", scopes=["admin", "files", "ml"])
    token = admin["authorization"].removeprefix("Bearer ")
    traced = {"traceparent": TRACEPARENT}
    with httpx.Client(base_url=base, timeout=60) as client:
        issued = client.post(
            "/auth/keys",
            headers={**admin, **traced},
            json={"user": "tel-agent", "name": "telemetry", "scopes": ["files", "ml"]},
        )
        assert issued.status_code == 201, issued.text
        key = issued.json()["key"]
        me = {"x-functions-key": FUNCTION_KEY, "x-api-key": key, **traced}
        once = {**me, "idempotency-key": uuid.uuid4().hex}
        for _ in range(2):  # a miss, then a hit
            embedded = client.post("/embeddings", headers=once, json={"texts": [PAYLOAD_SECRET]})
            assert embedded.status_code == 200, embedded.text
        pdf = make_pdf(1, words=f"{PAYLOAD_SECRET} page {{n}}")
        stored = client.post("/media/upload", headers=me, files={"file": ("s.pdf", pdf)})
        assert stored.status_code in (200, 201), stored.text
        request_id = f"tel-{uuid.uuid4().hex[:8]}"
        submitted = client.post(
            f"/media/{stored.json()['id']}/extract", headers={**me, "x-request-id": request_id}
        )
        assert submitted.status_code == 202, submitted.text
        location = submitted.headers["location"]  # /api/jobs/{id}
        job = _wait_for_job(client, base.removesuffix("/api") + location, me)
        assert job["status"] == "succeeded", job
    return str(job["id"]), key, token, request_id


@contextmanager
def _plain_httpx() -> Iterator[None]:
    """httpx as a client sends it: when an in-process test started telemetry here, its httpx
    instrumentation would replace our traceparent with its own span's."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    was = instrumentor.is_instrumented_by_opentelemetry
    if was:
        instrumentor.uninstrument()
    try:
        yield
    finally:
        if was:
            instrumentor.instrument()


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with _plain_httpx(), otlp_receiver() as (endpoint, received):
        env = _env(endpoint)
        devhost: DevhostProcess = start_devhost(PROJECT_ROOT, env=env)
        try:
            base = f"{devhost.base_url}/api"
            job_id, key, token, request_id = _drive(base)
            # The runner flushes at exit; devhost's batch processor every 200 ms.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                spans, _, _ = received.snapshot()
                if any(s.attributes.get("platform.job.id") == job_id for s in spans):
                    break
                time.sleep(0.3)
            time.sleep(1.5)  # the last metric and log batches
        finally:
            devhost.stop()
        yield Run(received, devhost.output(), job_id, key, token, request_id)


def test_a_jobs_spans_join_the_trace_of_the_request_that_submitted_it(run: Run):
    spans, _, _ = run.received.snapshot()
    job_spans = [s for s in spans if s.attributes.get("platform.job.id") == run.job_id]
    assert job_spans, "the job runner exported no span for the job"
    job_span = job_spans[0]
    assert job_span.service == "ml-platform-jobs"
    assert job_span.trace_id == TRACE_ID
    assert job_span.name == "job extract"
    assert job_span.attributes["platform.job.outcome"] == "succeeded"
    # Everything the runner did for the job (claim, handler's store calls) is inside its span:
    # every descendant of the job span shares the client's trace.
    children = [s for s in spans if s.parent_span_id == job_span.span_id]
    assert children, "no client span under the job span (PostgreSQL, Redis, blob)"
    assert {s.trace_id for s in children} == {TRACE_ID}
    # The submitting request is in the same trace, a child of the client's span.
    server = [s for s in spans if s.service == "ml-platform-api" and s.trace_id == TRACE_ID]
    submit = [s for s in server if s.attributes.get("http.route") == "/api/media/{file_id}/extract"]
    assert submit
    assert submit[0].parent_span_id == PARENT_ID
    assert submit[0].attributes["http.response.status_code"] == 202
    assert submit[0].attributes["platform.tenant"].endswith("tel-agent")


def test_the_server_span_names_route_status_and_request_id(run: Run):
    spans, _, _ = run.received.snapshot()
    embeddings = [s for s in spans if s.attributes.get("http.route") == "/api/embeddings"]
    assert embeddings
    assert embeddings[0].kind == 2
    assert embeddings[0].attributes["http.request.method"] == "POST"
    assert embeddings[0].attributes["http.response.status_code"] == 200
    submitted = [s for s in spans if s.attributes.get("platform.request_id") == run.request_id]
    assert submitted
    assert submitted[0].trace_id == TRACE_ID
    # client spans of the stores and storage, in the client's trace, from both processes
    names = {(s.service, s.name) for s in spans if s.trace_id == TRACE_ID}
    for expected in (
        ("ml-platform-api", "EVALSHA"),  # Redis (idempotency, rate limits)
        ("ml-platform-api", "INSERT"),  # PostgreSQL (the job row)
        ("ml-platform-api", "QueueClient.send_message"),  # the job message
        ("ml-platform-jobs", "UPDATE"),  # the job's outcome
        ("ml-platform-jobs", "ContainerClient.upload_blob"),  # its result
    ):
        assert expected in names, sorted(names)


def _log_lines(log: str) -> list[dict[str, Any]]:
    lines = []
    for line in log.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def test_every_log_line_of_the_job_carries_the_clients_trace_id(run: Run):
    lines = _log_lines(run.log)
    of_job = [e for e in lines if e.get("job_id") == run.job_id]
    assert len(of_job) >= 2, "the job runner logged nothing about the job"
    assert {e.get("trace_id") for e in of_job} == {TRACE_ID}
    # and the request's own lines carry its request id beside the same trace id
    of_request = [e for e in lines if e.get("request_id") == run.request_id]
    assert of_request
    assert {e.get("trace_id") for e in of_request} == {TRACE_ID}
    _, logs, _ = run.received.snapshot()
    exported = [r for r in logs if r.service == "ml-platform-jobs" and run.job_id in r.body]
    assert exported
    assert {r.trace_id for r in exported} == {TRACE_ID}


def test_metrics_name_routes_jobs_and_the_process(run: Run):
    _, _, points = run.received.snapshot()
    names = {p.name for p in points}
    assert {"http.server.request.duration", "platform.jobs.duration"} <= names, names
    assert "process.memory.usage" in names
    routes = {
        p.attributes.get("http.route") for p in points if p.name == "http.server.request.duration"
    }
    assert "/api/embeddings" in routes
    jobs = [p for p in points if p.name == "platform.jobs.duration"]
    assert any(p.attributes.get("platform.job.kind") == "extract" for p in jobs)
    idempotency = {
        p.attributes["platform.idempotency.outcome"]
        for p in points
        if p.name == "platform.idempotency.requests"
    }
    assert {"miss", "hit"} <= idempotency
    assert "platform.batch.size" in names
    assert "platform.jobs.queue.wait" in names


def test_model_work_has_a_span_with_its_size(run: Run):
    spans, _, _ = run.received.snapshot()
    embeds = [s for s in spans if s.attributes.get("platform.model.operation") == "embed"]
    assert embeds
    assert embeds[0].trace_id == TRACE_ID
    assert embeds[0].attributes["platform.model.batch_size"] == 1


def test_no_secret_or_payload_reaches_a_span_a_metric_or_a_log_line(run: Run):
    secrets = {
        "api key": run.api_key,
        "bearer token": run.token,
        "payload text": PAYLOAD_SECRET.split("=", 1)[1],
        "redis password": "local-dev-redis",
        "postgres password": "local-dev-postgres",
    }
    exported = b"".join(run.received.raw)
    assert exported, "nothing was exported"
    for what, secret in secrets.items():
        assert secret.encode() not in exported, f"the {what} was exported"
        assert secret not in run.log, f"the {what} was logged"
