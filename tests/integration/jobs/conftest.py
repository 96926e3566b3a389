"""Fixtures for job tests against the real PostgreSQL, Azurite and Redis: a private queue per
test, jobs created straight in the table, and a worker subprocess that can be killed."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from shared.config import Settings, get_settings, reset_settings

ROOT = Path(__file__).resolve().parents[3]
# Short leases so that "after the visibility timeout" takes seconds, not a minute.
FAST_JOBS = {
    "JOB_VISIBILITY_TIMEOUT_SECONDS": "3",
    "JOB_VISIBILITY_RENEW_SECONDS": "1",
    "JOB_RETRY_DELAY_SECONDS": "0",
    "JOB_MAX_ATTEMPTS": "2",
    "JOB_STORAGE_OUTAGE_SECONDS": "40",
}


@dataclass
class JobQueue:
    """A private queue (and its poison queue) for one test, and the settings to use it."""

    name: str
    record: Path
    env: dict[str, str] = field(default_factory=dict)
    owner: str = field(default_factory=lambda: f"key:test-{uuid.uuid4().hex[:12]}")

    def create_job(self, kind: str = "test", job_input: dict[str, Any] | None = None) -> uuid.UUID:
        """A pending job row (owned by this test) and its message on the queue."""
        from shared.jobs.queues import send_job_message
        from shared.jobs.service import job_repository
        from shared.stores.storage import get_queue

        job, _ = job_repository().create(uuid.uuid4(), self.owner, kind, job_input or {}, None)
        send_job_message(get_queue(self.name), job.id)
        return job.id

    def records(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line]

    def wait_for_record(self, event: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in self.records() if r["event"] == event]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no {event!r} record within {timeout} s: {self.records()}")

    def start_worker(
        self, behaviour: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[str]:
        environment = {**os.environ, **self.env, **(env or {}), "JOB_TEST_RECORD": str(self.record)}
        return subprocess.Popen(
            [sys.executable, "-m", "tests.integration.jobs.worker", self.name, behaviour],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


@pytest.fixture
def fast_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings with short job leases, for this process and the workers it starts."""
    for name, value in FAST_JOBS.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    yield get_settings()
    reset_settings()


@pytest.fixture
def job_queue(tmp_path: Path, fast_settings: Settings) -> Iterator[JobQueue]:
    """A fresh queue; fails loudly when Azurite or PostgreSQL is not running."""
    from azure.core.exceptions import AzureError

    from shared.jobs.queues import ensure_queue, poison_name
    from shared.stores.storage import get_queue

    queue = JobQueue(name=f"test-jobs-{uuid.uuid4().hex[:10]}", record=tmp_path / "record.jsonl")
    queue.env = dict(FAST_JOBS)
    try:
        ensure_queue(get_queue(queue.name))
    except AzureError as exc:
        pytest.fail(f"Azurite is not reachable ({exc}); start it with scripts/services.sh start")
    yield queue
    for name in (queue.name, poison_name(queue.name)):
        with contextlib.suppress(AzureError):
            get_queue(name).delete_queue()
