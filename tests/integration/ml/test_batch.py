"""``POST /api/ml/batch``'s service and ``ml`` job on the real PostgreSQL, Redis and Azurite: a
job is submitted, worked by ``run_until_empty`` and its ``result.json`` read back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from shared.errors import NotFoundError, UnprocessableContentError
from shared.http.requests import validate
from shared.jobs.models import JobStatus
from shared.jobs.runner import RunSummary
from shared.ml import service
from shared.ml.api import BatchRequest
from tests.utils.queues import private_job_queue


@pytest.fixture
def owner() -> str:
    return f"key:ml-batch-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def ml_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """ml jobs of the test go to a queue of their own."""
    with private_job_queue(monkeypatch, "ml") as name:
        yield name


def work(queue_name: str) -> RunSummary:
    from jobs.registry import handler_for
    from shared.jobs.queues import ML, poison_name
    from shared.jobs.runner import run_until_empty
    from shared.jobs.service import worker_job_repository
    from shared.stores.storage import get_queue

    return run_until_empty(
        ML,
        handler_for(ML),
        queue_name=queue_name,
        repo=worker_job_repository(),
        queue=get_queue(queue_name),
        poison=get_queue(poison_name(queue_name)),
    )


def submit(owner: str, body: dict[str, Any]) -> uuid.UUID:
    return service.submit_batch(owner, validate(BatchRequest, body), None).id


def result_of(owner: str, job_id: uuid.UUID) -> dict[str, Any]:
    from shared.jobs.service import read_job_result

    data, content_type = read_job_result(owner, job_id, "result.json")
    assert content_type == "application/json"
    return json.loads(data)


def test_a_cluster_batch_finds_the_blobs_and_stores_result_json(owner: str, ml_queue: str):
    from shared.jobs.service import get_job

    x, _ = make_blobs(n_samples=300, centers=[[0, 0], [10, 0], [0, 10]], random_state=2)
    job_id = submit(owner, {"operation": "cluster", "data": {"rows": x.tolist()}, "k_max": 6})

    assert work(ml_queue).outcomes == {"succeeded": 1}
    done = get_job(owner, job_id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.progress == 100
    assert done.result is not None
    assert done.result["k"] == 3
    assert done.result["operation"] == "cluster"
    result = result_of(owner, job_id)
    assert result["k"] == 3
    assert len(result["labels"]) == 300
    assert set(result["silhouette_by_k"]) == {"2", "3", "4", "5", "6"}


def test_a_batch_over_an_uploaded_csv(owner: str, ml_queue: str):
    from shared.media.service import upload_file

    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 3))
    x[:4] += 12  # four far-off rows
    lines = ["a,b,c", *(",".join(f"{v:.6f}" for v in row) for row in x)]
    record, _ = upload_file(owner, "\n".join(lines).encode(), "table.csv")
    job_id = submit(
        owner,
        {"operation": "anomaly", "data": {"file_id": str(record.id)}, "contamination": 0.02},
    )

    assert work(ml_queue).outcomes == {"succeeded": 1}
    result = result_of(owner, job_id)
    assert len(result["scores"]) == 200
    assert result["flags"][:4] == [True] * 4


def test_bad_operations_and_parameters_are_422_before_any_job(owner: str):
    rows = {"rows": [[1.0, 2.0], [3.0, 4.0]]}
    for body in (
        {"operation": "regress", "data": rows},
        {"data": rows},
        {"operation": "cluster", "data": rows, "k": 1},
        {"operation": "anomaly", "data": rows, "contamination": 0.9},
        {"operation": "feature_importance", "data": rows},  # no target
        {"operation": "cluster", "data": rows, "unknown": True},
    ):
        with pytest.raises(UnprocessableContentError):
            validate(BatchRequest, body)
    with pytest.raises(NotFoundError):
        submit(owner, {"operation": "cluster", "data": {"file_id": str(uuid.uuid4())}})


def test_bad_data_fails_the_job_with_the_reason(owner: str, ml_queue: str):
    from shared.jobs.service import get_job

    rows = [[1.0, "x"], [2.0, "y"], [3.0, "z"]]
    job_id = submit(owner, {"operation": "cluster", "data": {"rows": rows}, "k": 2})

    assert work(ml_queue).outcomes == {"failed": 1}
    failed = get_job(owner, job_id)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None
    assert "is not numeric" in failed.error
