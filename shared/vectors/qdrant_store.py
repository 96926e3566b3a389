"""``VectorStore`` on Qdrant: a server at ``QDRANT_URL`` (production's option for large
collections), or qdrant-client's local mode (``VECTOR_STORE=memory``, or ``QDRANT_PATH``): in this
process only, for local development and tests; settings refuse it elsewhere.

Qdrant has no owners: the owner travels in the payload as ``_owner`` (written on every upsert,
indexed on a server), every read and delete is limited to it, and it is taken out of the payloads
returned. Point ids must be UUIDs or unsigned integers in Qdrant; callers pass UUID strings.
Collections are created on first use (cosine, HNSW ``m=16``, ``ef_construct=100``; local mode
accepts these and searches exactly). Local mode is not safe for concurrent use: its calls are
serialised.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from shared.errors import UnprocessableContentError
from shared.vectors.store import (
    OwnedPoint,
    ScoredPoint,
    VectorPoint,
    VectorQuery,
    VectorStoreUnavailableError,
)

logger = logging.getLogger(__name__)

OWNER_KEY = "_owner"
HNSW_M = 16
HNSW_EF_CONSTRUCT = 100


class QdrantVectorStore:
    """``VectorStore`` over a ``QdrantClient`` (``local``: the client is in-process)."""

    kind = "qdrant"

    def __init__(self, client: Any, *, local: bool) -> None:
        self.client = client
        self._local = local
        self._lock = threading.RLock() if local else None
        self._ensured: set[str] = set()
        self._ensure_lock = threading.Lock()

    def upsert(self, collection: str, owner: str, points: Sequence[VectorPoint]) -> None:
        from qdrant_client import models

        structs = [
            models.PointStruct(
                id=p.id,
                vector=[float(x) for x in p.vector],
                payload={**p.payload, OWNER_KEY: _owner(owner)},
            )
            for p in points
        ]
        if not structs:
            return
        with self._client(collection, len(points[0].vector)) as client:
            client.upsert(collection, points=structs, wait=True)

    def search(self, collection: str, owner: str, query: VectorQuery) -> list[ScoredPoint]:
        return self.search_batch(collection, owner, [query])[0]

    def search_batch(
        self, collection: str, owner: str, queries: Sequence[VectorQuery]
    ) -> list[list[ScoredPoint]]:
        from qdrant_client import models

        if not queries:
            return []
        requests = [
            models.QueryRequest(
                query=[float(x) for x in q.vector],
                filter=owned(owner, q.filter),
                limit=q.limit,
                score_threshold=q.score_threshold,
                with_payload=True,
            )
            for q in queries
        ]
        found: list[list[ScoredPoint]] = []
        with self._client(collection, len(queries[0].vector)) as client:
            for start in range(0, len(requests), 256):
                answers = client.query_batch_points(collection, requests[start : start + 256])
                found.extend(
                    [ScoredPoint(str(p.id), float(p.score), _payload(p.payload)) for p in a.points]
                    for a in answers
                )
        return found

    def count(self, collection: str, owner: str, query_filter: Any = None) -> int:
        with self._client(collection) as client:
            counted = client.count(collection, count_filter=owned(owner, query_filter), exact=True)
        return int(counted.count)

    def retrieve(self, collection: str, owner: str, ids: Sequence[str]) -> list[VectorPoint]:
        with self._client(collection) as client:
            points = client.retrieve(
                collection, ids=list(ids), with_payload=True, with_vectors=True
            )
        return [
            VectorPoint(str(p.id), list(p.vector or []), _payload(p.payload))
            for p in points
            if (p.payload or {}).get(OWNER_KEY) == owner
        ]

    def delete(
        self,
        collection: str,
        owner: str,
        *,
        ids: Sequence[str] | None = None,
        query_filter: Any = None,
    ) -> int:
        from qdrant_client import models

        flt = owned(owner, query_filter)
        if ids is not None:
            flt = owned(owner, models.Filter(must=[models.HasIdCondition(has_id=list(ids))]))
        with self._client(collection) as client:
            matched = client.count(collection, count_filter=flt, exact=True).count
            if matched:
                selector = models.FilterSelector(filter=flt)
                client.delete(collection, points_selector=selector, wait=True)
        return int(matched)

    def export(self, collection: str, *, batch: int = 500) -> Iterator[OwnedPoint]:
        """Every point; the owner is ``_owner``, else (points written before owners were
        stored) the feature's ``user_id``. Points with neither are skipped with a warning."""
        offset: Any = None
        while True:
            with self._client(collection) as client:
                points, offset = client.scroll(
                    collection, limit=batch, offset=offset, with_payload=True, with_vectors=True
                )
            for p in points:
                payload = dict(p.payload or {})
                owner = payload.get(OWNER_KEY) or payload.get("user_id")
                if not isinstance(owner, str) or not owner:
                    logger.warning("point %s of %s has no owner: not exported", p.id, collection)
                    continue
                payload.pop(OWNER_KEY, None)
                yield OwnedPoint(collection, owner, VectorPoint(str(p.id), list(p.vector), payload))
            if offset is None:
                return

    def ping(self) -> None:
        with self._client() as client:
            client.get_collections()

    def close(self) -> None:
        self.client.close()

    @contextlib.contextmanager
    def _client(self, collection: str | None = None, dimension: int | None = None) -> Iterator[Any]:
        """The client, with ``collection`` created when ``dimension`` is known; Qdrant failures
        become 503 (a request the server refused as malformed, such as a bad filter, 422)."""
        from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

        from shared.resilience import guard

        with (
            guard("vectors", counts=(VectorStoreUnavailableError,)),
            self._lock if self._lock is not None else contextlib.nullcontext(),
        ):
            try:
                if collection is not None:
                    self._ensure(collection, dimension)
                yield self.client
            except UnexpectedResponse as exc:
                if exc.status_code == 400:
                    raise UnprocessableContentError(
                        f"the vector store refused the request: {exc.reason_phrase}"
                    ) from exc
                raise _unavailable(exc) from exc
            except (ResponseHandlingException, OSError) as exc:
                raise _unavailable(exc) from exc

    def _ensure(self, collection: str, dimension: int | None) -> None:
        """Create ``collection`` (and its owner index on a server) unless it exists; without a
        dimension (a read before any write) a missing collection is created with the served
        model's size."""
        if collection in self._ensured:
            return
        from qdrant_client import models

        with self._ensure_lock:
            if collection in self._ensured:
                return
            if not self.client.collection_exists(collection):
                if dimension is None:
                    from shared.vectors.collections import embedding_dimension

                    dimension = embedding_dimension()
                self.client.create_collection(
                    collection,
                    vectors_config=models.VectorParams(
                        size=dimension, distance=models.Distance.COSINE
                    ),
                    hnsw_config=models.HnswConfigDiff(m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCT),
                )
            if not self._local:
                # Every call filters on the owner: a server scans the collection for an
                # unindexed filter field.
                self.client.create_payload_index(
                    collection, field_name=OWNER_KEY, field_schema=models.PayloadSchemaType.KEYWORD
                )
            self._ensured.add(collection)


def owned(owner: str, query_filter: Any) -> Any:
    """``query_filter`` limited to ``owner``'s points."""
    from qdrant_client import models

    mine = models.FieldCondition(key=OWNER_KEY, match=models.MatchValue(value=_owner(owner)))
    return models.Filter(must=[mine] if query_filter is None else [mine, query_filter])


def _owner(owner: str) -> str:
    if not owner:
        raise ValueError("a vector store call needs the owner")
    return owner


def _payload(payload: Any) -> dict[str, Any]:
    found = dict(payload or {})
    found.pop(OWNER_KEY, None)
    return found


def _unavailable(exc: Exception) -> VectorStoreUnavailableError:
    logger.warning("qdrant call failed: %s", type(exc).__name__)
    return VectorStoreUnavailableError(
        "the vector store is unavailable", headers={"Retry-After": "5"}
    )
