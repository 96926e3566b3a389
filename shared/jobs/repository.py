"""SQL for the ``jobs`` table. Every state change is one conditional statement.

Two sides, two roles (migration 0009): the API side (``job_repository()``, role ``platform_jobs``)
acts for one owner, each call in a transaction that names it, so row-level security shows that
owner's jobs only; the runner side (``worker_job_repository()``, role ``platform_worker``) claims,
renews and completes any job by id, and may change only the columns that work needs.

A worker's writes carry its ``claim_token`` and only apply while the row still names it, so of two
workers that both believe they hold a job (one paused past its lease, the other claimed after
it) only the current one can record progress or an outcome: a job completes exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from shared.jobs.models import Job, JobStatus
from shared.stores.database import database_errors
from shared.stores.postgres import owner_connection


class ClaimOutcome(StrEnum):
    """What a worker found when it tried to claim a job for a delivered message."""

    CLAIMED = "claimed"  # this worker runs the job now
    MISSING = "missing"  # no such job (deleted, or never committed): acknowledge
    FINISHED = "finished"  # already succeeded, failed or cancelled: acknowledge
    BUSY = "busy"  # another worker holds a live lease: try again when it runs out
    CANCELLED = "cancelled"  # cancel requested and nobody runs it: now cancelled, acknowledge
    EXHAUSTED = "exhausted"  # no attempts left (the last worker died): now failed, poison


@dataclass(frozen=True)
class Claim:
    """The result of :meth:`JobRepository.claim`; ``token`` is set when CLAIMED."""

    outcome: ClaimOutcome
    job: Job | None = None
    token: uuid.UUID | None = None
    retry_in: float = 0.0  # BUSY: seconds until the other worker's lease runs out


class JobRepository:
    """Reads and conditional writes on ``jobs`` through a psycopg connection pool. Methods that
    take an owner act for it (API side); the others are the runner's (worker pool only)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def _one(self, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(sql, params)
            return cur.fetchone()

    def _owned_one(self, owner: str, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
        # The API side: PostgreSQL not there is a 503 (through the breaker), never a 500.
        with (
            database_errors("the job store"),
            owner_connection(self._pool, owner) as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(sql, params)
            return cur.fetchone()

    def create(
        self,
        job_id: uuid.UUID,
        owner: str,
        kind: str,
        job_input: dict[str, Any],
        idempotency_key: str | None,
    ) -> tuple[Job, bool]:
        """Insert pending job ``job_id``; when ``owner`` already used the key for ``kind``
        (a concurrent retry), return that job instead. Returns (job, created)."""
        params = {
            "id": job_id,
            "owner": owner,
            "kind": kind,
            "input": Jsonb(job_input),
            "key": idempotency_key,
        }
        row = self._owned_one(
            owner,
            "INSERT INTO jobs (id, owner, kind, input, idempotency_key)"
            " VALUES (%(id)s, %(owner)s, %(kind)s, %(input)s, %(key)s)"
            " ON CONFLICT (owner, kind, idempotency_key) WHERE idempotency_key IS NOT NULL"
            " DO NOTHING RETURNING *",
            params,
        )
        if row is not None:
            return Job.from_row(row), True
        existing = self.find_by_key(owner, kind, idempotency_key or "")
        assert existing is not None  # the conflicting row exists: jobs are never re-keyed
        return existing, False

    def find_by_key(self, owner: str, kind: str, idempotency_key: str) -> Job | None:
        """The job ``owner`` submitted for ``kind`` under ``idempotency_key``, if any."""
        row = self._owned_one(
            owner,
            "SELECT * FROM jobs WHERE owner = %(owner)s AND kind = %(kind)s"
            " AND idempotency_key = %(key)s",
            {"owner": owner, "kind": kind, "key": idempotency_key},
        )
        return Job.from_row(row) if row else None

    def delete(self, job_id: uuid.UUID, owner: str) -> None:
        """Remove the owner's job that could not be enqueued (nothing else refers to it yet)."""
        self._owned_one(
            owner,
            "DELETE FROM jobs WHERE id = %(id)s AND owner = %(owner)s RETURNING id",
            {"id": job_id, "owner": owner},
        )

    def get(self, job_id: uuid.UUID, owner: str | None = None) -> Job | None:
        """The job, or None; with ``owner``, None also when it belongs to someone else. Without
        an owner only the worker role sees any job (row-level security)."""
        if owner is None:
            row = self._one("SELECT * FROM jobs WHERE id = %(id)s", {"id": job_id})
        else:
            row = self._owned_one(
                owner,
                "SELECT * FROM jobs WHERE id = %(id)s AND owner = %(owner)s",
                {"id": job_id, "owner": owner},
            )
        return Job.from_row(row) if row else None

    def list_for_owner(
        self,
        owner: str,
        *,
        status: JobStatus | None,
        kind: str | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Job]:
        """The owner's jobs, newest first, starting after the keyset ``after``."""
        params: dict[str, Any] = {
            "owner": owner,
            "status": status.value if status else None,
            "kind": kind,
            "limit": limit,
            "after_at": after[0] if after else None,
            "after_id": after[1] if after else None,
        }
        with (
            database_errors("the job store"),
            owner_connection(self._pool, owner) as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(
                "SELECT * FROM jobs WHERE owner = %(owner)s"
                " AND (%(status)s::text IS NULL OR status = %(status)s)"
                " AND (%(kind)s::text IS NULL OR kind = %(kind)s)"
                " AND (%(after_at)s::timestamptz IS NULL"
                "      OR (created_at, id) < (%(after_at)s::timestamptz, %(after_id)s::uuid))"
                " ORDER BY created_at DESC, id DESC LIMIT %(limit)s",
                params,
            )
            return [Job.from_row(row) for row in cur.fetchall()]

    def request_cancel(self, job_id: uuid.UUID, owner: str) -> Job | None:
        """Cancel: a pending job becomes cancelled now (it will never start); a running one is
        flagged and stops at its next checkpoint. Finished jobs are returned unchanged."""
        row = self._owned_one(
            owner,
            "UPDATE jobs SET"
            " status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END,"
            " finished_at = CASE WHEN status = 'pending' THEN now() ELSE finished_at END,"
            " cancel_requested = cancel_requested OR status IN ('pending', 'running'),"
            " updated_at = now()"
            " WHERE id = %(id)s AND owner = %(owner)s RETURNING *",
            {"id": job_id, "owner": owner},
        )
        return Job.from_row(row) if row else None

    def claim(self, job_id: uuid.UUID, lease_seconds: float, max_attempts: int) -> Claim:
        """Take the job for one attempt, or say why not (see :class:`ClaimOutcome`)."""
        token = uuid.uuid4()
        params = {"id": job_id, "token": token, "lease": lease_seconds, "max": max_attempts}
        row = self._one(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1,"
            " claim_token = %(token)s, lease_until = now() + make_interval(secs => %(lease)s),"
            " started_at = coalesce(started_at, now()), updated_at = now()"
            " WHERE id = %(id)s AND NOT cancel_requested AND attempts < %(max)s"
            " AND (status = 'pending' OR (status = 'running' AND lease_until < now()))"
            " RETURNING *",
            params,
        )
        if row is not None:
            return Claim(ClaimOutcome.CLAIMED, Job.from_row(row), token)
        return self._unclaimable(job_id, max_attempts)

    def _unclaimable(self, job_id: uuid.UUID, max_attempts: int) -> Claim:
        row = self._one(
            "SELECT *, greatest(0, extract(epoch FROM lease_until - now())) AS lease_left"
            " FROM jobs WHERE id = %(id)s",
            {"id": job_id},
        )
        if row is None:
            return Claim(ClaimOutcome.MISSING)
        job = Job.from_row(row)
        if job.status.is_terminal:
            return Claim(ClaimOutcome.FINISHED, job)
        if job.status is JobStatus.RUNNING and float(row["lease_left"] or 0) > 0:
            return Claim(ClaimOutcome.BUSY, job, retry_in=float(row["lease_left"]))
        if job.cancel_requested:
            done = self._finish_unclaimed(job_id, JobStatus.CANCELLED, None)
            return Claim(ClaimOutcome.CANCELLED, done or job)
        reason = (
            f"gave up after {job.attempts} attempt(s) (max {max_attempts}); "
            "the last one did not finish (its worker stopped without reporting)"
        )
        done = self._finish_unclaimed(job_id, JobStatus.FAILED, reason)
        return Claim(ClaimOutcome.EXHAUSTED, done or job)

    def _finish_unclaimed(
        self, job_id: uuid.UUID, status: JobStatus, error: str | None
    ) -> Job | None:
        # Only when nobody holds a live lease: a worker that just claimed it must not be undone.
        row = self._one(
            "UPDATE jobs SET status = %(status)s, error = coalesce(%(error)s, error),"
            " claim_token = NULL, lease_until = NULL, finished_at = now(), updated_at = now()"
            " WHERE id = %(id)s AND status IN ('pending', 'running')"
            " AND (lease_until IS NULL OR lease_until < now()) RETURNING *",
            {"id": job_id, "status": status.value, "error": error},
        )
        return Job.from_row(row) if row else None

    def heartbeat(
        self, job_id: uuid.UUID, token: uuid.UUID, lease_seconds: float, progress: int | None
    ) -> bool | None:
        """Extend the lease (and record ``progress`` when given). Returns whether cancellation
        was requested, or None when this worker no longer holds the job."""
        row = self._one(
            "UPDATE jobs SET lease_until = now() + make_interval(secs => %(lease)s),"
            " updated_at = now(),"
            " progress = coalesce(%(progress)s, progress)"
            " WHERE id = %(id)s AND claim_token = %(token)s AND status = 'running'"
            " RETURNING cancel_requested",
            {"id": job_id, "token": token, "lease": lease_seconds, "progress": progress},
        )
        return None if row is None else bool(row["cancel_requested"])

    def finish(
        self,
        job_id: uuid.UUID,
        token: uuid.UUID,
        status: JobStatus,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        refund: bool = False,
    ) -> Job | None:
        """Record the attempt's outcome: a terminal status, or PENDING to retry later (with
        ``refund``, the attempt does not count: the worker was stopped, the job did not fail).
        None when this worker no longer holds the job (nothing is written)."""
        row = self._one(
            "UPDATE jobs SET status = %(status)s, claim_token = NULL, lease_until = NULL,"
            " attempts = attempts - CASE WHEN %(refund)s THEN 1 ELSE 0 END,"
            " result = coalesce(%(result)s, result), error = %(error)s, updated_at = now(),"
            " progress = CASE WHEN %(status)s = 'succeeded' THEN 100 ELSE progress END,"
            " finished_at = CASE WHEN %(status)s = 'pending' THEN NULL ELSE now() END"
            " WHERE id = %(id)s AND claim_token = %(token)s AND status = 'running'"
            " RETURNING *",
            {
                "id": job_id,
                "token": token,
                "status": status.value,
                "result": Jsonb(result) if result is not None else None,
                "error": error,
                "refund": refund,
            },
        )
        return Job.from_row(row) if row else None

    def terminal_among(self, job_ids: list[uuid.UUID], owner: str) -> list[uuid.UUID]:
        """Which of the owner's ``job_ids`` are finished or gone (to free concurrency slots they
        leaked)."""
        with database_errors("the job store"), owner_connection(self._pool, owner) as conn:
            live = conn.execute(
                "SELECT id FROM jobs WHERE id = ANY(%s) AND owner = %s"
                " AND status IN ('pending', 'running')",
                (job_ids, owner),
            ).fetchall()
        alive = {row[0] for row in live}
        return [job_id for job_id in job_ids if job_id not in alive]
