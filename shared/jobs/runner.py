"""The Container Apps job loop: take messages one at a time until the queue is empty, then exit.

An event-driven Container Apps job (KEDA ``azure-queue`` scaler) starts executions while its
queue has messages; each execution works until it finds the queue empty. :func:`run_until_empty`
is that execution: it receives one message at a time with ``JOB_VISIBILITY_TIMEOUT_SECONDS``,
hands it to :class:`~shared.jobs.execution.JobExecutor` (which renews the visibility while the
handler runs) and settles it. A storage outage is ridden out with back-off for up to
``JOB_STORAGE_OUTAGE_SECONDS``; longer, and the execution fails (exit status 1, Container Apps
retries it). Setting ``stopping`` (SIGTERM) stops after the current job's next checkpoint.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from shared.config import Settings, get_settings
from shared.jobs.context import Handler
from shared.jobs.exceptions import JobStoreError
from shared.jobs.execution import JobExecutor, Outcome
from shared.jobs.queues import decode_job_message, encode_job_id, ensure_queue

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient
    from azure.storage.queue import QueueMessage as StorageMessage

    from shared.jobs.repository import JobRepository

logger = logging.getLogger(__name__)

T = TypeVar("T")


class StorageDelivery:
    """A message received from a storage queue; settles it with its current pop receipt."""

    def __init__(
        self, queue: QueueClient, poison: QueueClient, message: StorageMessage, visibility: int
    ) -> None:
        self._queue = queue
        self._poison = poison
        self._message = message
        self._visibility = visibility
        self._pop_receipt = str(message.pop_receipt)
        self._lock = threading.Lock()  # the heartbeat thread renews while the worker settles
        body = message.content
        decoded = decode_job_message(body if isinstance(body, bytes | str) else "")
        self._job_id = decoded.job_id
        self.trace_context = decoded.trace_context

    @property
    def job_id(self) -> uuid.UUID | None:
        return self._job_id

    @property
    def enqueued_at(self) -> float | None:
        """When the message was first sent (epoch seconds), as the queue recorded it."""
        inserted = self._message.inserted_on
        return inserted.timestamp() if inserted is not None else None

    @property
    def dequeue_count(self) -> int:
        return int(self._message.dequeue_count or 0)

    def _update(self, visibility: float) -> None:
        with self._lock:
            # Pass the id, not the message: with a message object the SDK rewrites the content.
            updated = self._queue.update_message(
                str(self._message.id), self._pop_receipt, visibility_timeout=round(visibility)
            )
            self._pop_receipt = str(updated.pop_receipt)

    def renew(self) -> None:
        self._update(self._visibility)

    def release(self, delay: float) -> None:
        self._settle("release", lambda: self._update(max(0.0, delay)))

    def ack(self) -> None:
        def delete() -> None:
            with self._lock:
                self._queue.delete_message(str(self._message.id), self._pop_receipt)

        self._settle("delete", delete)

    def poison(self) -> None:
        # The job id again (not the stored text): the poison client encodes it the same way.
        text = (
            encode_job_id(self._job_id, self.trace_context)
            if self._job_id
            else str(self._message.content)
        )
        # Deleted only once copied: if the copy fails the message comes back and is poisoned then.
        if self._settle("poison", lambda: self._poison.send_message(text)):
            self.ack()

    def _settle(self, what: str, action: Callable[[], object]) -> bool:
        from azure.core.exceptions import AzureError

        try:
            action()
        except AzureError as exc:
            # The message reappears after its visibility timeout; the job row decides then.
            logger.warning("could not %s message %s: %s", what, self._message.id, exc)
            return False
        return True


@dataclass
class RunSummary:
    """What one execution did: outcomes counted by kind."""

    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def handled(self) -> int:
        return sum(self.outcomes.values())


def run_until_empty(
    kind: str,
    handler: Handler,
    *,
    queue_name: str,
    repo: JobRepository,
    queue: QueueClient,
    poison: QueueClient,
    settings: Settings | None = None,
    stopping: threading.Event | None = None,
) -> RunSummary:
    """Work ``queue_name`` until it is empty or ``stopping`` is set; see the module docstring."""
    settings = settings or get_settings()
    stopping = stopping or threading.Event()
    executor = JobExecutor(handler, repo, settings, stopping=stopping)
    summary = RunSummary()

    def prepare() -> None:
        ensure_queue(queue)
        ensure_queue(poison)

    _with_outage_retry(prepare, settings, stopping)
    _record_depth(kind, queue)
    _record_depth(kind, poison, poison=True)
    logger.info("job execution for %s started on queue %s", kind, queue_name)
    while not stopping.is_set():
        message = _with_outage_retry(
            lambda: queue.receive_message(
                visibility_timeout=settings.job_visibility_timeout_seconds
            ),
            settings,
            stopping,
        )
        if message is None:
            break
        delivery = StorageDelivery(queue, poison, message, settings.job_visibility_timeout_seconds)
        summary.outcomes[_execute(executor, delivery, settings).value] += 1
    _record_depth(kind, queue)
    _record_depth(kind, poison, poison=True)
    logger.info("job execution for %s done: %s", kind, dict(summary.outcomes) or "queue empty")
    return summary


def _record_depth(kind: str, queue: QueueClient, *, poison: bool = False) -> None:
    """The queue's approximate length as a metric (one storage call; a failure only skips it)."""
    from azure.core.exceptions import AzureError

    from shared.telemetry.jobs import record_queue_depth

    try:
        depth = queue.get_queue_properties().approximate_message_count
    except AzureError as exc:
        logger.debug("queue depth of %s not read: %s", kind, exc)
        return
    record_queue_depth(kind, int(depth or 0), poison=poison)


def _execute(executor: JobExecutor, delivery: StorageDelivery, settings: Settings) -> Outcome:
    try:
        return executor.execute(delivery)
    except Exception as exc:  # the job store failed: the message is retried later
        logger.error("job %s could not be handled: %s", delivery.job_id, exc)
        delivery.release(settings.job_retry_delay_seconds)
        return Outcome.RETRY


def _with_outage_retry(
    call: Callable[[], T], settings: Settings, stopping: threading.Event
) -> T | None:
    """``call()``, retried with back-off while storage is unreachable; None once stopping."""
    from azure.core.exceptions import AzureError

    deadline = time.monotonic() + settings.job_storage_outage_seconds
    delay = 0.5
    while not stopping.is_set():
        try:
            return call()
        except AzureError as exc:
            if time.monotonic() >= deadline:
                raise JobStoreError(f"storage unreachable for too long: {exc}") from exc
            logger.warning("storage unreachable, retrying in %.1f s: %s", delay, exc)
            stopping.wait(delay)
            delay = min(delay * 2, 5.0)
    return None
