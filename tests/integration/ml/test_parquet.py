"""Parquet files uploaded through the media service (real PostgreSQL and Azurite) as ML tables:
clustered synchronously and in an ``ml`` batch job; a bad file is a 422, or a failed job."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.datasets import make_blobs

from shared.errors import UnprocessableContentError
from shared.jobs.models import JobStatus
from shared.media.service import upload_file
from shared.media.sniff import PARQUET_TYPE
from shared.ml import service
from shared.ml.api import ClusterRequest, DataInput
from tests.integration.ml.test_batch import ml_queue, result_of, submit, work  # noqa: F401

CENTRES = [[0, 0, 0], [12, 0, 0], [0, 12, 0], [0, 0, 12]]


@pytest.fixture
def owner() -> str:
    return f"key:ml-parquet-{uuid.uuid4().hex[:12]}"


def blobs_parquet(n: int = 400) -> tuple[bytes, np.ndarray]:
    x, truth = make_blobs(n_samples=n, centers=CENTRES, random_state=4)
    table = pa.table(
        {
            "a": pa.array(x[:, 0], pa.float64()),
            "b": pa.array(x[:, 1], pa.float32()),
            "c": pa.array(x[:, 2], pa.float64()),
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out, row_group_size=150)
    return out.getvalue(), truth


def same_partition(labels: list[int], truth: np.ndarray) -> bool:
    pairs = set(zip(labels, truth.tolist(), strict=True))
    return len(pairs) == len(set(labels)) == len(set(truth.tolist()))


def test_an_uploaded_parquet_file_is_clustered_into_its_blobs(owner: str):
    content, truth = blobs_parquet()
    # The name says CSV: the type comes from the bytes.
    record, created = upload_file(owner, content, "misnamed.csv")
    assert created
    assert record.content_type == PARQUET_TYPE

    result = service.cluster(
        owner, ClusterRequest(data=DataInput(file_id=record.id), k_min=2, k_max=7)
    )
    assert result.k == len(CENTRES)
    assert result.columns == ["a", "b", "c"]
    assert sum(result.sizes.values()) == len(truth)
    assert same_partition(result.labels, truth)


def test_a_corrupt_parquet_upload_is_422_when_used(owner: str):
    content, _ = blobs_parquet()
    broken = content[:4] + b"\x00" * 64 + content[-8:]
    record, _ = upload_file(owner, broken, "broken.parquet")
    assert record.content_type == PARQUET_TYPE
    with pytest.raises(UnprocessableContentError, match="not a readable Parquet file"):
        service.cluster(owner, ClusterRequest(data=DataInput(file_id=record.id), k=2))


def test_a_batch_job_clusters_a_parquet_file_id(owner: str, ml_queue: str):  # noqa: F811
    content, truth = blobs_parquet(600)
    record, _ = upload_file(owner, content, "blobs.parquet")
    job_id = submit(
        owner, {"operation": "cluster", "data": {"file_id": str(record.id)}, "k_max": 6}
    )
    assert work(ml_queue).outcomes == {"succeeded": 1}
    result = result_of(owner, job_id)
    assert result["k"] == len(CENTRES)
    assert same_partition(result["labels"], truth)


def test_a_batch_over_bad_parquet_fails_with_the_reason(owner: str, ml_queue: str):  # noqa: F811
    from shared.jobs.service import get_job

    table = pa.table({"a": [1.0, 2.0, 3.0], "tags": [["x"], ["y"], []]})
    out = io.BytesIO()
    pq.write_table(table, out)
    record, _ = upload_file(owner, out.getvalue(), "nested.parquet")
    job_id = submit(owner, {"operation": "cluster", "data": {"file_id": str(record.id)}, "k": 2})
    assert work(ml_queue).outcomes == {"failed": 1}
    failed = get_job(owner, job_id)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None
    assert "column 'tags' has Parquet type list<" in failed.error
