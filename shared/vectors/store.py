"""The vector store interface every feature uses: collections of owned, embedded points.

A point is ``(collection, owner, id)`` with a vector and a JSON payload. Every call names the
owner, and a store only ever reads, counts or deletes that owner's points: per-caller isolation
belongs to the store, not to each caller's filter. Filters are ``qdrant_client.models.Filter``
objects (the form ``/api/vectors`` accepts and the features already build); a store that cannot
express a condition raises ``UnprocessableContentError`` (422) naming it.

Implementations (``shared.vectors.factory.vector_store_from_settings``):

- ``PgVectorStore``: pgvector in the platform's PostgreSQL, the default (durable, shared by every
  process, nothing to install);
- ``QdrantVectorStore``: a Qdrant server (``QDRANT_URL``), or qdrant-client's local mode for local
  development and tests only (``VECTOR_STORE=memory``).

Scores are cosine similarities in [-1, 1], best first; ``score_threshold`` keeps points scoring at
least that much. Failures of the store itself raise ``VectorStoreUnavailableError`` (503).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from shared.errors import ServiceUnavailableError


class VectorStoreUnavailableError(ServiceUnavailableError):
    """The vector store failed a call (down, timing out, a 5xx): 503, counted by its breaker."""


@dataclass(frozen=True)
class VectorPoint:
    """A point to store (or one read back, with its vector): ``id`` is any string up to 200
    characters (callers pass UUIDs)."""

    id: str
    vector: Sequence[float]
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredPoint:
    """A search hit: the point's id, its cosine similarity to the query and its payload."""

    id: str
    score: float
    payload: dict[str, Any]


@dataclass(frozen=True)
class VectorQuery:
    """One search of a batch."""

    vector: Sequence[float]
    limit: int = 10
    filter: Any = None  # qdrant_client.models.Filter | None
    score_threshold: float | None = None


@dataclass(frozen=True)
class OwnedPoint:
    """A point with its owner: what ``export`` yields when copying a whole store."""

    collection: str
    owner: str
    point: VectorPoint


@runtime_checkable
class VectorStore(Protocol):
    """What the platform may ask of a vector store (see the module docstring)."""

    #: ``postgres`` or ``qdrant``: shown by the health check and recorded by re-indexing.
    kind: str

    def upsert(self, collection: str, owner: str, points: Sequence[VectorPoint]) -> None:
        """Insert or replace ``owner``'s points (the same id replaces); durable on return."""
        ...

    def search(self, collection: str, owner: str, query: VectorQuery) -> list[ScoredPoint]:
        """``owner``'s ``query.limit`` points nearest to the vector that pass the filter."""
        ...

    def search_batch(
        self, collection: str, owner: str, queries: Sequence[VectorQuery]
    ) -> list[list[ScoredPoint]]:
        """``search`` for each query, in order."""
        ...

    def count(self, collection: str, owner: str, query_filter: Any = None) -> int:
        """How many of ``owner``'s points pass the filter (all of them without one)."""
        ...

    def retrieve(self, collection: str, owner: str, ids: Sequence[str]) -> list[VectorPoint]:
        """``owner``'s points with these ids that exist (vectors included), in no set order."""
        ...

    def delete(
        self,
        collection: str,
        owner: str,
        *,
        ids: Sequence[str] | None = None,
        query_filter: Any = None,
    ) -> int:
        """Delete ``owner``'s points named by ``ids``, else those passing ``query_filter``;
        returns how many went."""
        ...

    def export(self, collection: str, *, batch: int = 500) -> Iterator[OwnedPoint]:
        """Every point of the collection, every owner (copying a store; administrators only)."""
        ...

    def ping(self) -> None:
        """Raise ``VectorStoreUnavailableError`` unless the store answers."""
        ...

    def close(self) -> None:
        """Release connections; the store may not be used afterwards."""
        ...
