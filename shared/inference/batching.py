"""Micro-batching: concurrent requests share one model call instead of queueing for the model.

A model call costs a fixed overhead plus a little per text, so 16 requests of one sentence run
much faster as one batch of 16 than as 16 calls. ``MicroBatcher.submit`` puts the caller's texts
on a queue and blocks; one worker thread takes the first waiting job, gathers more until it holds
``max_batch`` texts or ``max_wait`` has passed since it took the first, runs ``process`` once on
all of them and hands each caller its slice of the result.

Timeline with max_wait = 2 ms, requests A, B, C from three threads::

    t=0.0  A submits 1 text      worker takes A, waits for more until t=2.0
    t=0.4  B submits 1 text      gathered
    t=1.1  C submits 3 texts     gathered
    t=2.0  worker runs process([A, B, C texts]) once; A, B, C each get their rows

The gathering window opens only while callers are concurrent (the previous call served more than
one job): a lone caller is served at once instead of paying ``max_wait`` for company that does
not come. When load arrives, the first call runs alone, the callers that queued meanwhile make the
next call a batch, and from then on each call waits for its window.

A job larger than ``max_batch`` runs as it is (``process`` cuts it into model batches). An
exception in ``process`` is raised in every caller whose texts were in that call.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, Self, TypeVar

logger = logging.getLogger(__name__)


class Sliceable(Protocol):
    """A result for many items that can be cut back into one result per caller."""

    def slice(self, start: int, stop: int) -> Self: ...


ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT", bound=Sliceable)


@dataclass
class _Job(Generic[ItemT, ResultT]):
    items: Sequence[ItemT]
    future: Future[ResultT] = field(default_factory=Future)
    submitted: float = field(default_factory=time.monotonic)


@dataclass
class BatchStats:
    """Counters since start: model calls, items processed, the largest call."""

    calls: int = 0
    items: int = 0
    largest: int = 0


class MicroBatcher(Generic[ItemT, ResultT]):
    """See the module docstring. Thread-safe; the worker thread starts on the first submit."""

    def __init__(
        self,
        process: Callable[[list[ItemT]], ResultT],
        *,
        max_batch: int,
        max_wait_seconds: float,
        name: str = "micro-batcher",
    ) -> None:
        self._process = process
        self.max_batch = max_batch
        self.max_wait_seconds = max_wait_seconds
        self._name = name
        self._queue: queue.SimpleQueue[_Job[ItemT, ResultT]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.stats = BatchStats()
        self._concurrent = False  # did the last call serve more than one caller?

    def submit(self, items: Sequence[ItemT]) -> ResultT:
        """Process ``items`` together with whatever other callers submit meanwhile."""
        self._ensure_worker()
        job: _Job[ItemT, ResultT] = _Job(items)
        self._queue.put(job)
        return job.future.result()

    def _ensure_worker(self) -> None:
        if self._worker is not None:
            return
        with self._start_lock:
            if self._worker is None:
                worker = threading.Thread(target=self._run, name=self._name, daemon=True)
                worker.start()
                self._worker = worker

    def _run(self) -> None:
        while True:
            jobs = self._gather(self._queue.get())
            self._call(jobs)

    def _gather(self, first: _Job[ItemT, ResultT]) -> list[_Job[ItemT, ResultT]]:
        jobs, count = [first], len(first.items)
        window = self.max_wait_seconds if self._concurrent else 0.0
        deadline = time.monotonic() + window
        while count < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                job = (
                    self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get(False)
                )
            except queue.Empty:
                break
            jobs.append(job)
            count += len(job.items)
        self._concurrent = len(jobs) > 1
        return jobs

    def _call(self, jobs: list[_Job[ItemT, ResultT]]) -> None:
        items = [item for job in jobs for item in job.items]
        _record_batch(self._name, jobs, len(items))
        try:
            result = self._process(items)
        except BaseException as exc:  # handed to the callers, who re-raise it
            for job in jobs:
                job.future.set_exception(exc)
            return
        self.stats.calls += 1
        self.stats.items += len(items)
        self.stats.largest = max(self.stats.largest, len(items))
        start = 0
        for job in jobs:
            job.future.set_result(result.slice(start, start + len(job.items)))
            start += len(job.items)


def _record_batch(name: str, jobs: list[_Job[Any, Any]], size: int) -> None:
    """The batch's size, and how long each caller waited for it to start."""
    from shared.telemetry.metrics import instruments

    metrics, now = instruments(), time.monotonic()
    labels = {"platform.batcher": name}
    metrics.batch_size.record(size, labels)
    for job in jobs:
        metrics.batch_wait.record(now - job.submitted, labels)
