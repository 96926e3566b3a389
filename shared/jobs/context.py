"""What a job handler sees: its job, checkpoints, and a place for its result files.

A handler is ``Callable[[JobContext], dict | None]``. It calls :meth:`JobContext.checkpoint`
between units of work (a page, a batch): that records progress, renews the lease and is where
the job stops when it was cancelled (JobCancelledError), when the worker is stopping
(JobInterruptedError) or when another worker took it over (JobLeaseLostError). It stores result
files with :meth:`JobContext.store_result` and returns a JSON-able summary for ``jobs.result``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from shared.jobs.exceptions import JobCancelledError, JobInterruptedError, JobLeaseLostError
from shared.jobs.models import Job
from shared.jobs.results import ResultFile, store_result

if TYPE_CHECKING:
    from shared.jobs.repository import JobRepository

logger = logging.getLogger(__name__)

Handler = Callable[["JobContext"], dict[str, Any] | None]


class JobLease:
    """One worker's claim on a job: renews it (row and, through ``renew_message``, the queue
    message) and remembers whether cancellation was requested or the claim was lost."""

    def __init__(
        self,
        repo: JobRepository,
        job_id: uuid.UUID,
        token: uuid.UUID,
        lease_seconds: float,
        renew_message: Callable[[], None] | None = None,
    ) -> None:
        self.repo = repo
        self.job_id = job_id
        self.token = token
        self.lease_seconds = lease_seconds
        self._renew_message = renew_message
        self.cancelled = threading.Event()
        self.lost = threading.Event()

    def renew(self, progress: int | None = None) -> None:
        """Extend the row's lease (recording ``progress``); the message's too when asked."""
        flag = self.repo.heartbeat(self.job_id, self.token, self.lease_seconds, progress)
        if flag is None:
            self.lost.set()
        elif flag:
            self.cancelled.set()

    def renew_all(self) -> None:
        """Renew the row first, then the message: the message then stays invisible a little
        longer than the row is leased, so a redelivery finds the lease expired, not busy."""
        self.renew()
        if self._renew_message is not None and not self.lost.is_set():
            self._renew_message()


class JobContext:
    """Passed to a job handler; see the module docstring."""

    def __init__(
        self,
        job: Job,
        lease: JobLease,
        stopping: threading.Event,
        *,
        min_write_interval: float = 1.0,
    ) -> None:
        self.job = job
        self.files: list[ResultFile] = []
        self._lease = lease
        self._stopping = stopping
        self._min_interval = min_write_interval
        self._last_write = 0.0
        self._last_progress = job.progress

    @property
    def job_id(self) -> uuid.UUID:
        return self.job.id

    def checkpoint(self, progress: int | None = None) -> None:
        """Record ``progress`` (0-100) and stop here if the job must stop (see module doc).

        Writes to the row at most once per ``min_write_interval`` unless progress changed, so a
        handler may call it for every small unit of work.
        """
        if self._stopping.is_set():
            raise JobInterruptedError("the worker is stopping")
        if progress is not None:
            progress = max(0, min(100, int(progress)))
        now = time.monotonic()
        changed = progress is not None and progress != self._last_progress
        if changed or now - self._last_write >= self._min_interval:
            self._lease.renew(progress)
            self._last_write = now
            self._last_progress = progress if progress is not None else self._last_progress
        if self._lease.lost.is_set():
            raise JobLeaseLostError(f"job {self.job.id} was claimed by another worker")
        if self._lease.cancelled.is_set():
            raise JobCancelledError(f"job {self.job.id} was cancelled")

    def store_result(self, name: str, data: bytes | IO[bytes], content_type: str) -> ResultFile:
        """Store a result file (overwriting one of the same name) and list it in the result."""
        stored = store_result(self.job.id, name, data, content_type)
        self.files = [f for f in self.files if f.name != name] + [stored]
        return stored
