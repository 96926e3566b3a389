"""Job messages: one storage queue per job kind, each message the job id alone (base64 text).

Job kinds and their queues come from settings (``JOB_QUEUE_<KIND>``), so the producer, the
Container Apps job and its KEDA scale rule (and devhost's scaler) all read the same names. A
message that keeps failing is copied to ``<queue>-poison``, as the Functions host does.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING

from shared.config import Settings, get_settings

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient

POISON_SUFFIX = "-poison"
SPEECH = "speech"
EXTRACT = "extract"
TRANSCRIBE = "transcribe"
ML = "ml"
ANALYZE = "analyze"


class UnknownJobKindError(ValueError):
    """No queue is configured for the job kind."""


def job_kinds(settings: Settings | None = None) -> dict[str, str]:
    """Every configured job kind and its queue name."""
    settings = settings or get_settings()
    return {
        SPEECH: settings.job_queue_speech,
        EXTRACT: settings.job_queue_extract,
        TRANSCRIBE: settings.job_queue_transcribe,
        ML: settings.job_queue_ml,
        ANALYZE: settings.job_queue_analyze,
    }


def queue_name_for(kind: str, settings: Settings | None = None) -> str:
    """The queue of job kind ``kind``; raises UnknownJobKindError for an unknown kind."""
    try:
        return job_kinds(settings)[kind]
    except KeyError:
        raise UnknownJobKindError(f"no queue is configured for job kind {kind!r}") from None


def poison_name(queue_name: str) -> str:
    """The poison queue of ``queue_name``."""
    return f"{queue_name}{POISON_SUFFIX}"


def encode_job_id(job_id: uuid.UUID) -> str:
    """The message text for a job (the queue client base64-encodes it)."""
    return str(job_id)


def decode_job_id(body: bytes | str) -> uuid.UUID | None:
    """The job id a message body carries, or None when the body is not a job id."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def ensure_queue(client: QueueClient) -> None:
    """Create the queue when it does not exist yet."""
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):
        client.create_queue()


def send_job_message(client: QueueClient, job_id: uuid.UUID) -> None:
    """Enqueue ``job_id`` on ``client``'s queue, creating the queue on first use."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        client.send_message(encode_job_id(job_id))
    except ResourceNotFoundError:
        ensure_queue(client)
        client.send_message(encode_job_id(job_id))
