"""A job as stored in the ``jobs`` table."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    """A job's life: pending -> running -> succeeded | failed | cancelled (running may go back to
    pending when an attempt fails and attempts remain)."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


@dataclass(frozen=True)
class Job:
    """One row of ``jobs``. ``input`` and ``result`` are JSON documents; ``result`` lists the
    result files (``files``: name, content_type, size) and the handler's summary."""

    id: uuid.UUID
    kind: str
    owner: str
    status: JobStatus
    progress: int
    attempts: int
    input: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    cancel_requested: bool
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    lease_until: datetime | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        """Build from a ``SELECT *`` row fetched with psycopg's ``dict_row``."""
        return cls(
            id=row["id"],
            kind=row["kind"],
            owner=row["owner"],
            status=JobStatus(row["status"]),
            progress=row["progress"],
            attempts=row["attempts"],
            input=row["input"] or {},
            result=row["result"],
            error=row["error"],
            cancel_requested=row["cancel_requested"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            lease_until=row["lease_until"],
        )
