"""SQL for ``ml_conversations``, ``chat_documents`` and ``reasoning_chains``.

Every query names its ``user_id``: another user's rows are simply not found. Each runs in one
transaction acting for that user (``owner_connection``) as the ``chat`` role, so row-level
security enforces the same. A database that cannot be reached is a 503
(``ServiceUnavailableError``), never a driver error.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shared.chat.api import DocumentRecord, SessionSummary
from shared.stores.database import database_errors

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool


def _vector(values: Sequence[float] | None) -> str | None:
    # pgvector's text form; psycopg has no adapter for it without the pgvector package.
    return None if values is None else "[" + ",".join(f"{v:.7g}" for v in values) + "]"


class ChatRepository:
    """Queries on the chat tables through a psycopg pool."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def _rows(self, user_id: str, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        from psycopg.rows import dict_row

        from shared.stores.postgres import owner_connection

        with (
            database_errors(),
            owner_connection(self._pool, user_id) as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def _one(self, user_id: str, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
        rows = self._rows(user_id, sql, params)
        return rows[0] if rows else None

    # --- conversations --------------------------------------------------------------------------

    def create_session(self, user_id: str, title: str) -> uuid.UUID:
        row = self._one(
            user_id,
            "INSERT INTO ml_conversations (user_id, title) VALUES (%(user)s, %(title)s)"
            " RETURNING id",
            {"user": user_id, "title": title},
        )
        assert row is not None
        return uuid.UUID(str(row["id"]))

    def get_session(self, user_id: str, session_id: uuid.UUID) -> dict[str, Any] | None:
        """``{id, title, message_count, created_at, updated_at, messages}`` or None."""
        row = self._one(
            user_id,
            "SELECT id, title, message_count, created_at, updated_at, conversation_data"
            " FROM ml_conversations"
            " WHERE id = %(id)s AND user_id = %(user)s",
            {"id": session_id, "user": user_id},
        )
        if row is None:
            return None
        data = row.pop("conversation_data") or {}
        return {**row, "messages": list(data.get("messages", []))}

    def save_messages(
        self,
        user_id: str,
        session_id: uuid.UUID,
        messages: list[dict[str, Any]],
        vector: Sequence[float] | None,
    ) -> dict[str, Any] | None:
        """Replace the session's messages and vector; the updated summary, or None when the
        session is gone (deleted meanwhile)."""
        from psycopg.types.json import Jsonb

        return self._one(
            user_id,
            "UPDATE ml_conversations SET conversation_data = %(data)s,"
            " message_count = %(count)s, conversation_vector = %(vector)s::vector,"
            " updated_at = now() WHERE id = %(id)s AND user_id = %(user)s"
            " RETURNING id, title, message_count, created_at, updated_at",
            {
                "data": Jsonb({"messages": messages}),
                "count": len(messages),
                "vector": _vector(vector),
                "id": session_id,
                "user": user_id,
            },
        )

    def list_sessions(self, user_id: str, limit: int) -> list[SessionSummary]:
        rows = self._rows(
            user_id,
            "SELECT id, title, message_count, created_at, updated_at FROM ml_conversations"
            " WHERE user_id = %(user)s"
            " ORDER BY updated_at DESC, id LIMIT %(limit)s",
            {"user": user_id, "limit": limit},
        )
        return [SessionSummary(**row) for row in rows]

    def similar_sessions(
        self, user_id: str, vector: Sequence[float], limit: int
    ) -> list[SessionSummary]:
        """The user's sessions nearest to ``vector`` (cosine), most similar first."""
        rows = self._rows(
            user_id,
            "SELECT id, title, message_count, created_at, updated_at,"
            " 1 - (conversation_vector <=> %(v)s::vector) AS similarity"
            " FROM ml_conversations WHERE user_id = %(user)s AND conversation_vector IS NOT NULL"
            " ORDER BY conversation_vector <=> %(v)s::vector LIMIT %(limit)s",
            {"user": user_id, "v": _vector(vector), "limit": limit},
        )
        return [
            SessionSummary(**{**row, "similarity": round(row["similarity"], 6)}) for row in rows
        ]

    def delete_session(self, user_id: str, session_id: uuid.UUID) -> bool:
        row = self._one(
            user_id,
            "DELETE FROM ml_conversations WHERE id = %(id)s AND user_id = %(user)s RETURNING id",
            {"id": session_id, "user": user_id},
        )
        return row is not None

    # --- documents ------------------------------------------------------------------------------

    def find_document(self, user_id: str, sha256: str) -> DocumentRecord | None:
        row = self._one(
            user_id,
            "SELECT id, source, file_id, pages, chunks, characters, created_at FROM chat_documents"
            " WHERE user_id = %(user)s AND sha256 = %(sha)s",
            {"user": user_id, "sha": sha256},
        )
        return DocumentRecord(**row) if row else None

    def insert_document(
        self, document_id: uuid.UUID, user_id: str, **fields: Any
    ) -> DocumentRecord:
        """The new row, or the existing one when the user already has this content."""
        row = self._one(
            user_id,
            "INSERT INTO chat_documents (id, user_id, source, file_id, sha256, pages, chunks,"
            " characters, content, indexed_with) VALUES (%(id)s, %(user)s, %(source)s,"
            " %(file_id)s, %(sha256)s, %(pages)s, %(chunks)s, %(characters)s, %(content)s,"
            " %(indexed_with)s) ON CONFLICT (user_id, sha256) DO NOTHING"
            " RETURNING id, source, file_id, pages, chunks, characters, created_at",
            {"id": document_id, "user": user_id, **fields},
        )
        if row is not None:
            return DocumentRecord(**row)
        existing = self.find_document(user_id, fields["sha256"])
        assert existing is not None  # the conflicting row exists
        return existing

    def list_documents(self, user_id: str, limit: int) -> list[DocumentRecord]:
        rows = self._rows(
            user_id,
            "SELECT id, source, file_id, pages, chunks, characters, created_at FROM chat_documents"
            " WHERE user_id = %(user)s"
            " ORDER BY created_at DESC, id LIMIT %(limit)s",
            {"user": user_id, "limit": limit},
        )
        return [DocumentRecord(**row) for row in rows]

    def has_documents(self, user_id: str) -> bool:
        """Whether the user's knowledge base holds any document."""
        row = self._one(
            user_id,
            "SELECT 1 AS one FROM chat_documents WHERE user_id = %(user)s LIMIT 1",
            {"user": user_id},
        )
        return row is not None

    def document_source(self, user_id: str, document_id: uuid.UUID) -> dict[str, Any] | None:
        """What re-indexing needs of a document: source, file id, stored pages, indexed_with."""
        return self._one(
            user_id,
            "SELECT id, source, file_id, content, indexed_with FROM chat_documents"
            " WHERE id = %(id)s AND user_id = %(user)s",
            {"id": document_id, "user": user_id},
        )

    def mark_indexed(self, user_id: str, document_id: uuid.UUID, indexed_with: str) -> None:
        self._rows(
            user_id,
            "UPDATE chat_documents SET indexed_with = %(with)s"
            " WHERE id = %(id)s AND user_id = %(user)s",
            {"id": document_id, "user": user_id, "with": indexed_with},
        )

    def delete_document(self, user_id: str, document_id: uuid.UUID) -> bool:
        row = self._one(
            user_id,
            "DELETE FROM chat_documents WHERE id = %(id)s AND user_id = %(user)s RETURNING id",
            {"id": document_id, "user": user_id},
        )
        return row is not None

    # --- reasoning chains -----------------------------------------------------------------------

    def insert_chain(
        self,
        user_id: str,
        session_id: uuid.UUID | None,
        *,
        question: str,
        chain: dict[str, Any],
        steps: list[str],
        confidence: float,
    ) -> uuid.UUID:
        from psycopg.types.json import Jsonb

        row = self._one(
            user_id,
            "INSERT INTO reasoning_chains (user_id, session_id, question, chain_data,"
            " reasoning_steps, confidence_score) VALUES (%(user)s, %(session)s, %(question)s,"
            " %(chain)s, %(steps)s, %(confidence)s) RETURNING id",
            {
                "user": user_id,
                "session": session_id,
                "question": question,
                "chain": Jsonb(chain),
                "steps": steps,
                "confidence": confidence,
            },
        )
        assert row is not None
        return uuid.UUID(str(row["id"]))


def chat_repository() -> ChatRepository:
    """The repository on the ``chat`` role's pool."""
    from shared.stores.postgres import PostgresService, get_pool

    return ChatRepository(get_pool(PostgresService.CHAT))
