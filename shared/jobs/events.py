"""A job's progress as Server-Sent Events, for clients that watch instead of polling.

``job_events`` sends a ``job`` event (the job as ``GET /api/jobs/{id}`` shows it) at once and then
each time the job changes, and ends after the event that shows it finished (succeeded, failed,
cancelled). Between changes it sends an SSE comment every ``HEARTBEAT_SECONDS`` so that proxies
keep the connection open. It polls the jobs table (one indexed read per ``POLL_SECONDS``) on a
worker thread and holds no thread while it waits.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

from shared.http.executor import run_blocking
from shared.http.streams import sse_event
from shared.jobs import service
from shared.jobs.api import JobView

POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 15.0


async def job_events(owner: str, job_id: uuid.UUID) -> AsyncIterator[bytes]:
    """The events of the owner's job until it ends (see the module docstring)."""
    last: str | None = None
    quiet_since = time.monotonic()
    while True:
        job = await run_blocking(service.get_job, owner, job_id)
        view = JobView.of(job).model_dump_json(by_alias=True)
        if view != last:
            last = view
            quiet_since = time.monotonic()
            yield sse_event(view, event="job")
            if job.status.is_terminal:
                return
        elif time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
            quiet_since = time.monotonic()
            yield b": still running\n\n"
        await asyncio.sleep(POLL_SECONDS)
