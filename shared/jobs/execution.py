"""One delivery of a job message, from claim to outcome. Shared by the Container Apps job runner
and the queue-triggered function, which differ only in how they settle the message
(:class:`Delivery`).

    message for no job / a finished job        acknowledge, no work
    another worker holds a live lease          release until that lease runs out
    cancel requested, nobody running it        cancelled, acknowledge
    attempts used up (the last worker died)    failed with the reason, poison
    claimed: handler returns                   succeeded (result + files), acknowledge
    claimed: handler raises JobCancelledError  cancelled, acknowledge
    claimed: worker stopping (SIGTERM)         back to pending (attempt refunded), release now
    claimed: handler raises, attempts remain   back to pending with the error, release after
                                               JOB_RETRY_DELAY_SECONDS
    claimed: handler raises, none remain       failed with the reason, poison
    claimed: handler raises JobInputError      failed with the reason, acknowledge
    claimed: lease lost to another worker      nothing written, message left alone

While the handler runs a heartbeat thread renews the row's lease and the message's visibility
every JOB_VISIBILITY_RENEW_SECONDS, and notices cancellation even between checkpoints.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from shared.config import Settings
from shared.jobs.context import Handler, JobContext, JobLease
from shared.jobs.exceptions import (
    JobCancelledError,
    JobInputError,
    JobInterruptedError,
    JobLeaseLostError,
)
from shared.jobs.models import Job, JobStatus

if TYPE_CHECKING:
    from shared.jobs.repository import Claim, JobRepository
    from shared.telemetry.jobs import JobRun

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 1000


class Delivery(Protocol):
    """A received job message and how to settle it."""

    @property
    def job_id(self) -> uuid.UUID | None: ...

    def renew(self) -> None:
        """Keep the message invisible for another visibility timeout."""

    def ack(self) -> None:
        """The message is done with: delete it."""

    def release(self, delay: float) -> None:
        """Make the message visible again after ``delay`` seconds."""

    def poison(self) -> None:
        """Copy the message to the poison queue, then delete it."""


class Outcome(StrEnum):
    """What became of one delivery (counted by the runner, logged)."""

    MALFORMED = "malformed"
    SKIPPED = "skipped"  # missing or finished job
    BUSY = "busy"
    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    RETRY = "retry"
    FAILED = "failed"
    LOST = "lost"


def release_slot_quietly(job: Job) -> None:
    """Free the owner's concurrency slot; a Redis failure only delays it (the slot expires)."""
    from shared.jobs.limits import release_slot
    from shared.stores.redis import RedisService, get_redis

    try:
        release_slot(get_redis(RedisService.JOBS), job.owner, job.id)
    except Exception as exc:  # any Redis failure: the slot frees itself later
        logger.warning("could not free the concurrency slot of job %s: %s", job.id, exc)


