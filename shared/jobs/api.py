"""The jobs API's request and response models (the OpenAPI document is built from them)."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from starlette.responses import Response

from shared.errors import BadRequestError
from shared.hostconfig import route_prefix
from shared.http import json_response
from shared.jobs.models import Job, JobStatus


def job_path(job_id: uuid.UUID) -> str:
    """The URL path of a job (the ``Location`` of a submission)."""
    prefix = route_prefix().strip("/")
    return f"/{prefix}/jobs/{job_id}" if prefix else f"/jobs/{job_id}"


class ResultLink(BaseModel):
    """A result file of a job and where to download it."""

    name: str
    content_type: str
    size: int
    href: str


class JobView(BaseModel):
    """A job as its owner sees it: state, progress, input, outcome and result links."""

    id: uuid.UUID
    kind: str
    status: JobStatus
    progress: int = Field(ge=0, le=100)
    attempts: int
    cancel_requested: bool
    input: dict[str, Any]
    result: dict[str, Any] | None = Field(
        default=None, description="the handler's summary (result files are in `results`)"
    )
    results: list[ResultLink] = Field(default_factory=list)
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    href: str

    @classmethod
    def of(cls, job: Job) -> JobView:
        href = job_path(job.id)
        summary = dict(job.result or {})
        files = summary.pop("files", []) or []
        links = [
            ResultLink(
                name=f["name"],
                content_type=f["content_type"],
                size=f["size"],
                href=f"{href}/results/{f['name']}",
            )
            for f in files
        ]
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            progress=job.progress,
            attempts=job.attempts,
            cancel_requested=job.cancel_requested,
            input=job.input,
            result=summary if job.result is not None else None,
            results=links,
            error=job.error,
            created_at=job.created_at,
            updated_at=job.updated_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            href=href,
        )


class JobListQuery(BaseModel):
    """``GET /api/jobs`` query: filters and keyset pagination."""

    status: JobStatus | None = None
    kind: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]{0,31}$")
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)

    @field_validator("status", "kind", "cursor", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: object) -> object:
        # ``?status=&kind=`` means "no filter", as HTML forms send it.
        return None if value == "" else value


class JobListResponse(BaseModel):
    """A page of the caller's jobs, newest first; pass ``next_cursor`` as ``cursor`` for more."""

    items: list[JobView]
    next_cursor: str | None = None


def encode_cursor(job: Job) -> str:
    """An opaque cursor positioned after ``job``."""
    raw = f"{job.created_at.isoformat()}|{job.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The keyset a cursor stands for; 400 when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, job_id = raw.partition("|")
        return datetime.fromisoformat(created), uuid.UUID(job_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequestError("invalid cursor; use the next_cursor of a previous page") from None


def accepted_response(job: Job) -> Response:
    """``202 Accepted`` with the job and ``Location: /api/jobs/{id}``. A repeated submission (same
    Idempotency-Key) gets the same answer for the same job."""
    return json_response(JobView.of(job), status=202, headers={"Location": job_path(job.id)})
