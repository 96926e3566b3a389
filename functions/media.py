"""Media endpoints: upload, read, download and delete files; extract a PDF's text and read it
aloud as jobs (202 + ``Location: /api/jobs/{id}``). The ``extract`` job kind also runs here as a
queue-triggered function (short work needs no Container Apps job). Logic: ``shared/media``.
"""

from __future__ import annotations

from urllib.parse import quote

import azure.functions as func
from pydantic import BaseModel, Field

from functions.jobs import as_uuid, route_uuid
from shared.auth import Scope
from shared.config import get_settings
from shared.errors import BadRequestError, PayloadTooLargeError
from shared.http import body_bytes, endpoint, json_response, parse_body, parse_query
from shared.idempotency import idempotent, idempotent_message
from shared.idempotency.keys import request_key
from shared.identity import current_owner
from shared.jobs.api import JobView, accepted_response
from shared.media import service
from shared.media.api import (
    FileListQuery,
    FileListResponse,
    FileView,
    SpeechRequest,
    UploadResponse,
)

bp = func.Blueprint()  # type: ignore[no-untyped-call]

# Room for the multipart framing around the file (boundaries, part headers, small fields).
MULTIPART_OVERHEAD = 64 * 1024


class UploadForm(BaseModel):
    """``multipart/form-data``: the file in part ``file``; optional ``name`` and ``collection``."""

    file: bytes = Field(description="the file (its type is sniffed from the bytes)")
    name: str | None = Field(default=None, description="display name (default: the filename)")
    collection: str | None = Field(default=None, description="id of a collection to add it to")


@bp.route(route="media/upload", methods=["POST"])
@endpoint(
    "Upload a file (multipart/form-data; at most MAX_FILE_SIZE bytes)",
    request=UploadForm,
    request_media_type="multipart/form-data",
    response=UploadResponse,
    status=201,
    errors=(404,),
    tags=("media",),
    scope=Scope.FILES,
)
@idempotent()
def media_upload(req: func.HttpRequest) -> func.HttpResponse:
    from shared.media.multipart import parse_form

    limit = get_settings().max_file_size
    # Content-Length is checked before the body is read (body_bytes), then the file part itself.
    parts = parse_form(body_bytes(req, limit + MULTIPART_OVERHEAD), req.headers.get("content-type"))
    file_part = parts.get("file")
    if file_part is None or file_part.filename is None:
        raise BadRequestError("the form has no file part named 'file'")
    if file_part.size > limit:
        raise PayloadTooLargeError(f"the file is {file_part.size} bytes; the limit is {limit}")
    name = parts["name"].text() if "name" in parts else file_part.filename
    collection = as_uuid(parts["collection"].text()) if "collection" in parts else None
    record, created = service.upload_file(current_owner(), file_part.data(), name, collection)
    body = UploadResponse(**FileView.of(record).model_dump(), deduplicated=not created)
    return json_response(body, status=201 if created else 200)


@bp.route(route="media", methods=["GET"])
@endpoint(
    "The caller's files, newest first",
    query=FileListQuery,
    response=FileListResponse,
    errors=(404,),
    tags=("media",),
    scope=Scope.FILES,
)
def media_list(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_query(req, FileListQuery)
    records = service.list_files(current_owner(), query.collection, query.limit)
    return json_response(FileListResponse(items=[FileView.of(r) for r in records]))


@bp.route(route="media/{id:guid}", methods=["GET"])
@endpoint("A file's metadata", response=FileView, errors=(404,), tags=("media",), scope=Scope.FILES)
def media_get(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(FileView.of(service.get_file(current_owner(), route_uuid(req))))


@bp.route(route="media/{id:guid}/content", methods=["GET"])
@endpoint(
    "Download a file",
    errors=(404,),
    tags=("media",),
    response_media_type="application/octet-stream",
    scope=Scope.FILES,
)
def media_content(req: func.HttpRequest) -> func.HttpResponse:
    record, data = service.read_file(current_owner(), route_uuid(req))
    return func.HttpResponse(
        data,
        status_code=200,
        mimetype=record.content_type,
        headers={"Content-Disposition": content_disposition(record.name)},
    )


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 8187)."""
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@bp.route(route="media/{id:guid}", methods=["DELETE"])
@endpoint("Delete a file", status=204, errors=(404,), tags=("media",), scope=Scope.FILES)
@idempotent()
def media_delete(req: func.HttpRequest) -> func.HttpResponse:
    service.delete_file(current_owner(), route_uuid(req))
    return func.HttpResponse(status_code=204)


@bp.route(route="media/{id:guid}/extract", methods=["POST"])
@endpoint(
    "Extract the text of every page of a PDF (a job; result: pages.jsonl)",
    response=JobView,
    status=202,
    errors=(404, 422, 429, 503),
    tags=("media", "jobs"),
    scope=Scope.FILES,
)
@idempotent()
def media_extract(req: func.HttpRequest) -> func.HttpResponse:
    from shared.media.documents import submit_extraction

    job, _ = submit_extraction(current_owner(), route_uuid(req), request_key(req))
    return accepted_response(job)


@bp.route(route="media/{id:guid}/speech", methods=["POST"])
@endpoint(
    "Read pages of a PDF aloud (a job; one WAV per page or one joined WAV)",
    request=SpeechRequest,
    response=JobView,
    status=202,
    errors=(404, 422, 429, 503),
    tags=("media", "jobs"),
    scope=Scope.FILES,
)
@idempotent()
def media_speech(req: func.HttpRequest) -> func.HttpResponse:
    from shared.media.documents import submit_speech

    body = parse_body(req, SpeechRequest) if req.get_body() else SpeechRequest()
    job, _ = submit_speech(
        current_owner(),
        route_uuid(req),
        first_page=body.first_page,
        last_page=body.last_page,
        voice=body.voice,
        joined=body.joined,
        idempotency_key=request_key(req),
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
