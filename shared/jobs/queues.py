"""Job messages: one storage queue per job kind, each message a small JSON object (base64 text):
the job id and the W3C trace context of the request that submitted it, so the job's spans join
that request's trace (``{"job_id": "...", "traceparent": "00-...", "tracestate": "..."}``). A
message that is the job id alone (the format before trace context) is still read.

Job kinds and their queues come from settings (``JOB_QUEUE_<KIND>``), so the producer, the
Container Apps job and its KEDA scale rule (and devhost's scaler) all read the same names. A
message that keeps failing is copied to ``<queue>-poison``, as the Functions host does.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from opentelemetry import propagate

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


TRACE_FIELDS = ("traceparent", "tracestate")


@dataclass(frozen=True)
class JobMessage:
    """What a job message carries: the job id and the submitter's trace context."""

    job_id: uuid.UUID | None
    trace_context: dict[str, str] = field(default_factory=dict)


def encode_job_id(job_id: uuid.UUID, trace_context: dict[str, str] | None = None) -> str:
    """The message text for a job, with ``trace_context`` (default: the current context's)."""
    if trace_context is None:
        trace_context = {}
        propagate.inject(trace_context)
    kept = {k: v for k, v in trace_context.items() if k in TRACE_FIELDS}
    return json.dumps({"job_id": str(job_id), **kept}, separators=(",", ":"))


def decode_job_message(body: bytes | str) -> JobMessage:
    """The job id and trace context of a message body (no job id when the body is not one)."""
    text = (body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body).strip()
    if not text.startswith("{"):
        return JobMessage(_uuid(text))
    try:
        data = json.loads(text)
    except ValueError:
        return JobMessage(None)
    if not isinstance(data, dict):
        return JobMessage(None)
    context = {k: v for k in TRACE_FIELDS if isinstance(v := data.get(k), str) and len(v) < 512}
    return JobMessage(_uuid(str(data.get("job_id", ""))), context)


def decode_job_id(body: bytes | str) -> uuid.UUID | None:
    """The job id a message body carries, or None when the body is not a job message."""
    return decode_job_message(body).job_id


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def ensure_queue(client: QueueClient) -> None:
    """Create the queue when it does not exist yet."""
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):
        client.create_queue()


def send_job_message(
    client: QueueClient, job_id: uuid.UUID, trace_context: dict[str, str] | None = None
) -> None:
    """Enqueue ``job_id`` on ``client``'s queue, creating the queue on first use; the message
    carries ``trace_context`` (default: the current one)."""
    from azure.core.exceptions import ResourceNotFoundError

    text = encode_job_id(job_id, trace_context)
    try:
        client.send_message(text)
    except ResourceNotFoundError:
        ensure_queue(client)
        client.send_message(text)
