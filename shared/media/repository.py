"""SQL for ``file``, ``media_collection``, ``media_collection_file`` and ``tts_job``. Every read
and write of a user's data is scoped by its owner: another owner's rows are simply not found.

Each call runs in one transaction acting for its owner (``owner_connection``) as the ``media``
role, so row-level security enforces the same scoping: a collection entry and a speech task,
which have no owner column, are visible through their collection and job.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from shared.stores.database import database_errors
from shared.stores.postgres import owner_connection


@dataclass(frozen=True)
class FileRecord:
    """One stored file."""

    id: uuid.UUID
    owner: str
    name: str
    content_type: str
    size: int
    sha256: str
    blob_name: str
    page_count: int | None
    unreadable_reason: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FileRecord:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class CollectionRecord:
    """A named group of the owner's files."""

    id: uuid.UUID
    owner: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class SpeechTask:
    """The speech-specific part of a ``speech`` job."""

    job_id: uuid.UUID
    file_id: uuid.UUID | None
    first_page: int
    last_page: int
    voice: str
    joined: bool
    pages_done: int
    outputs: dict[str, dict[str, Any]]  # per-page mode: page number -> result file


class MediaRepository:
    """Queries on the media tables through a psycopg pool."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def _rows(self, owner: str, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        # PostgreSQL not there is a 503 (through the breaker), never a 500 (the soak found it).
        with (
            database_errors("the media store"),
            owner_connection(self._pool, owner) as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def _one(self, owner: str, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
        rows = self._rows(owner, sql, params)
        return rows[0] if rows else None

    # --- files ----------------------------------------------------------------------------------

    def insert_file(self, record: dict[str, Any]) -> tuple[FileRecord, bool]:
        """Insert a file row; when the owner already has these bytes (same sha256), return the
        existing row instead. Returns (file, created)."""
        row = self._one(
            record["owner"],
            "INSERT INTO file (owner, name, content_type, size, sha256, blob_name, page_count,"
            " unreadable_reason) VALUES (%(owner)s, %(name)s, %(content_type)s, %(size)s,"
            " %(sha256)s, %(blob_name)s, %(page_count)s, %(unreadable_reason)s)"
            " ON CONFLICT (owner, sha256) DO NOTHING RETURNING *",
            record,
        )
        if row is not None:
            return FileRecord.from_row(row), True
        existing = self.file_by_hash(record["owner"], record["sha256"])
        assert existing is not None  # the conflicting row exists
        return existing, False

    def file_by_hash(self, owner: str, sha256: str) -> FileRecord | None:
        row = self._one(
            owner,
            "SELECT * FROM file WHERE owner = %(owner)s AND sha256 = %(sha)s",
            {"owner": owner, "sha": sha256},
        )
        return FileRecord.from_row(row) if row else None

    def get_file(self, file_id: uuid.UUID, owner: str) -> FileRecord | None:
        row = self._one(
            owner,
            "SELECT * FROM file WHERE id = %(id)s AND owner = %(owner)s",
            {"id": file_id, "owner": owner},
        )
        return FileRecord.from_row(row) if row else None

    def list_files(
        self, owner: str, collection_id: uuid.UUID | None, limit: int
    ) -> list[FileRecord]:
        rows = self._rows(
            owner,
            "SELECT f.* FROM file f WHERE f.owner = %(owner)s AND (%(cid)s::uuid IS NULL OR"
            " EXISTS (SELECT 1 FROM media_collection_file m"
            "         WHERE m.file_id = f.id AND m.collection_id = %(cid)s))"
            " ORDER BY f.created_at DESC, f.id DESC LIMIT %(limit)s",
            {"owner": owner, "cid": collection_id, "limit": limit},
        )
        return [FileRecord.from_row(row) for row in rows]

    def delete_file(self, file_id: uuid.UUID, owner: str) -> FileRecord | None:
        row = self._one(
            owner,
            "DELETE FROM file WHERE id = %(id)s AND owner = %(owner)s RETURNING *",
            {"id": file_id, "owner": owner},
        )
        return FileRecord.from_row(row) if row else None

    # --- collections ----------------------------------------------------------------------------

    def create_collection(self, owner: str, name: str) -> CollectionRecord | None:
        """The new collection, or None when the owner already has one of that name."""
        row = self._one(
            owner,
            "INSERT INTO media_collection (owner, name) VALUES (%(owner)s, %(name)s)"
            " ON CONFLICT (owner, name) DO NOTHING RETURNING *",
            {"owner": owner, "name": name},
        )
        return CollectionRecord(**row) if row else None

    def get_collection(self, collection_id: uuid.UUID, owner: str) -> CollectionRecord | None:
        row = self._one(
            owner,
            "SELECT * FROM media_collection WHERE id = %(id)s AND owner = %(owner)s",
            {"id": collection_id, "owner": owner},
        )
        return CollectionRecord(**row) if row else None

    def list_collections(self, owner: str) -> list[CollectionRecord]:
        rows = self._rows(
            owner,
            "SELECT * FROM media_collection WHERE owner = %(owner)s ORDER BY name",
            {"owner": owner},
        )
        return [CollectionRecord(**row) for row in rows]

    def delete_collection(self, collection_id: uuid.UUID, owner: str) -> bool:
        row = self._one(
            owner,
            "DELETE FROM media_collection WHERE id = %(id)s AND owner = %(owner)s RETURNING id",
            {"id": collection_id, "owner": owner},
        )
        return row is not None

    def add_to_collection(self, owner: str, collection_id: uuid.UUID, file_id: uuid.UUID) -> None:
        """Put the owner's file into the owner's collection (refused for anyone else's)."""
        self._rows(
            owner,
            "INSERT INTO media_collection_file (collection_id, file_id) VALUES (%(c)s, %(f)s)"
            " ON CONFLICT DO NOTHING",
            {"c": collection_id, "f": file_id},
        )

    def remove_from_collection(
        self, owner: str, collection_id: uuid.UUID, file_id: uuid.UUID
    ) -> bool:
        row = self._one(
            owner,
            "DELETE FROM media_collection_file WHERE collection_id = %(c)s AND file_id = %(f)s"
            " RETURNING file_id",
            {"c": collection_id, "f": file_id},
        )
        return row is not None

    # --- speech tasks ---------------------------------------------------------------------------

    def insert_speech_task(self, owner: str, task: SpeechTask) -> None:
        """Store the task of the owner's speech job (its job row must be committed)."""
        self._rows(
            owner,
            "INSERT INTO tts_job (job_id, file_id, first_page, last_page, voice, joined)"
            " VALUES (%(job_id)s, %(file_id)s, %(first)s, %(last)s, %(voice)s, %(joined)s)",
            {
                "job_id": task.job_id,
                "file_id": task.file_id,
                "first": task.first_page,
                "last": task.last_page,
                "voice": task.voice,
                "joined": task.joined,
            },
        )

    def get_speech_task(self, owner: str, job_id: uuid.UUID) -> SpeechTask | None:
        row = self._one(owner, "SELECT * FROM tts_job WHERE job_id = %(id)s", {"id": job_id})
        if row is None:
            return None
        return SpeechTask(**{**row, "outputs": dict(row["outputs"] or {})})

    def record_speech_page(
        self,
        owner: str,
        job_id: uuid.UUID,
        pages_done: int,
        page: int | None,
        output: dict[str, Any] | None,
    ) -> None:
        """Progress of a speech task; in per-page mode also the page's result file."""
        self._rows(
            owner,
            "UPDATE tts_job SET pages_done = %(done)s,"
            " outputs = CASE WHEN %(page)s::text IS NULL THEN outputs"
            "  ELSE outputs || jsonb_build_object(%(page)s::text, %(output)s::jsonb) END"
            " WHERE job_id = %(id)s",
            {
                "id": job_id,
                "done": pages_done,
                "page": str(page) if page is not None else None,
                "output": Jsonb(output) if output is not None else None,
            },
        )

    def reset_speech_outputs(self, owner: str, job_id: uuid.UUID) -> None:
        self._rows(
            owner,
            "UPDATE tts_job SET outputs = %(empty)s, pages_done = 0 WHERE job_id = %(id)s",
            {"id": job_id, "empty": Jsonb({})},
        )
