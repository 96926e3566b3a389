"""Large analyze batches as ``analyze`` jobs on the real PostgreSQL, Redis and Azurite: submitted,
worked by ``run_until_empty``, ``result.json`` read back."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from datasets.core_tickets import planted
from shared.core import service
from shared.core.api import AnalyzeRequest, Item
from shared.jobs.models import JobStatus
from tests.utils.queues import private_job_queue


@pytest.fixture
def analyze_queue(monkeypatch: pytest.MonkeyPatch, graph) -> Iterator[str]:
    """analyze jobs of the test go to a queue of their own; 10 items is a large batch."""
    monkeypatch.setenv("CORE_SYNC_MAX_ITEMS", "10")
    with private_job_queue(monkeypatch, "analyze") as name:
        yield name


def test_a_large_batch_runs_as_an_analyze_job(owner: str, analyze_queue: str):
    from jobs.registry import handler_for
    from shared.jobs.queues import ANALYZE, poison_name
    from shared.jobs.runner import run_until_empty
    from shared.jobs.service import get_job, read_job_result, worker_job_repository
    from shared.stores.storage import get_queue

    texts, truth = planted(10)
    request = AnalyzeRequest(items=[Item(text=t) for t in texts], k=3)
    assert service.is_large(request)
    job = service.submit_analysis(owner, request, None)
    run_until_empty(
        ANALYZE,
        handler_for(ANALYZE),
        queue_name=analyze_queue,
        repo=worker_job_repository(),
        queue=get_queue(analyze_queue),
        poison=get_queue(poison_name(analyze_queue)),
    )
    done = get_job(owner, job.id)
    assert done.status is JobStatus.SUCCEEDED, done
    data, _ = read_job_result(owner, job.id, "result.json")
    result = json.loads(data)
    assert len(result["items"]) == len(texts)
    assert len(result["clusters"]) == 3
    # the flagged items (contamination 5%: one or two of 34) are planted anomalies
    assert result["anomalies"]
    assert set(result["anomalies"]) <= {i for i, t in enumerate(truth) if t is None}
