"""Hash tags: how a key chooses its Redis Cluster slot (pure functions, no redis-py import).

Redis Cluster hashes only the part of a key between the first ``{`` and the next ``}`` when that
part is not empty; keys with the same tag share a slot, so one script or transaction may touch
them together. On a single server a tag is just part of the name. Every key that a script or a
multi-key command of the app touches together carries the same tag.
"""

from __future__ import annotations


def hash_tag(value: str) -> str:
    """``{value}``. ``value`` must be non-empty and free of braces."""
    if not value or "{" in value or "}" in value:
        raise ValueError(f"not a valid hash tag: {value!r}")
    return "{" + value + "}"


def tag_of(key: str) -> str | None:
    """The tag Redis Cluster hashes for ``key``, or None when it hashes the whole key."""
    start = key.find("{")
    if start < 0:
        return None
    end = key.find("}", start + 1)
    if end <= start + 1:
        return None
    return key[start + 1 : end]
