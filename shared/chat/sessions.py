"""Conversations: PostgreSQL is the record, Redis caches the active ones.

``chat:session:<id>`` holds a session's summary and messages (``CHAT_SESSION_TTL_SECONDS``), so a
follow-up reads no row; ``chat:context:<id>`` holds the passages cited by the last answer
(``CHAT_CONTEXT_TTL_SECONDS``), so a follow-up can lean on them. Writes go to PostgreSQL first and
then refresh the cache, so the cache is never ahead of the record. A cached entry carries its
user id and is ignored for anyone else. Redis being down only costs speed: every call falls back
to PostgreSQL (the outage is reported in ``degraded``).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.chat.api import Citation, SessionHistory, SessionList, SessionsQuery, StoredMessage
from shared.chat.repository import chat_repository
from shared.config import get_settings
from shared.errors import NotFoundError
from shared.stores.hash_tags import hash_tag

logger = logging.getLogger(__name__)

SESSION_PREFIX = "chat:session:"
CONTEXT_PREFIX = "chat:context:"


def cache_key(prefix: str, session_id: uuid.UUID) -> str:
    """``chat:<kind>:{<session id>}``: a session's entries share a hash tag, so deleting them
    together is one command on one Redis Cluster slot."""
    return prefix + hash_tag(str(session_id))


TITLE_CHARS = 80


@dataclass
class Session:
    """A conversation as loaded for one turn."""

    id: uuid.UUID
    user_id: str
    title: str
    messages: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    degraded: list[str] = field(default_factory=list)

    def history(self) -> SessionHistory:
        return SessionHistory(
            id=self.id,
            title=self.title,
            message_count=len(self.messages),
            created_at=self.created_at,
            updated_at=self.updated_at,
            messages=[StoredMessage(**m) for m in self.messages],
        )


def new_session(user_id: str, first_message: str) -> Session:
    title = " ".join(first_message.split())[:TITLE_CHARS]
    session_id = chat_repository().create_session(user_id, title)
    now = datetime.now(UTC)
    return Session(session_id, user_id, title, [], now, now)


def load_session(user_id: str, session_id: uuid.UUID) -> Session:
    """The user's session from the cache or the database; 404 when it is not the user's."""
    degraded: list[str] = []
    cached = _cache_get(SESSION_PREFIX, session_id, degraded)
    if cached is not None and cached.get("user_id") == user_id:
        return _session_from(cached, degraded)
    row = chat_repository().get_session(user_id, session_id)
    if row is None:
        raise NotFoundError(f"no chat session {session_id}")
    session = _session_from({**row, "user_id": user_id}, degraded)
    _cache_session(session)
    return session


def list_sessions(user_id: str, query: SessionsQuery) -> SessionList:
    """The user's sessions: most recent first, or most similar to ``query.similar_to``."""
    repo = chat_repository()
    if query.similar_to is None:
        return SessionList(sessions=repo.list_sessions(user_id, query.limit))
    from shared.embeddings.service import embed

    vector = embed([query.similar_to], field="similar_to").vectors[0]
    found = repo.similar_sessions(user_id, [float(v) for v in vector], query.limit)
    return SessionList(sessions=found)


def save_turn(session: Session, turn: list[dict[str, Any]], vector: list[float] | None) -> None:
    """Append the turn's messages; 404 when the session was deleted meanwhile."""
    messages = session.messages + turn
    row = chat_repository().save_messages(session.user_id, session.id, messages, vector)
    if row is None:
        raise NotFoundError(f"no chat session {session.id}")
    session.messages = messages
    session.updated_at = row["updated_at"]
    _cache_session(session)


def forget_session(user_id: str, session_id: uuid.UUID) -> None:
    """Delete the session (its reasoning chains keep their rows without it); 404 if not found."""
    if not chat_repository().delete_session(user_id, session_id):
        raise NotFoundError(f"no chat session {session_id}")
    _cache_delete(session_id)


