"""Submitting document jobs: text extraction (``extract``) and reading aloud (``speech``).

Both check the file before anything is queued, so a client learns at once (422) that a file is
not a PDF, is encrypted or broken (found when it was uploaded), or that the page range is out of
bounds. Speech submissions also pass the caller's ``TTS_RATE_LIMIT`` (per minute, in Redis; the
window synchronous speech shares, ``shared.speech.limits``).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from shared.config import get_settings
from shared.errors import UnprocessableContentError
from shared.jobs.queues import EXTRACT, SPEECH
from shared.jobs.service import submit_job
from shared.media.service import get_file, media_repository
from shared.speech.limits import take_speech_token

if TYPE_CHECKING:
    from shared.jobs.models import Job
    from shared.media.repository import FileRecord


def _readable_pdf(record: FileRecord) -> int:
    """The page count of a readable PDF; 422 with the reason otherwise."""
    if record.content_type != "application/pdf":
        raise UnprocessableContentError(f"file {record.id} is {record.content_type}, not a PDF")
    if record.unreadable_reason or record.page_count is None:
        raise UnprocessableContentError(record.unreadable_reason or "the PDF cannot be read")
    return record.page_count


def submit_extraction(
    owner: str, file_id: uuid.UUID, idempotency_key: str | None
) -> tuple[Job, bool]:
    """Queue text extraction of every page of the owner's PDF. Returns (job, created)."""
    record = get_file(owner, file_id)
    pages = _readable_pdf(record)
    return submit_job(
        owner,
        EXTRACT,
        {"file_id": str(record.id), "pages": pages},
        idempotency_key=idempotency_key,
    )


def submit_speech(
    owner: str,
    file_id: uuid.UUID,
    *,
    first_page: int,
    last_page: int | None,
    voice: str,
    joined: bool,
    idempotency_key: str | None,
) -> tuple[Job, bool]:
    """Queue reading pages ``first_page``..``last_page`` of the owner's PDF aloud."""
    from shared.media.repository import SpeechTask
    from shared.speech.piper import voices

    record = get_file(owner, file_id)
    pages = _readable_pdf(record)
    last = pages if last_page is None else last_page
    _check_range(first_page, last, pages)
    if voice not in voices():
        raise UnprocessableContentError(f"unknown voice {voice!r}", voices=voices())

    def prepare(job: Job) -> None:
        task = SpeechTask(job.id, record.id, first_page, last, voice, joined, 0, {})
        media_repository().insert_speech_task(job.owner, task)

    job_input = {
        "file_id": str(record.id),
        "first_page": first_page,
        "last_page": last,
        "voice": voice,
        "joined": joined,
    }
    return submit_job(
        owner,
        SPEECH,
        job_input,
        idempotency_key=idempotency_key,
        admit=lambda: take_speech_token(owner),
        prepare=prepare,
    )


def _check_range(first: int, last: int, pages: int) -> None:
    limit = get_settings().tts_max_pages
    if not 1 <= first <= last <= pages:
        raise UnprocessableContentError(
            f"the page range {first}-{last} is outside the document's pages 1-{pages}"
        )
    if last - first + 1 > limit:
        raise UnprocessableContentError(f"at most {limit} pages can be read aloud in one job")
