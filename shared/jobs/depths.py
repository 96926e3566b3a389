"""How many messages wait on each job kind's queue, and on its poison queue.

What the console's Status page shows next to the services: work piling up on a queue (workers
not keeping up, or none configured) and messages given up on. The counts are storage's
approximate message counts, read now, through the ``queue`` circuit breaker.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel

from shared.errors import ServiceUnavailableError
from shared.jobs.queues import job_kinds, poison_name

logger = logging.getLogger(__name__)


class QueueDepth(BaseModel):
    """One job kind's queue: messages waiting to be worked, and messages moved to its poison
    queue after too many failed attempts."""

    kind: str
    queue: str
    waiting: int
    poison: int


class QueueDepthsResponse(BaseModel):
    """Every configured job kind's queue."""

    queues: list[QueueDepth]


def _count(name: str) -> int:
    from azure.core.exceptions import ResourceNotFoundError

    from shared.stores.storage import get_queue

    try:
        properties = get_queue(name).get_queue_properties()
    except ResourceNotFoundError:
        return 0  # created on first use: nothing was ever sent to it
    return int(properties.approximate_message_count or 0)


def queue_depths() -> QueueDepthsResponse:
    """Each job kind's queue depth now; 503 when storage cannot be reached."""
    from shared.resilience import storage_guard
    from shared.resilience.seams import storage_failures

    try:
        with storage_guard("queue"):
            depths = [
                QueueDepth(
                    kind=kind, queue=queue, waiting=_count(queue), poison=_count(poison_name(queue))
                )
                for kind, queue in sorted(job_kinds().items())
            ]
    except storage_failures() as exc:
        logger.warning("reading the job queues' depths failed: %s", exc)
        raise ServiceUnavailableError("the job queues cannot be reached") from exc
    return QueueDepthsResponse(queues=depths)
