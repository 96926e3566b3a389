"""Jobs endpoints: a caller's long-running jobs (status, progress as it happens, results) and
cancellation.

Jobs are submitted by the features that own them (e.g. ``POST /api/media/{id}/speech``); the
logic is in ``shared/jobs``.
"""

from __future__ import annotations

import uuid

from starlette.responses import Response

from shared.auth import Principal
from shared.http import HttpCall
from shared.http.api import Api
from shared.http.downloads import blob_download
from shared.http.streams import SSE_HEADERS, StreamedResponse
from shared.jobs import service
from shared.jobs.api import JobListQuery, JobListResponse, JobView
from shared.jobs.depths import QueueDepthsResponse, queue_depths

api = Api(tags=("jobs",))  # a job is its owner's: any valid credential
bp = api.blueprint


@api.get("jobs/{job_id}", "A job: status, progress, result links", errors=(404,))
def jobs_get(job_id: uuid.UUID, caller: Principal) -> JobView:
    return JobView.of(service.get_job(caller.owner, job_id))


@api.get(
    "jobs/{job_id}/events",
    "A job's progress as Server-Sent Events: a `job` event with the job each time it changes,"
    " until it ends",
    errors=(404,),
    response_media_type="text/event-stream",
)
def jobs_events(job_id: uuid.UUID, caller: Principal) -> Response:
    from shared.jobs.events import job_events

    service.get_job(caller.owner, job_id)  # 404 before the stream starts
    return StreamedResponse(
        job_events(caller.owner, job_id), media_type="text/event-stream", headers=SSE_HEADERS
    )


@api.get("jobs", "The caller's jobs, newest first (paginated)", errors=(400,))
def jobs_list(query: JobListQuery, caller: Principal) -> JobListResponse:
    jobs, next_cursor = service.list_jobs(
        caller.owner,
        status=query.status,
        kind=query.kind,
        limit=query.limit,
        cursor=query.cursor,
    )
    return JobListResponse(items=[JobView.of(job) for job in jobs], next_cursor=next_cursor)


@api.delete(
    "jobs/{job_id}",
    "Cancel a job (pending: never starts; running: stops at its next checkpoint)",
    status=202,
    errors=(404, 409),
)
def jobs_cancel(job_id: uuid.UUID, caller: Principal) -> JobView:
    return JobView.of(service.cancel_job(caller.owner, job_id))


@api.get(
    "jobs/{job_id}/results/{name}",
    "Download a result file of a job (Range, ETag / If-None-Match)",
    errors=(404, 416),
    response_media_type="application/octet-stream",
)
def jobs_result(job_id: uuid.UUID, name: str, call: HttpCall, caller: Principal) -> Response:
    blob, content_type = service.job_result_blob(caller.owner, job_id, name)
    return blob_download(call, blob, filename=name, content_type=content_type)


@api.get(
    "jobs/queues", "Messages waiting on each job kind's queue and its poison queue", errors=(503,)
)
def jobs_queues() -> QueueDepthsResponse:
    return queue_depths()
