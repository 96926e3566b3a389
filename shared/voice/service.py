"""Transcription requests: cache, decode, and either recognize now or submit a ``transcribe``
job (audio longer than ``VOICE_SYNC_MAX_SECONDS``, or asked for with ``?async=true``).

Order for one upload: sha256 -> transcript cache (a hit runs no model and does not even decode)
-> decode (400/415 with the reason) -> job or recognition -> cache + ``voice_samples`` row.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from shared.config import get_settings
from shared.voice import cache
from shared.voice.stt import Recognition, Segment, TranscribeOptions, Transcript

if TYPE_CHECKING:
    from shared.jobs.models import Job
    from shared.voice.uploads import SpooledAudio

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TranscriptionOutcome:
    transcript: Transcript | None = None
    job: Job | None = None
    cached: bool = False


def audio_blob_name(owner: str, sha256: str) -> str:
    owner_part = hashlib.sha256(owner.encode("utf-8")).hexdigest()[:16]
    return f"voice/{owner_part}/{sha256}"


def _record(owner: str, sha256: str, status: str, metadata: dict[str, object]) -> None:
    """Best effort for synchronous results: the transcript is already the caller's answer."""
    import psycopg
    import psycopg_pool

    from shared.resilience import DependencyOpenError, postgres_guard
    from shared.voice.store import voice_repository

    try:
        with postgres_guard():
            voice_repository().upsert_sample(owner, sha256, dict(metadata), status)
    except (psycopg.Error, psycopg_pool.PoolTimeout, DependencyOpenError) as exc:
        logger.warning("recording voice sample %s failed: %s", sha256[:12], exc)


def transcribe_upload(
    owner: str,
    data: bytes | SpooledAudio,
    options: TranscribeOptions,
    *,
    force_async: bool = False,
    idempotency_key: str | None = None,
) -> TranscriptionOutcome:
    """Transcribe an upload (its bytes, or as received: ``shared.voice.uploads``), or make it a
    ``transcribe`` job when it is long or ``force_async``."""
    from shared.voice import audio, stt

    sha256 = _checked_hash(data)
    if not force_async and (hit := cache.get_transcript(sha256, options)) is not None:
        _record(owner, sha256, "done", {"model": hit.model, "language": hit.language})
        return TranscriptionOutcome(transcript=hit, cached=True)
    decoded = audio.decode(_source(data))
    if force_async or decoded.seconds > get_settings().voice_sync_max_seconds:
        return TranscriptionOutcome(
            job=_submit(
                owner,
                sha256,
                data,
                decoded.seconds,
                decoded.source_format,
                options,
                idempotency_key,
            )
        )
    transcript = stt.transcribe(decoded.samples, options)
    cache.put_transcript(sha256, options, transcript)
    _record(owner, sha256, "done", _metadata(decoded.seconds, decoded.source_format, transcript))
    return TranscriptionOutcome(transcript=transcript)


@dataclass
class TranscriptStream:
    """A transcription sent as it is decoded: ``segments`` one by one (a cache hit: all at once);
    when they end normally the transcript is cached and recorded. Closing ``segments`` stops
    decoding."""

    segments: Iterator[Segment]
    duration: float
    cached: bool


def stream_upload(
    owner: str, data: bytes | SpooledAudio, options: TranscribeOptions
) -> TranscriptStream:
    """``stream=true``: the same order as :func:`transcribe_upload` (400/415/422 before the first
    byte), but never a job: audio over ``VOICE_SYNC_MAX_SECONDS`` is 413 (without ``stream`` it
    becomes a job)."""
    from shared.errors import PayloadTooLargeError
    from shared.voice import audio, stt

    sha256 = _checked_hash(data)
    if (hit := cache.get_transcript(sha256, options)) is not None:
        _record(owner, sha256, "done", {"model": hit.model, "language": hit.language})
        return TranscriptStream(iter(hit.segments), hit.duration, cached=True)
    decoded = audio.decode(_source(data))
    limit = get_settings().voice_sync_max_seconds
    if decoded.seconds > limit:
        raise PayloadTooLargeError(
            f"the audio is {decoded.seconds:.0f} s; at most {limit} s are streamed (send it"
            " without stream=true to get a job)"
        )
    recognition = stt.recognize(decoded.samples, options)
    source = decoded.source_format
    return TranscriptStream(
        _kept(owner, sha256, options, recognition, source), recognition.duration, cached=False
    )


def _kept(
    owner: str,
    sha256: str,
    options: TranscribeOptions,
    recognition: Recognition,
    source: str,
) -> Generator[Segment]:
    """``recognition``'s segments; the transcript cached and recorded once they all came."""
    segments: list[Segment] = []
    try:
        for segment in recognition.segments:
            segments.append(segment)
            yield segment
    finally:
        close = getattr(recognition.segments, "close", None)
        if close is not None:
            close()
    transcript = recognition.transcript(segments)
    cache.put_transcript(sha256, options, transcript)
    _record(owner, sha256, "done", _metadata(recognition.duration, source, transcript))


def _checked_hash(data: bytes | SpooledAudio) -> str:
    """The upload's SHA-256; 400 when it is empty."""
    from shared.errors import BadRequestError

    if isinstance(data, bytes):
        if not data:
            raise BadRequestError("the audio file is empty")
        return hashlib.sha256(data).hexdigest()
    if data.size == 0:
        raise BadRequestError("the audio file is empty")
    return data.sha256


def _source(data: bytes | SpooledAudio) -> bytes | IO[bytes]:
    """What the decoder and the blob upload read: the bytes, or the received file rewound."""
    if isinstance(data, bytes):
        return data
    data.file.seek(0)
    return data.file


def _metadata(seconds: float, source: str, transcript: Transcript | None) -> dict[str, object]:
    meta: dict[str, object] = {"seconds": round(seconds, 3), "format": source}
    if transcript is not None:
        meta |= {"model": transcript.model, "language": transcript.language}
    return meta


def _submit(  # noqa: PLR0917 - one call site, all of them needed
    owner: str,
    sha256: str,
    data: bytes | SpooledAudio,
    seconds: float,
    source: str,
    options: TranscribeOptions,
    idempotency_key: str | None,
) -> Job:
    from shared.jobs.queues import TRANSCRIBE
    from shared.jobs.service import submit_job
    from shared.media.blobs import upload_media
    from shared.voice.store import voice_repository

    blob_name = audio_blob_name(owner, sha256)

    def prepare(job: Job) -> None:
        upload_media(blob_name, _source(data), "application/octet-stream")
        voice_repository().upsert_sample(
            owner,
            sha256,
            _metadata(seconds, source, None),
            "pending",
            blob_name=blob_name,
            job_id=job.id,
        )

    job, _ = submit_job(
        owner,
        TRANSCRIBE,
        {
            "sha256": sha256,
            "blob_name": blob_name,
            "seconds": round(seconds, 3),
            "model": options.model,
            "language": options.language,
            "prompt": options.prompt,
            "temperature": options.temperature,
            "word_timestamps": options.word_timestamps,
        },
        idempotency_key=idempotency_key,
        prepare=prepare,
    )
    return job
