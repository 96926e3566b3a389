"""Point ids: what callers send (unsigned integers or any string) and what Qdrant stores (UUIDs).

Every caller has its own id space: the stored id is the UUIDv5 of the owner and the id as sent,
so the same id from the same owner always names the same point (upserts stay idempotent on ids)
while two owners' point "a" are two points. The id as sent is kept in the payload under ``_id``
and returned in results; the owner under ``_owner``, which every search and delete filters on.
"""

from __future__ import annotations

import uuid

from shared.errors import UnprocessableContentError

ID_KEY = "_id"
TEXT_KEY = "_text"
OWNER_KEY = "_owner"
MODEL_KEY = "_model"  # the model that made the vector, written by re-embedding
RESERVED_KEYS = frozenset({ID_KEY, TEXT_KEY, OWNER_KEY, MODEL_KEY})
_NAMESPACE = uuid.UUID("8c3f4d1e-6a52-4f0b-9a3e-2b7c5d9e1f60")
MAX_ID_LENGTH = 200


def qdrant_id(owner: str, point_id: int | str) -> str:
    """The id Qdrant stores for ``owner``'s ``point_id`` (see the module docstring)."""
    if isinstance(point_id, str) and not 0 < len(point_id) <= MAX_ID_LENGTH:
        raise UnprocessableContentError(f"a string id must have 1 to {MAX_ID_LENGTH} characters")
    # The type is part of the name: the integer 7 and the string "7" stay two points.
    kind = "i" if isinstance(point_id, int) else "s"
    return str(uuid.uuid5(_NAMESPACE, f"{owner}\x00{kind}:{point_id}"))