class JobExecutor:
    """Runs deliveries of one job kind with ``handler``; see the module docstring."""

    def __init__(
        self,
        handler: Handler,
        repo: JobRepository,
        settings: Settings,
        *,
        stopping: threading.Event | None = None,
        on_finished: Callable[[Job], None] = release_slot_quietly,
    ) -> None:
        self.handler = handler
        self.repo = repo
        self.settings = settings
        self.stopping = stopping or threading.Event()
        self.on_finished = on_finished

    def execute(self, delivery: Delivery) -> Outcome:
        """Handle one delivery; raises only when the job store itself fails (the caller then
        releases the message so it is retried). The delivery runs in a span of the submitting
        request's trace when its message carries one (``trace_context``)."""
        from shared.telemetry.jobs import job_span

        context: dict[str, str] = getattr(delivery, "trace_context", None) or {}
        with job_span(delivery.job_id, context) as run:
            outcome = self._execute(delivery, run)
            run.outcome = outcome.value
            return outcome

    def _execute(self, delivery: Delivery, run: JobRun) -> Outcome:
        job_id = delivery.job_id
        if job_id is None:
            logger.error("a job message does not carry a job id: moving it to the poison queue")
            delivery.poison()
            return Outcome.MALFORMED
        claim = self.repo.claim(
            job_id, self.settings.job_visibility_timeout_seconds, self.settings.job_max_attempts
        )
        if claim.token is None or claim.job is None:
            return self._unclaimed(delivery, claim)
        run.claimed(claim.job.kind, claim.job.attempts, getattr(delivery, "enqueued_at", None))
        return self._run(delivery, claim.job, claim.token)

    def _unclaimed(self, delivery: Delivery, claim: Claim) -> Outcome:
        from shared.jobs.repository import ClaimOutcome

        outcome = claim.outcome
        logger.info("job %s not run: %s", delivery.job_id, outcome.value)
        if outcome is ClaimOutcome.BUSY:
            delivery.release(claim.retry_in + 1)
            return Outcome.BUSY
        if claim.job is not None and outcome in (ClaimOutcome.CANCELLED, ClaimOutcome.EXHAUSTED):
            self.on_finished(claim.job)
        if outcome is ClaimOutcome.EXHAUSTED:
            delivery.poison()
            return Outcome.FAILED
        delivery.ack()
        return Outcome.CANCELLED if outcome is ClaimOutcome.CANCELLED else Outcome.SKIPPED

    def _run(self, delivery: Delivery, job: Job, token: uuid.UUID) -> Outcome:
        lease = JobLease(
            self.repo, job.id, token, self.settings.job_visibility_timeout_seconds, delivery.renew
        )
        context = JobContext(job, lease, self.stopping)
        logger.info("job %s (%s) attempt %d started", job.id, job.kind, job.attempts)
        summary: dict[str, Any] = {}
        failure: Exception | None = None
        with _heartbeats(lease, self.settings.job_visibility_renew_seconds):
            try:
                summary = self.handler(context) or {}
            except Exception as exc:  # the handler's failure, whatever it is, is the job's
                failure = exc
        # Settled once the heartbeat has stopped: nothing renews a message being deleted.
        if failure is not None:
            return self._stopped(delivery, job, token, failure)
        result = {"files": [f.as_json() for f in context.files], **summary}
        return self._settle(delivery, job, token, JobStatus.SUCCEEDED, result=result)

    def _stopped(self, delivery: Delivery, job: Job, token: uuid.UUID, exc: Exception) -> Outcome:
        if isinstance(exc, JobLeaseLostError):
            logger.warning("job %s: lease lost to another worker; stopping", job.id)
            return Outcome.LOST
        if isinstance(exc, JobCancelledError):
            return self._settle(delivery, job, token, JobStatus.CANCELLED)
        if isinstance(exc, JobInterruptedError):
            self.repo.finish(job.id, token, JobStatus.PENDING, error=None, refund=True)
            delivery.release(0)
            return Outcome.INTERRUPTED
        return self._failed(delivery, job, token, exc)

    def _settle(
        self,
        delivery: Delivery,
        job: Job,
        token: uuid.UUID,
        status: JobStatus,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        poison: bool = False,
    ) -> Outcome:
        finished = self.repo.finish(job.id, token, status, result=result, error=error)
        if finished is None:
            logger.warning("job %s: lease lost before its outcome was recorded", job.id)
            return Outcome.LOST
        logger.info("job %s (%s) %s", job.id, job.kind, status.value)
        self.on_finished(finished)
        if poison:
            delivery.poison()
        else:
            delivery.ack()
        return Outcome(status.value)

    def _failed(self, delivery: Delivery, job: Job, token: uuid.UUID, exc: Exception) -> Outcome:
        reason = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        if isinstance(exc, JobInputError):
            logger.warning("job %s failed (input): %s", job.id, reason)
            return self._settle(delivery, job, token, JobStatus.FAILED, error=reason)
        if job.attempts >= self.settings.job_max_attempts:
            logger.error("job %s failed after %d attempt(s): %s", job.id, job.attempts, reason)
            error = f"failed after {job.attempts} attempt(s): {reason}"
            return self._settle(delivery, job, token, JobStatus.FAILED, error=error, poison=True)
        logger.warning("job %s attempt %d failed, will retry: %s", job.id, job.attempts, reason)
        error = f"attempt {job.attempts} failed: {reason}"
        if self.repo.finish(job.id, token, JobStatus.PENDING, error=error) is None:
            return Outcome.LOST
        delivery.release(self.settings.job_retry_delay_seconds)
        return Outcome.RETRY


@contextlib.contextmanager
def _heartbeats(lease: JobLease, interval: float) -> Iterator[None]:
    """Renew ``lease`` every ``interval`` seconds in a thread while the block runs."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(interval):
            try:
                lease.renew_all()
            except Exception as exc:  # a store hiccup: keep trying until the lease runs out
                logger.warning("renewing the lease of job %s failed: %s", lease.job_id, exc)

    thread = threading.Thread(target=beat, name=f"lease {lease.job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
