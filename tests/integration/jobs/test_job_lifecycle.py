"""A job's life against the real PostgreSQL, Azurite and Redis, worked in this process by the
same runner the Container Apps job runs (only the handler is the test's)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest

from shared.jobs.context import Handler, JobContext
from shared.jobs.models import JobStatus
from shared.jobs.runner import RunSummary, run_until_empty
from tests.integration.jobs.conftest import JobQueue


def work(queue: JobQueue, handler: Handler) -> RunSummary:
    from shared.jobs.queues import poison_name
    from shared.jobs.service import worker_job_repository
    from shared.stores.storage import get_queue

    return run_until_empty(
        "test",
        handler,
        queue_name=queue.name,
        repo=worker_job_repository(),
        queue=get_queue(queue.name),
        poison=get_queue(poison_name(queue.name)),
    )


def job(job_id: uuid.UUID) -> Any:
    from shared.jobs.service import worker_job_repository

    found = worker_job_repository().get(job_id)
    assert found is not None
    return found


def queue_length(name: str) -> int:
    from shared.stores.storage import get_queue

    return int(get_queue(name).get_queue_properties().approximate_message_count or 0)


def test_submit_progress_result(job_queue: JobQueue, monkeypatch: pytest.MonkeyPatch):
    # given a job submitted through the service (202 path: row, slot, message)
    from shared.config import reset_settings
    from shared.jobs.results import read_result
    from shared.jobs.service import get_job, submit_job

    monkeypatch.setenv("JOB_QUEUE_EXTRACT", job_queue.name)
    reset_settings()
    submitted, created = submit_job(job_queue.owner, "extract", {"n": 3}, idempotency_key="k-1")
    again, created_again = submit_job(job_queue.owner, "extract", {"n": 3}, idempotency_key="k-1")
    assert created
    assert not created_again
    assert again.id == submitted.id
    assert submitted.status is JobStatus.PENDING
    seen: list[int] = []

    def handler(ctx: JobContext) -> dict[str, Any]:
        for step in (25, 50, 75):
            ctx.checkpoint(step)
            seen.append(job(ctx.job_id).progress)
        ctx.store_result("answer.txt", b"42", "text/plain")
        return {"answer": 42}

    # when a worker takes it
    summary = work(job_queue, handler)

    # then it ran once, reported progress, and its result is in the row and in blob storage
    assert summary.outcomes == {"succeeded": 1}
    assert seen == [25, 50, 75]
    done = get_job(job_queue.owner, submitted.id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.progress == 100
    assert done.attempts == 1
    assert done.result == {
        "answer": 42,
        "files": [{"name": "answer.txt", "content_type": "text/plain", "size": 2}],
    }
    assert read_result(submitted.id, "answer.txt") == b"42"
    assert queue_length(job_queue.name) == 0


def test_a_cancelled_pending_job_never_starts(job_queue: JobQueue):
    from shared.jobs.service import cancel_job

    job_id = job_queue.create_job()
    assert cancel_job(job_queue.owner, job_id).status is JobStatus.CANCELLED
    started: list[uuid.UUID] = []

    def handler(ctx: JobContext) -> None:
        started.append(ctx.job_id)

    summary = work(job_queue, handler)

    assert started == []
    assert summary.outcomes == {"skipped": 1}
    assert job(job_id).status is JobStatus.CANCELLED
    assert queue_length(job_queue.name) == 0


def test_a_running_job_stops_at_its_next_checkpoint_when_cancelled(job_queue: JobQueue):
    from shared.jobs.service import cancel_job

    job_id = job_queue.create_job()
    checkpoints: list[int] = []
    cancelled_at: list[float] = []

    def handler(ctx: JobContext) -> None:
        for step in range(1, 1000):
            checkpoints.append(step)
            if step == 3:
                cancel_job(job_queue.owner, job_id)  # as a DELETE from another instance would
                cancelled_at.append(time.monotonic())
            ctx.checkpoint(step // 4)
            time.sleep(0.01)

    summary = work(job_queue, handler)

    # Checkpoints read the flag whenever they write progress, and at least once a second.
    assert summary.outcomes == {"cancelled": 1}
    assert 3 <= len(checkpoints) <= 5
    assert time.monotonic() - cancelled_at[0] < 1.5
    cancelled = job(job_id)
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.finished_at is not None
    assert queue_length(job_queue.name) == 0


def test_a_job_that_always_fails_is_failed_with_its_reason_and_poisoned(job_queue: JobQueue):
    from shared.jobs.queues import decode_job_id, poison_name
    from shared.stores.storage import get_queue

    job_id = job_queue.create_job()
    attempts: list[int] = []

    def handler(ctx: JobContext) -> None:
        attempts.append(ctx.job.attempts)
        raise RuntimeError("the model exploded")

    summary = work(job_queue, handler)  # JOB_MAX_ATTEMPTS=2, no retry delay

    assert attempts == [1, 2]
    assert summary.outcomes == {"retry": 1, "failed": 1}
    failed = job(job_id)
    assert failed.status is JobStatus.FAILED
    assert failed.error == "failed after 2 attempt(s): RuntimeError: the model exploded"
    assert queue_length(job_queue.name) == 0
    [poisoned] = get_queue(poison_name(job_queue.name)).receive_messages(max_messages=5)
    assert decode_job_id(poisoned.content) == job_id


def test_the_same_message_delivered_twice_runs_once(job_queue: JobQueue):
    from shared.jobs.queues import send_job_message
    from shared.stores.storage import get_queue

    # given one job whose id is on the queue twice (a producer retried its send)
    job_id = job_queue.create_job()
    send_job_message(get_queue(job_queue.name), job_id)
    executions: list[int] = []
    release = threading.Event()

    def handler(ctx: JobContext) -> None:
        executions.append(ctx.job.attempts)
        release.wait(5)  # hold the lease while the second worker gets the other message

    # when two workers take one message each, at the same time
    first = threading.Thread(target=work, args=(job_queue, handler))
    first.start()
    while not executions:
        time.sleep(0.01)
    second = work(job_queue, handler)
    release.set()
    first.join()

    # then the second saw a live lease and handed its message back; once it is visible again
    # (the lease ran out), a third worker acknowledges it without running the job
    assert second.outcomes == {"busy": 1}
    time.sleep(0.5)
    while queue_length(job_queue.name):
        third = work(job_queue, handler)
        if third.handled:
            assert third.outcomes == {"skipped": 1}
        time.sleep(0.5)
    assert executions == [1]
    assert job(job_id).status is JobStatus.SUCCEEDED


def test_a_message_for_an_unknown_job_is_acknowledged(job_queue: JobQueue):
    from shared.jobs.queues import send_job_message
    from shared.stores.storage import get_queue

    send_job_message(get_queue(job_queue.name), uuid.uuid4())

    summary = work(job_queue, lambda ctx: pytest.fail("must not run"))

    assert summary.outcomes == {"skipped": 1}
    assert queue_length(job_queue.name) == 0
