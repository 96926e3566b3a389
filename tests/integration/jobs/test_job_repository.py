"""The ``jobs`` table's conditional writes: one holder at a time, outcomes written once."""

from __future__ import annotations

import time
import uuid

from shared.jobs.models import JobStatus
from shared.jobs.repository import ClaimOutcome, JobRepository


def repo() -> JobRepository:
    """The runner's side (the worker role: any owner's job, by id)."""
    from shared.jobs.service import worker_job_repository

    return worker_job_repository()


def api() -> JobRepository:
    """The API's side (the jobs role: acting for one owner)."""
    from shared.jobs.service import job_repository

    return job_repository()


def new_job() -> uuid.UUID:
    job, created = api().create(uuid.uuid4(), f"key:{uuid.uuid4().hex}", "test", {}, None)
    assert created
    return job.id


def test_a_claimed_job_is_busy_for_others_until_its_lease_runs_out():
    job_id = new_job()
    first = repo().claim(job_id, lease_seconds=1, max_attempts=3)
    busy = repo().claim(job_id, lease_seconds=1, max_attempts=3)
    time.sleep(1.1)
    second = repo().claim(job_id, lease_seconds=30, max_attempts=3)

    assert first.outcome is ClaimOutcome.CLAIMED
    assert busy.outcome is ClaimOutcome.BUSY
    assert 0 < busy.retry_in <= 1
    assert second.outcome is ClaimOutcome.CLAIMED
    assert second.job is not None
    assert second.job.attempts == 2


def test_only_the_current_holder_can_record_an_outcome():
    job_id = new_job()
    stale = repo().claim(job_id, lease_seconds=0.2, max_attempts=3)
    time.sleep(0.3)
    current = repo().claim(job_id, lease_seconds=30, max_attempts=3)
    assert stale.token
    assert current.token

    assert repo().heartbeat(job_id, stale.token, 30, 50) is None
    assert repo().finish(job_id, stale.token, JobStatus.SUCCEEDED, result={}) is None
    done = repo().finish(job_id, current.token, JobStatus.SUCCEEDED, result={"ok": True})

    assert done is not None
    assert done.status is JobStatus.SUCCEEDED
    assert done.progress == 100
    assert repo().finish(job_id, current.token, JobStatus.FAILED, error="late") is None
    assert repo().claim(job_id, 30, 3).outcome is ClaimOutcome.FINISHED


def test_a_job_whose_last_attempt_died_is_failed_with_the_reason():
    job_id = new_job()
    repo().claim(job_id, lease_seconds=0.1, max_attempts=1)
    time.sleep(0.2)

    claim = repo().claim(job_id, lease_seconds=30, max_attempts=1)

    assert claim.outcome is ClaimOutcome.EXHAUSTED
    assert claim.job is not None
    assert claim.job.status is JobStatus.FAILED
    assert "gave up after 1 attempt(s)" in (claim.job.error or "")


def test_another_owner_does_not_see_the_job():
    job_id = new_job()
    assert api().get(job_id, owner="key:someone-else") is None
    assert api().request_cancel(job_id, "key:someone-else") is None
    assert api().get(job_id) is None  # no owner named: row-level security shows no job
