"""Event-driven job executions, the way Azure Container Apps jobs run them (KEDA ScaledJob with
an ``azure-queue`` scale rule), so ``make run`` reproduces the cloud topology on one machine.

Contract:

* Configuration comes from app settings (``local.settings.json`` or the environment), the same
  names the app and the Bicep template read: each ``JOB_QUEUE_<KIND>`` defines a job kind and
  its queue, ``JOB_MAX_EXECUTIONS_<KIND>`` its ``maxExecutions`` (0 or absent: the kind is not
  run as a job here, e.g. it runs as a queue-triggered function), and
  ``JOB_POLLING_INTERVAL_SECONDS`` the ``pollingInterval`` (seconds here; a minute or 30 s in the
  cloud). The scaler runs only for a script root that has the job entry point
  (``jobs/__main__.py``) and unless ``DEVHOST_JOBS_ENABLED`` is false.
* Every polling interval, for each kind: the queue's approximate length (visible and invisible
  messages, as KEDA's default ``queueLengthStrategy: all``) and the executions still running
  give ``min(maxExecutions, length) - running`` new executions (one message per execution, i.e.
  ``queueLength: 1``): each is ``python -m jobs run <kind>`` in the script root, with devhost's
  environment, its output going to devhost's.
* :meth:`JobScaler.stop` stops polling, sends SIGTERM to every running execution (they stop at
  their job's next checkpoint and hand it back), waits up to the grace period, then SIGKILLs
  whatever is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.storage.queue import ExponentialRetry, QueueClient

logger = logging.getLogger(__name__)

QUEUE_PREFIX = "JOB_QUEUE_"
MAX_EXECUTIONS_PREFIX = "JOB_MAX_EXECUTIONS_"
POLLING_SETTING = "JOB_POLLING_INTERVAL_SECONDS"
ENABLED_SETTING = "DEVHOST_JOBS_ENABLED"
ENTRY_POINT = Path("jobs") / "__main__.py"
DEFAULT_POLLING_INTERVAL = 30.0  # Container Apps' default pollingInterval


@dataclass(frozen=True)
class JobDefinition:
    """One Container Apps job: its kind, queue and maximum parallel executions."""

    kind: str
    queue: str
    max_executions: int


@dataclass(frozen=True)
class ScalerConfig:
    """Every job devhost runs and how often it polls their queues."""

    jobs: tuple[JobDefinition, ...]
    polling_interval: float

    @classmethod
    def from_settings(cls, environ: Mapping[str, str], script_root: Path) -> ScalerConfig | None:
        """The configuration in ``environ``, or None when no job is to run (see module doc)."""
        if environ.get(ENABLED_SETTING, "true").strip().lower() in {"0", "false", "no", "off"}:
            return None
        if not (script_root / ENTRY_POINT).is_file():
            return None
        jobs = []
        for name, queue in sorted(environ.items()):
            if not name.startswith(QUEUE_PREFIX) or not queue.strip():
                continue
            suffix = name.removeprefix(QUEUE_PREFIX)
            raw = environ.get(MAX_EXECUTIONS_PREFIX + suffix, "0").strip() or "0"
            if int(raw) > 0:
                jobs.append(JobDefinition(suffix.lower(), queue.strip(), int(raw)))
        polling = float(environ.get(POLLING_SETTING, "") or DEFAULT_POLLING_INTERVAL)
        return cls(tuple(jobs), max(polling, 0.1)) if jobs else None


def executions_to_start(queue_length: int, running: int, max_executions: int) -> int:
    """KEDA ScaledJob's default strategy with one message per execution."""
    return max(0, min(max_executions, queue_length) - running)


class JobScaler:
    """Polls job queues and starts executions; see the module docstring."""

    def __init__(
        self,
        config: ScalerConfig,
        connection_string: str,
        script_root: Path,
        io_pool: Executor,
    ) -> None:
        self._config = config
        self._root = script_root
        self._io_pool = io_pool
        options: dict[str, Any] = {
            "retry_policy": ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=1),
            "connection_timeout": 5,
            "read_timeout": 10,
        }
        self._queues = {
            job.kind: QueueClient.from_connection_string(connection_string, job.queue, **options)
            for job in config.jobs
        }
        self._running: dict[str, set[asyncio.subprocess.Process]] = {
            j.kind: set() for j in config.jobs
        }
        self._stopping = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._reapers: set[asyncio.Task[None]] = set()  # referenced until done (asyncio docs)

    @property
    def config(self) -> ScalerConfig:
        return self._config

    def start(self) -> None:
        """Begin polling in a background task."""
        kinds = ", ".join(
            f"{j.kind} ({j.queue}, max {j.max_executions})" for j in self._config.jobs
        )
        logger.info("Job scaler: polling every %.1f s: %s", self._config.polling_interval, kinds)
        self._poller = asyncio.create_task(self._poll(), name="job scaler")

    async def _poll(self) -> None:
        while not self._stopping.is_set():
            for job in self._config.jobs:
                await self._scale(job)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._config.polling_interval)

    async def _queue_length(self, job: JobDefinition) -> int:
        client = self._queues[job.kind]
        loop = asyncio.get_running_loop()
        try:
            properties = await loop.run_in_executor(self._io_pool, client.get_queue_properties)
        except ResourceNotFoundError:
            return 0  # nothing was ever submitted
        except AzureError as exc:
            logger.warning("Job scaler: queue '%s' unreachable: %s", job.queue, exc)
            return 0
        return int(properties.approximate_message_count or 0)

    async def _scale(self, job: JobDefinition) -> None:
        running = self._running[job.kind]
        running -= {p for p in running if p.returncode is not None}
        length = await self._queue_length(job)
        for _ in range(executions_to_start(length, len(running), job.max_executions)):
            if self._stopping.is_set():
                return
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "jobs", "run", job.kind, cwd=self._root, env=dict(os.environ)
            )
            running.add(process)
            logger.info(
                "Job scaler: started %s execution (pid %d; queue length %d, running %d)",
                job.kind,
                process.pid,
                length,
                len(running),
            )
            reaper = asyncio.create_task(self._reap(job.kind, process))
            self._reapers.add(reaper)
            reaper.add_done_callback(self._reapers.discard)

    async def _reap(self, kind: str, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        log = logger.info if code == 0 else logger.warning
        log("Job scaler: %s execution (pid %d) exited with %d", kind, process.pid, code)

    async def stop(self, grace: float) -> None:
        """Stop polling; SIGTERM the executions, wait up to ``grace`` s, then SIGKILL."""
        self._stopping.set()
        if self._poller is not None:
            await self._poller
        processes = [p for group in self._running.values() for p in group if p.returncode is None]
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        if processes:
            logger.info(
                "Job scaler: waiting up to %.0f s for %d execution(s)", grace, len(processes)
            )
            await asyncio.wait([asyncio.create_task(p.wait()) for p in processes], timeout=grace)
            for process in processes:
                if process.returncode is None:
                    logger.warning("Job scaler: execution pid %d did not stop: killed", process.pid)
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await process.wait()
        await asyncio.gather(*self._reapers, return_exceptions=True)
        for client in self._queues.values():
            client.close()
