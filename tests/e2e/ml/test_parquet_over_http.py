"""A Parquet file uploaded over HTTP through devhost and used by ``/api/ml/cluster`` by file_id;
bad Parquet files are 422 with the reason."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.datasets import make_blobs

from tests.utils.auth import auth_headers


@pytest.fixture
def client(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=60) as http:
        yield http


@pytest.fixture
def headers() -> dict[str, str]:
    return auth_headers(f"ml-pq-{uuid.uuid4().hex[:8]}")


def parquet(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def upload(client: httpx.Client, headers: dict[str, str], content: bytes, name: str) -> str:
    response = client.post("/media/upload", headers=headers, files={"file": (name, content)})
    assert response.status_code in (200, 201), response.text
    assert response.json()["content_type"] == "application/vnd.apache.parquet"
    return str(response.json()["id"])


def cluster(client: httpx.Client, headers: dict[str, str], file_id: str) -> httpx.Response:
    body = {"data": {"file_id": file_id}, "k_min": 2, "k_max": 6}
    return client.post("/ml/cluster", headers=headers, json=body)


def test_cluster_a_parquet_file_id(client, headers):
    x, _ = make_blobs(n_samples=240, centers=[[0, 0], [10, 0], [0, 10]], random_state=4)
    content = parquet(pa.table({"u": x[:, 0], "v": pa.array(x[:, 1], pa.float32())}))
    response = cluster(client, headers, upload(client, headers, content, "blobs.bin"))
    assert response.status_code == 200, response.text
    assert response.json()["k"] == 3
    assert response.json()["columns"] == ["u", "v"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            parquet(pa.table({"a": [1.0, 2.0, 3.0], "b": [[1], [2], [3]]})),
            "column 'b' has Parquet type",
        ),
        (parquet(pa.table({"a": [1.0, None, 3.0]})), "column 'a' has a missing value at row 1"),
        (parquet(pa.table({"a": [1.0, float("nan"), 3.0]})), "non-finite"),
        (parquet(pa.table({"a": ["x", "y", "z"]})), "column 'a' is not numeric"),
        (b"PAR1" + b"\x00" * 40 + b"\x10\x00\x00\x00PAR1", "not a readable Parquet file"),
    ],
)
def test_bad_parquet_is_422_with_the_reason(client, headers, content, reason):
    response = cluster(client, headers, upload(client, headers, content, "bad.parquet"))
    assert response.status_code == 422, response.text
    assert reason in response.json()["detail"]
