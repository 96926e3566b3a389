"""Point ids: what callers send (unsigned integers or any string) and what Qdrant accepts
(unsigned integers or UUIDs).

Integers and UUID strings are used as they are; any other string maps to the UUIDv5 of itself in a
fixed namespace, so the same string always names the same point (upserts stay idempotent on ids).
The id as sent is kept in the payload under ``_id`` and returned in results.
"""

from __future__ import annotations

import uuid

from shared.errors import UnprocessableContentError

ID_KEY = "_id"
TEXT_KEY = "_text"
RESERVED_KEYS = frozenset({ID_KEY, TEXT_KEY})
_NAMESPACE = uuid.UUID("8c3f4d1e-6a52-4f0b-9a3e-2b7c5d9e1f60")
MAX_ID_LENGTH = 200


def qdrant_id(point_id: int | str) -> int | str:
    """The id Qdrant stores for ``point_id`` (see the module docstring)."""
    if isinstance(point_id, int):
        return point_id
    if not 0 < len(point_id) <= MAX_ID_LENGTH:
        raise UnprocessableContentError(f"a string id must have 1 to {MAX_ID_LENGTH} characters")
    try:
        return str(uuid.UUID(point_id))
    except ValueError:
        return str(uuid.uuid5(_NAMESPACE, point_id))
