"""Media endpoints: upload (streamed to storage), read, download (Range, ETag) and delete files;
extract a PDF's text and read it aloud as jobs (202 + ``Location: /api/jobs/{id}``). The
``extract`` job kind also runs here as a queue-triggered function (short work needs no Container
Apps job). Logic: ``shared/media``.
"""

from __future__ import annotations

import uuid

import azure.functions as func
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from shared.auth import Principal, Scope
from shared.config import get_settings
from shared.http import HttpCall, parse_body
from shared.http.api import Api, Reply
from shared.http.downloads import blob_download
from shared.idempotency import idempotent_message
from shared.jobs.api import JobView, accepted_response
from shared.media import service
from shared.media.api import (
    FileListQuery,
    FileListResponse,
    FileView,
    SpeechRequest,
    UploadResponse,
)

api = Api(tags=("media",), scope=Scope.FILES)
bp = api.blueprint


class UploadForm(BaseModel):
    """``multipart/form-data``: the file in part ``file``; optional ``name`` and ``collection``."""

    file: bytes = Field(description="the file (its type is sniffed from the bytes)")
    name: str | None = Field(default=None, description="display name (default: the filename)")
    collection: str | None = Field(default=None, description="id of a collection to add it to")


@api.post(
    "media/upload",
    "Upload a file (multipart/form-data; at most MAX_FILE_SIZE bytes), streamed to storage",
    request=UploadForm,
    request_media_type="multipart/form-data",
    response=UploadResponse,
    status=201,
    also=((200, UploadResponse),),
    errors=(404, 413, 415, 422),
    streamed_body=True,
)
async def media_upload(request: Request, caller: Principal) -> Reply:
    from shared.media.uploads import receive_upload

    limit = get_settings().max_file_size
    record, created = await receive_upload(caller.owner, request, limit)
    body = UploadResponse(**FileView.of(record).model_dump(), deduplicated=not created)
    return Reply(body, status=201 if created else 200)


@api.get("media", "The caller's files, newest first", errors=(400, 404))
def media_list(query: FileListQuery, caller: Principal) -> FileListResponse:
    records = service.list_files(caller.owner, query.collection, query.limit)
    return FileListResponse(items=[FileView.of(r) for r in records])


@api.get("media/{file_id}", "A file's metadata", errors=(404,))
def media_get(file_id: uuid.UUID, caller: Principal) -> FileView:
    return FileView.of(service.get_file(caller.owner, file_id))


@api.get(
    "media/{file_id}/content",
    "Download a file (Range, ETag / If-None-Match)",
    errors=(404, 416),
    response_media_type="application/octet-stream",
)
def media_content(file_id: uuid.UUID, call: HttpCall, caller: Principal) -> Response:
    record, blob = service.file_blob(caller.owner, file_id)
    return blob_download(call, blob, filename=record.name, content_type=record.content_type)


@api.delete("media/{file_id}", "Delete a file", status=204, errors=(404,))
def media_delete(file_id: uuid.UUID, caller: Principal) -> None:
    service.delete_file(caller.owner, file_id)


@api.post(
    "media/{file_id}/extract",
    "Extract the text of every page of a PDF (a job; result: pages.jsonl)",
    response=JobView,
    status=202,
    errors=(404, 422, 429, 503),
    tags=("media", "jobs"),
)
def media_extract(file_id: uuid.UUID, caller: Principal, idempotency_key: str | None) -> Response:
    from shared.media.documents import submit_extraction

    job, _ = submit_extraction(caller.owner, file_id, idempotency_key)
    return accepted_response(job)


@api.post(
    "media/{file_id}/speech",
    "Read pages of a PDF aloud (a job; one WAV per page or one joined WAV)",
    request=SpeechRequest,
    response=JobView,
    status=202,
    errors=(404, 422, 429, 503),
    tags=("media", "jobs"),
)
def media_speech(
    file_id: uuid.UUID, call: HttpCall, caller: Principal, idempotency_key: str | None
) -> Response:
    from shared.media.documents import submit_speech

    # The body is optional: no body reads every page with the default voice.
    body = parse_body(call, SpeechRequest) if call.get_body() else SpeechRequest()
    job, _ = submit_speech(
        caller.owner,
        file_id,
        first_page=body.first_page,
        last_page=body.last_page,
        voice=body.voice,
        joined=body.joined,
        idempotency_key=idempotency_key,
    )
    return accepted_response(job)


@bp.queue_trigger(
    arg_name="msg", queue_name="%JOB_QUEUE_EXTRACT%", connection="AzureWebJobsStorage"
)
@idempotent_message()
def media_extract_job(msg: func.QueueMessage) -> None:
    """The ``extract`` job kind as a queue-triggered function (same handler as ``python -m jobs
    run extract``).

    ``@idempotent_message``: a duplicate delivery of a finished message is acknowledged without
    touching the job row."""
    from shared.jobs.queues import EXTRACT
    from shared.jobs.trigger import run_job_message
    from shared.media.handlers import extract_text

    run_job_message(msg, EXTRACT, extract_text)
