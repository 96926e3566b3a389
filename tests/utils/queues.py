"""Job queues of a test's own, so its messages never reach the app's runners or another test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def private_job_queue(monkeypatch: pytest.MonkeyPatch, kind: str) -> Iterator[str]:
    """Point ``JOB_QUEUE_<KIND>`` at a new queue for the block; it and its poison queue are
    deleted afterwards and the settings re-read on both sides."""
    from azure.core.exceptions import ResourceNotFoundError

    from shared.config import reset_settings
    from shared.stores.storage import get_queue

    name = f"test-{kind}-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv(f"JOB_QUEUE_{kind.upper()}", name)
    reset_settings()
    try:
        yield name
    finally:
        for queue in (name, f"{name}-poison"):
            with contextlib.suppress(ResourceNotFoundError):
                get_queue(queue).delete_queue()
        reset_settings()
