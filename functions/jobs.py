"""Jobs endpoints: a caller's long-running jobs (status, progress, results) and cancellation.

Jobs are submitted by the features that own them (e.g. ``POST /api/media/{id}/speech``); the
logic is in ``shared/jobs``.
"""

from __future__ import annotations

import uuid

import azure.functions as func

from shared.errors import NotFoundError
from shared.http import endpoint, json_response, parse_query
from shared.idempotency import idempotent
from shared.identity import current_owner
from shared.jobs import service
from shared.jobs.api import JobListQuery, JobListResponse, JobView

bp = func.Blueprint()  # type: ignore[no-untyped-call]


def as_uuid(raw: str) -> uuid.UUID:
    """An id from a route or form field; 404 when it is not a UUID (no such resource exists)."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFoundError(f"no resource {raw[:64]!r}") from None


def route_uuid(req: func.HttpRequest, name: str = "id") -> uuid.UUID:
    """Route parameter ``name`` as a UUID (see :func:`as_uuid`)."""
    return as_uuid(req.route_params.get(name, ""))


@bp.route(route="jobs/{id:guid}", methods=["GET"])
@endpoint("A job: status, progress, result links", response=JobView, errors=(404,), tags=("jobs",))
def jobs_get(req: func.HttpRequest) -> func.HttpResponse:
    job = service.get_job(current_owner(), route_uuid(req))
    return json_response(JobView.of(job))


@bp.route(route="jobs", methods=["GET"])
@endpoint(
    "The caller's jobs, newest first (paginated)",
    query=JobListQuery,
    response=JobListResponse,
    errors=(400,),
    tags=("jobs",),
)
def jobs_list(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_query(req, JobListQuery)
    jobs, next_cursor = service.list_jobs(
        current_owner(),
        status=query.status,
        kind=query.kind,
        limit=query.limit,
        cursor=query.cursor,
    )
    body = JobListResponse(items=[JobView.of(job) for job in jobs], next_cursor=next_cursor)
    return json_response(body)


@bp.route(route="jobs/{id:guid}", methods=["DELETE"])
@endpoint(
    "Cancel a job (pending: never starts; running: stops at its next checkpoint)",
    response=JobView,
    status=202,
    errors=(404, 409),
    tags=("jobs",),
)
@idempotent()
def jobs_cancel(req: func.HttpRequest) -> func.HttpResponse:
    job = service.cancel_job(current_owner(), route_uuid(req))
    return json_response(JobView.of(job), status=202)


@bp.route(route="jobs/{id:guid}/results/{name}", methods=["GET"])
@endpoint(
    "Download a result file of a job",
    errors=(404,),
    tags=("jobs",),
    response_media_type="application/octet-stream",
)
def jobs_result(req: func.HttpRequest) -> func.HttpResponse:
    name = req.route_params.get("name", "")
    data, content_type = service.read_job_result(current_owner(), route_uuid(req), name)
    return func.HttpResponse(
        data,
        status_code=200,
        mimetype=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
