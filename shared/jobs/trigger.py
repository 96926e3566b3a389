"""Running a job kind as a queue-triggered function, with the same handler as its Container Apps
job. The host leases, renews and deletes the message; this adapter maps the executor's
settlements onto what a function can do:

    ack      return normally (the host deletes the message)
    release  raise JobRetryLaterError (the host retries after host.json's visibilityTimeout)
    poison   copy the message to ``<queue>-poison`` now, then return normally

Keep ``JOB_MAX_ATTEMPTS`` at or below host.json's ``maxDequeueCount`` so the job row, not the
host, decides when a job has failed.
"""

from __future__ import annotations

import logging
import uuid

import azure.functions as func

from shared.config import get_settings
from shared.jobs.context import Handler
from shared.jobs.exceptions import JobError
from shared.jobs.queues import decode_job_message, encode_job_id, poison_name, queue_name_for

logger = logging.getLogger(__name__)


class JobRetryLaterError(JobError):
    """Raised to make the Functions host deliver the message again later."""


class FunctionDelivery:
    """A queue-trigger message; see the module docstring."""

    def __init__(self, msg: func.QueueMessage, queue_name: str) -> None:
        decoded = decode_job_message(msg.get_body() or b"")
        self._job_id = decoded.job_id
        self.trace_context = decoded.trace_context
        inserted = msg.insertion_time
        self.enqueued_at = inserted.timestamp() if inserted is not None else None
        self._queue_name = queue_name
        self.retry_in: float | None = None

    @property
    def job_id(self) -> uuid.UUID | None:
        return self._job_id

    def renew(self) -> None:
        """The host renews the lease of a message while its function runs."""

    def ack(self) -> None:
        """Returning normally is the acknowledgement."""

    def release(self, delay: float) -> None:
        self.retry_in = delay

    def poison(self) -> None:
        from shared.jobs.queues import send_job_message
        from shared.stores.storage import get_queue

        if self._job_id is None:
            logger.error("a malformed job message on %s is dropped", self._queue_name)
            return
        send_job_message(get_queue(poison_name(self._queue_name)), self._job_id, self.trace_context)
        logger.warning("job %s moved to %s", self._job_id, poison_name(self._queue_name))


def run_job_message(msg: func.QueueMessage, kind: str, handler: Handler) -> None:
    """Handle one queue-trigger delivery of a ``kind`` job with ``handler``."""
    from shared.jobs.execution import JobExecutor
    from shared.jobs.service import worker_job_repository
    from shared.telemetry import start_telemetry

    settings = get_settings()
    start_telemetry("api", settings)  # a queue trigger may be the worker's first invocation
    delivery = FunctionDelivery(msg, queue_name_for(kind, settings))
    # The runner's role; the handler's own reads and writes go through its feature's role,
    # acting for the job's owner.
    executor = JobExecutor(handler, worker_job_repository(), settings)
    outcome = executor.execute(delivery)
    if delivery.retry_in is not None:
        raise JobRetryLaterError(
            f"job {encode_job_id(delivery.job_id) if delivery.job_id else '?'} {outcome.value}: "
            "the message will be delivered again"
        )
