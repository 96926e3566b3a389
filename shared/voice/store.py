"""SQL for ``voice_samples``: one row per (owner, sha256) with its processing status.

Each call runs in one transaction acting for its owner (``owner_connection``) as the ``voice``
role: row-level security shows and accepts that owner's rows only."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from shared.stores.postgres import owner_connection

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool


class VoiceRepository:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def _one(self, owner: str, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
        with owner_connection(self._pool, owner) as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(sql, params)
            return cur.fetchone() if cur.description else None

    def upsert_sample(
        self,
        owner: str,
        sha256: str,
        metadata: dict[str, Any],
        status: str,
        *,
        blob_name: str | None = None,
        job_id: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        """Insert the sample, or update the owner's row for the same bytes."""
        row = self._one(
            owner,
            "INSERT INTO voice_samples (owner, sha256, metadata, status, blob_name, job_id)"
            " VALUES (%(owner)s, %(sha)s, %(meta)s, %(status)s, %(blob)s, %(job)s)"
            " ON CONFLICT (owner, sha256) DO UPDATE SET"
            " metadata = voice_samples.metadata || EXCLUDED.metadata, status = EXCLUDED.status,"
            " blob_name = COALESCE(EXCLUDED.blob_name, voice_samples.blob_name),"
            " job_id = COALESCE(EXCLUDED.job_id, voice_samples.job_id), updated_at = now()"
            " RETURNING *",
            {
                "owner": owner,
                "sha": sha256,
                "meta": Jsonb(metadata),
                "status": status,
                "blob": blob_name,
                "job": job_id,
            },
        )
        assert row is not None
        return row

    def set_status(
        self, owner: str, sha256: str, status: str, metadata: dict[str, Any] | None = None
    ) -> None:
        self._one(
            owner,
            "UPDATE voice_samples SET status = %(status)s,"
            " metadata = metadata || %(meta)s, updated_at = now()"
            " WHERE owner = %(owner)s AND sha256 = %(sha)s",
            {"owner": owner, "sha": sha256, "status": status, "meta": Jsonb(metadata or {})},
        )

    def get_sample(self, owner: str, sha256: str) -> dict[str, Any] | None:
        return self._one(
            owner,
            "SELECT * FROM voice_samples WHERE owner = %(owner)s AND sha256 = %(sha)s",
            {"owner": owner, "sha": sha256},
        )


def voice_repository() -> VoiceRepository:
    """The repository on the ``voice`` role's pool."""
    from shared.stores.postgres import PostgresService, get_pool

    return VoiceRepository(get_pool(PostgresService.VOICE))
