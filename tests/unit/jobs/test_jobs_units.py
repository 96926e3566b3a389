"""Pure parts of the jobs package: messages, cursors, views, the checkpoint contract."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.errors import BadRequestError
from shared.jobs.api import JobView, decode_cursor, encode_cursor, job_path
from shared.jobs.context import JobContext
from shared.jobs.exceptions import JobCancelledError, JobInterruptedError, JobLeaseLostError
from shared.jobs.models import Job, JobStatus
from shared.jobs.queues import decode_job_id, decode_job_message, encode_job_id, poison_name


def a_job(**changes: Any) -> Job:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "kind": "speech",
        "owner": "key:abc",
        "status": JobStatus.SUCCEEDED,
        "progress": 100,
        "attempts": 1,
        "input": {"file_id": "f"},
        "result": {"files": [{"name": "a.wav", "content_type": "audio/wav", "size": 3}], "n": 1},
        "error": None,
        "cancel_requested": False,
        "created_at": now,
        "updated_at": now,
        "started_at": now,
        "finished_at": now,
    }
    return Job(**{**fields, **changes})


def test_a_message_carries_the_job_id_and_the_submitters_trace_context():
    job_id = uuid.uuid4()
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    text = encode_job_id(job_id, {"traceparent": parent, "authorization": "never copied"})
    assert json.loads(text) == {"job_id": str(job_id), "traceparent": parent}
    decoded = decode_job_message(text.encode())
    assert decoded.job_id == job_id
    assert decoded.trace_context == {"traceparent": parent}
    assert decode_job_id(str(job_id).encode()) == job_id  # a message from before trace context
    assert decode_job_id(b"not a job") is None
    assert decode_job_id(b'{"job_id": "nope"}') is None
    assert decode_job_id(b"[1, 2]") is None
    assert poison_name("jobs-speech") == "jobs-speech-poison"


def test_cursors_round_trip_and_foreign_ones_are_400():
    job = a_job()
    assert decode_cursor(encode_cursor(job)) == (job.created_at, job.id)
    with pytest.raises(BadRequestError):
        decode_cursor("bm90IG91cnM")


def test_the_view_links_results_and_hides_the_owner():
    job = a_job()
    view = JobView.of(job).model_dump(mode="json")
    assert view["href"] == job_path(job.id) == f"/api/jobs/{job.id}"
    assert view["results"] == [
        {
            "name": "a.wav",
            "content_type": "audio/wav",
            "size": 3,
            "href": f"/api/jobs/{job.id}/results/a.wav",
        }
    ]
    assert view["result"] == {"n": 1}
    assert "owner" not in view


class FakeLease:
    """Stands in for the row lease: records renewals, flags set by the test."""

    def __init__(self) -> None:
        self.renewals: list[int | None] = []
        self.cancelled = threading.Event()
        self.lost = threading.Event()

    def renew(self, progress: int | None = None) -> None:
        self.renewals.append(progress)


def test_checkpoints_write_changed_progress_and_stop_the_handler_when_told():
    lease, stopping = FakeLease(), threading.Event()
    ctx = JobContext(a_job(progress=0), lease, stopping, min_write_interval=60)  # type: ignore[arg-type]

    ctx.checkpoint(10)
    ctx.checkpoint(10)  # unchanged, within the interval: no write
    ctx.checkpoint(250)  # clamped
    assert lease.renewals == [10, 100]

    lease.cancelled.set()
    with pytest.raises(JobCancelledError):
        ctx.checkpoint()
    lease.lost.set()
    with pytest.raises(JobLeaseLostError):
        ctx.checkpoint()
    stopping.set()
    with pytest.raises(JobInterruptedError):
        ctx.checkpoint()
