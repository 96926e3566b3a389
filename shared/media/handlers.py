"""Job handlers for documents: ``extract`` (text per page) and ``speech`` (pages read aloud).

Both stream: the PDF is downloaded to a temporary file, pages are read one at a time
(``shared.media.pdf``), and outputs go to temporary files that are uploaded as result files, so
memory stays flat however long the document. Both call ``checkpoint`` after every page: progress
is per page, and a cancelled job stops after the page it is on.

A speech job in per-page mode records each finished page (``tts_job.outputs``); a retry after a
crash skips them. Joined mode writes one WAV and starts over on a retry.
"""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from shared.jobs.context import JobContext
from shared.jobs.exceptions import JobInputError
from shared.jobs.results import ResultFile
from shared.media.pdf import PdfUnreadableError, iter_page_texts
from shared.media.service import media_repository

logger = logging.getLogger(__name__)

JOINED_RESULT = "speech.wav"


def _progress(done: int, total: int) -> int:
    # 100 is reserved for "succeeded": the result is not stored yet when the last page is done.
    return min(99, done * 100 // max(total, 1))


@contextmanager
def _downloaded_pdf(owner: str, file_id: uuid.UUID) -> Iterator[IO[bytes]]:
    from shared.media.blobs import download_media_to

    record = media_repository().get_file(file_id, owner)
    if record is None:
        raise JobInputError(f"file {file_id} was deleted")
    with tempfile.TemporaryFile(prefix="job-pdf-") as pdf:
        if not download_media_to(record.blob_name, pdf):
            raise JobInputError(f"the content of file {file_id} is no longer stored")
        yield pdf


def extract_text(ctx: JobContext) -> dict[str, Any]:
    """``extract``: every page's text as JSON lines (``{"page": n, "text": ...}``) in the result
    file ``pages.jsonl``; summary: pages and characters."""
    file_id = uuid.UUID(str(ctx.job.input["file_id"]))
    total = int(ctx.job.input.get("pages") or 0)
    pages = characters = 0
    with _downloaded_pdf(ctx.job.owner, file_id) as pdf, tempfile.TemporaryFile() as out:
        try:
            for number, text in iter_page_texts(pdf):
                line = json.dumps({"page": number, "text": text}, ensure_ascii=False)
                out.write(line.encode("utf-8") + b"\n")
                pages, characters = pages + 1, characters + len(text)
                ctx.checkpoint(_progress(pages, total or number))
        except PdfUnreadableError as exc:
            raise JobInputError(str(exc)) from exc
        ctx.store_result("pages.jsonl", out, "application/x-ndjson")
    return {"file_id": str(file_id), "pages": pages, "characters": characters}


def read_aloud(ctx: JobContext) -> dict[str, Any]:
    """``speech``: the task's pages spoken with its voice, one WAV per page
    (``page-0001.wav``...) or one joined ``speech.wav``; summary: pages, voice, seconds."""
    from shared.speech.piper import get_synthesizer

    repo = media_repository()
    task = repo.get_speech_task(ctx.job.owner, ctx.job_id)
    if task is None or task.file_id is None:
        raise JobInputError("the document to read was deleted")
    synthesizer = get_synthesizer(task.voice)
    total = task.last_page - task.first_page + 1
    ctx.checkpoint(0)
    with _downloaded_pdf(ctx.job.owner, task.file_id) as pdf:
        pages = iter_page_texts(pdf, task.first_page, task.last_page)
        try:
            if task.joined:
                seconds = _read_joined(ctx, pages, synthesizer, total)
            else:
                seconds = _read_per_page(ctx, pages, synthesizer, total, task.outputs)
        except PdfUnreadableError as exc:
            raise JobInputError(str(exc)) from exc
    return {"pages": total, "voice": task.voice, "joined": task.joined, "seconds": seconds}


def _read_per_page(
    ctx: JobContext,
    pages: Iterator[tuple[int, str]],
    synthesizer: Any,
    total: int,
    done_before: dict[str, dict[str, Any]],
) -> float:
    repo = media_repository()
    seconds = 0.0
    for done, (number, text) in enumerate(pages, start=1):
        earlier = done_before.get(str(number))
        if earlier is not None:  # spoken by an earlier attempt of this job
            ctx.files.append(ResultFile(**earlier))
        else:
            audio = synthesizer.synthesize(text)
            seconds += audio.seconds
            stored = ctx.store_result(f"page-{number:04d}.wav", audio.wav(), "audio/wav")
            repo.record_speech_page(ctx.job.owner, ctx.job_id, done, number, stored.as_json())
        ctx.checkpoint(_progress(done, total))
    return round(seconds, 3)


def _read_joined(
    ctx: JobContext, pages: Iterator[tuple[int, str]], synthesizer: Any, total: int
) -> float:
    from shared.speech.synthesizer import SAMPLE_WIDTH, open_wav_writer

    repo = media_repository()
    frames = 0
    with tempfile.TemporaryFile(prefix="job-wav-") as wav_file:
        writer = open_wav_writer(wav_file, synthesizer.sample_rate)
        try:
            for done, (_number, text) in enumerate(pages, start=1):
                for pcm in synthesizer.stream(text):
                    writer.writeframes(pcm)
                    frames += len(pcm) // SAMPLE_WIDTH
                repo.record_speech_page(ctx.job.owner, ctx.job_id, done, None, None)
                ctx.checkpoint(_progress(done, total))
        finally:
            writer.close()  # writes the final sizes into the header
        ctx.store_result(JOINED_RESULT, wav_file, "audio/wav")
    return round(frames / int(synthesizer.sample_rate), 3)
