"""What the jobs endpoints (and features that submit jobs) call. Owners are opaque strings from
``shared.identity.current_owner``; another owner's job is reported as not found.

Submitting a job, in order (each step undone when a later one fails):

1. with an idempotency key, the job this owner already submitted under it is returned as is;
2. the feature's ``admit`` check runs (e.g. the speech rate limit; it raises to refuse);
3. a concurrency slot is taken in Redis (``MAX_CONCURRENT_JOBS``; 429 when none is free);
4. the row is inserted (pending) and committed, and ``prepare(job)`` stores kind-specific rows;
5. the job id is enqueued. The row is committed first so a worker never receives a message for
   a row it cannot see yet; if enqueueing fails the row is deleted and the caller gets 503.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from shared.config import get_settings
from shared.errors import (
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ServiceUnavailableError,
)
from shared.jobs.models import Job, JobStatus

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient

    from shared.jobs.repository import JobRepository
    from shared.stores.redis import RedisClient

logger = logging.getLogger(__name__)

CONCURRENCY_RETRY_AFTER_SECONDS = 5


def job_repository() -> JobRepository:
    """The API side's repository: the ``jobs`` role, acting for the owner each call names."""
    from shared.jobs.repository import JobRepository
    from shared.stores.postgres import PostgresService, get_pool

    return JobRepository(get_pool(PostgresService.JOBS))


def worker_job_repository() -> JobRepository:
    """The job runner's repository: the ``worker`` role, which claims, renews and completes
    any owner's job by id (and sees no other table)."""
    from shared.jobs.repository import JobRepository
    from shared.stores.postgres import PostgresService, get_pool

    return JobRepository(get_pool(PostgresService.WORKER))


def _redis() -> RedisClient:
    from shared.stores.redis import RedisService, get_redis

    return get_redis(RedisService.JOBS)  # jobs:active:* slots only


def _store_errors() -> tuple[type[Exception], ...]:
    import psycopg
    import psycopg_pool
    import redis
    from azure.core.exceptions import AzureError

    return (psycopg.OperationalError, psycopg_pool.PoolTimeout, redis.RedisError, AzureError)


def submit_job(
    owner: str,
    kind: str,
    job_input: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    admit: Callable[[], None] | None = None,
    prepare: Callable[[Job], None] | None = None,
) -> tuple[Job, bool]:
    """Create and enqueue a job (see the module docstring). ``admit`` runs before a new job is
    created (a rate limit: raise to refuse); ``prepare`` stores kind-specific rows for it.
    Returns (job, created); created is False for a repeated idempotency key."""
    from shared.resilience import postgres_guard, redis_guard, storage_guard

    repo = job_repository()
    job_id = uuid.uuid4()
    try:
        # A submission needs all three stores; each breaker counts only its own driver's
        # failures, and an open one refuses at once (its own 503, not caught below).
        with postgres_guard(), redis_guard(), storage_guard("queue"):
            if idempotency_key is not None:
                existing = repo.find_by_key(owner, kind, idempotency_key)
                if existing is not None:
                    return existing, False
            if admit is not None:
                admit()
            _take_slot(owner, job_id, repo)
            return _create_and_enqueue(
                repo,
                owner=owner,
                kind=kind,
                job_id=job_id,
                job_input=job_input,
                idempotency_key=idempotency_key,
                prepare=prepare,
            )
    except _store_errors() as exc:
        logger.warning("submitting a %s job failed: %s", kind, exc)
        raise ServiceUnavailableError(
            "the job could not be submitted: a backing store is unavailable; retry later",
            headers={"Retry-After": "5"},
        ) from exc


def _create_and_enqueue(
    repo: JobRepository,
    *,
    owner: str,
    kind: str,
    job_id: uuid.UUID,
    job_input: dict[str, Any],
    idempotency_key: str | None,
    prepare: Callable[[Job], None] | None,
) -> tuple[Job, bool]:
    from shared.jobs.limits import release_slot
    from shared.jobs.queues import queue_name_for, send_job_message
    from shared.stores.storage import get_queue

    try:
        job, created = repo.create(job_id, owner, kind, job_input, idempotency_key)
        if not created:  # a concurrent retry with the same key got there first
            release_slot(_redis(), owner, job_id)
            return job, False
        if prepare is not None:
            prepare(job)
        send_job_message(get_queue(queue_name_for(kind)), job.id)
    except BaseException:
        # Each clean-up on its own: with PostgreSQL down the delete fails too, and the slot
        # must still be freed (the soak found it held after an outage).
        with _quietly(f"removing job {job_id} that was not submitted"):
            repo.delete(job_id, owner)
        with _quietly(f"freeing the slot of job {job_id} that was not submitted"):
            release_slot(_redis(), owner, job_id)
        raise
    logger.info("job %s (%s) submitted", job.id, kind)
    return job, True