def message(
    role: str,
    content: str,
    citations: list[Citation] | None = None,
    *,
    answer_mode: str | None = None,
    grounded: bool | None = None,
) -> dict[str, Any]:
    """A message as stored in ``conversation_data`` (an answer with its mode and groundedness)."""
    stored: dict[str, Any] = {
        "role": role,
        "content": content,
        "at": datetime.now(UTC).isoformat(),
        "citations": [c.model_dump(mode="json") for c in citations or []],
    }
    if answer_mode is not None:
        stored["answer_mode"] = answer_mode
    if grounded is not None:
        stored["grounded"] = grounded
    return stored


def cached_context(user_id: str, session_id: uuid.UUID) -> list[Citation]:
    """The passages cited by the session's last answer, while cached."""
    cached = _cache_get(CONTEXT_PREFIX, session_id, [])
    if not cached or cached.get("user_id") != user_id:
        return []
    return [Citation(**c) for c in cached.get("citations", [])]


def cache_context(user_id: str, session_id: uuid.UUID, citations: list[Citation]) -> None:
    ttl = get_settings().chat_context_ttl_seconds
    if ttl and citations:
        value = {"user_id": user_id, "citations": [c.model_dump(mode="json") for c in citations]}
        _cache_set(CONTEXT_PREFIX, session_id, value, ttl)


def _session_from(data: dict[str, Any], degraded: list[str]) -> Session:
    return Session(
        id=uuid.UUID(str(data["id"])),
        user_id=data["user_id"],
        title=data["title"],
        messages=list(data["messages"]),
        created_at=_time(data["created_at"]),
        updated_at=_time(data["updated_at"]),
        degraded=degraded,
    )


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _cache_session(session: Session) -> None:
    ttl = get_settings().chat_session_ttl_seconds
    if ttl:
        value = {
            "id": str(session.id),
            "user_id": session.user_id,
            "title": session.title,
            "messages": session.messages,
            "created_at": session.created_at.isoformat(),
            "updated_at": session.updated_at.isoformat(),
        }
        _cache_set(SESSION_PREFIX, session.id, value, ttl, session.degraded)


def _cache_get(prefix: str, session_id: uuid.UUID, degraded: list[str]) -> dict[str, Any] | None:
    import redis

    from shared.stores.redis import RedisService, get_redis

    try:
        raw = get_redis(RedisService.CHAT).get(cache_key(prefix, session_id))
    except redis.RedisError as exc:
        _note_cache_down(exc, degraded)
        return None
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _cache_set(
    prefix: str,
    session_id: uuid.UUID,
    value: dict[str, Any],
    ttl: int,
    degraded: list[str] | None = None,
) -> None:
    import redis

    from shared.stores.redis import RedisService, get_redis

    try:
        get_redis(RedisService.CHAT).set(
            cache_key(prefix, session_id), json.dumps(value, default=str), ex=ttl
        )
    except redis.RedisError as exc:
        _note_cache_down(exc, degraded if degraded is not None else [])


def _cache_delete(session_id: uuid.UUID) -> None:
    import redis

    from shared.stores.redis import RedisService, get_redis

    try:
        get_redis(RedisService.CHAT).delete(
            cache_key(SESSION_PREFIX, session_id), cache_key(CONTEXT_PREFIX, session_id)
        )
    except redis.RedisError as exc:
        # The entry expires within CHAT_SESSION_TTL_SECONDS; until then a read served from it
        # could still see the deleted session (a write would not: its row is gone). Say so.
        logger.warning("chat cache delete failed for %s: %s", session_id, type(exc).__name__)


def _note_cache_down(exc: Exception, degraded: list[str]) -> None:
    logger.warning("chat cache unavailable: %s", type(exc).__name__)
    reason = "session cache (Redis) unavailable: read from PostgreSQL"
    if reason not in degraded:
        degraded.append(reason)