@contextlib.contextmanager
def _quietly(what: str) -> Iterator[None]:
    """A clean-up step whose failure is logged, so the next step and the original error go on."""
    try:
        yield
    except Exception as exc:  # any failure: the caller re-raises the error that matters
        logger.warning("%s failed: %s", what, exc)


def _take_slot(owner: str, job_id: uuid.UUID, repo: JobRepository) -> None:
    from shared.jobs.limits import acquire_slot, active_slots, release_slot

    settings = get_settings()
    client = _redis()
    limit, ttl = settings.max_concurrent_jobs, settings.job_slot_ttl_seconds
    if acquire_slot(client, owner, job_id, limit, ttl) == 0:
        return
    # Full: free slots whose jobs finished without releasing them (a worker that crashed between
    # recording the outcome and freeing the slot), then try once more.
    stale = repo.terminal_among(active_slots(client, owner), owner)
    if stale:
        release_slot(client, owner, *stale)
        if acquire_slot(client, owner, job_id, limit, ttl) == 0:
            return
    raise RateLimitedError(
        f"at most {limit} jobs may be pending or running at once; wait for one to finish",
        headers={"Retry-After": str(CONCURRENCY_RETRY_AFTER_SECONDS)},
    )


def get_job(owner: str, job_id: uuid.UUID) -> Job:
    """The owner's job; NotFoundError when it does not exist or belongs to someone else."""
    job = job_repository().get(job_id, owner)
    if job is None:
        raise NotFoundError(f"no job {job_id}")
    return job


def list_jobs(
    owner: str, *, status: JobStatus | None, kind: str | None, limit: int, cursor: str | None
) -> tuple[list[Job], str | None]:
    """A page of the owner's jobs, newest first, and the cursor of the next page (or None)."""
    from shared.jobs.api import decode_cursor, encode_cursor

    after = decode_cursor(cursor) if cursor else None
    jobs = job_repository().list_for_owner(
        owner, status=status, kind=kind, limit=limit + 1, after=after
    )
    page = jobs[:limit]
    return page, encode_cursor(page[-1]) if len(jobs) > limit else None


def cancel_job(owner: str, job_id: uuid.UUID) -> Job:
    """Cancel the owner's job: a pending one is cancelled now, a running one at its next
    checkpoint. ConflictError when it already finished; NotFoundError as for get_job."""
    before = get_job(owner, job_id)
    if before.status.is_terminal:
        raise ConflictError(f"job {job_id} already {before.status.value}; nothing to cancel")
    job = job_repository().request_cancel(job_id, owner)
    if job is None:
        raise NotFoundError(f"no job {job_id}")
    if job.status is JobStatus.CANCELLED:
        from shared.jobs.execution import release_slot_quietly

        release_slot_quietly(job)
    return job


def job_result_blob(owner: str, job_id: uuid.UUID, name: str) -> tuple[BlobClient, str]:
    """The blob and content type of a result file of the owner's job (404 when it has none)."""
    from shared.jobs.results import blob_name, results_container

    job = get_job(owner, job_id)
    files = {f["name"]: f for f in (job.result or {}).get("files", [])}
    if name not in files:
        raise NotFoundError(f"job {job_id} has no result named {name!r}")
    return results_container().get_blob_client(blob_name(job_id, name)), str(
        files[name]["content_type"]
    )


def read_job_result(owner: str, job_id: uuid.UUID, name: str) -> tuple[bytes, str]:
    """The bytes and content type of a result file of the owner's job."""
    from shared.jobs.results import read_result

    job = get_job(owner, job_id)
    files = {f["name"]: f for f in (job.result or {}).get("files", [])}
    if name not in files:
        raise NotFoundError(f"job {job_id} has no result named {name!r}")
    data = read_result(job_id, name)
    if data is None:
        raise NotFoundError(f"the result {name!r} of job {job_id} is no longer stored")
    return data, str(files[name]["content_type"])
