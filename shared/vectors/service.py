"""Upsert, search and delete embedded texts in the Qdrant collections.

The client is ``shared.stores.qdrant.get_qdrant()`` (a server at ``QDRANT_URL``, else embedded
local mode, which is not safe for concurrent use: calls are serialised in that mode). Texts are
embedded with the served sentence model (``shared.embeddings``); points carry the caller's
payload plus the text (``_text``) and the id as sent (``_id``). Qdrant failures are 503.
"""

from __future__ import annotations

from typing import Any

from shared.embeddings.service import embed
from shared.errors import UnprocessableContentError
from shared.vectors.api import (
    DeleteRequest,
    DeleteResponse,
    SearchHit,
    SearchRequest,
    SearchResponse,
    UpsertRequest,
    UpsertResponse,
)
from shared.vectors.collections import check_collection, collection_client, embedding_dimension
from shared.vectors.filters import to_qdrant_filter
from shared.vectors.ids import ID_KEY, OWNER_KEY, RESERVED_KEYS, TEXT_KEY, qdrant_id


def upsert(owner: str, collection: str, request: UpsertRequest) -> UpsertResponse:
    """Embed each point's text and upsert it (the same id replaces the point)."""
    check_collection(collection)
    ids = [qdrant_id(owner, p.id) for p in request.points]
    if len(set(ids)) != len(ids):
        raise UnprocessableContentError("two points in the request have the same id")
    for point in request.points:
        if reserved := RESERVED_KEYS & point.payload.keys():
            raise UnprocessableContentError(f"payload keys {sorted(reserved)} are reserved")
    embedded = embed([p.text for p in request.points], field="points")
    from qdrant_client import models

    points = [
        models.PointStruct(
            id=point_id,
            vector=vector.tolist(),
            payload={**point.payload, ID_KEY: point.id, TEXT_KEY: point.text, OWNER_KEY: owner},
        )
        for point_id, point, vector in zip(ids, request.points, embedded.vectors, strict=True)
    ]
    with collection_client(collection, embedded.dimension) as client:
        client.upsert(collection, points=points, wait=True)
    return UpsertResponse(
        collection=collection, upserted=len(points), ids=[p.id for p in request.points]
    )


def search(owner: str, collection: str, request: SearchRequest) -> SearchResponse:
    """The ``top_k`` points most similar to the query text that pass the filter."""
    check_collection(collection)
    query_filter = _owned(owner, to_qdrant_filter(request.filter))
    embedded = embed([request.query], field="query")
    with collection_client(collection, embedded.dimension) as client:
        found = client.query_points(
            collection,
            query=embedded.vectors[0].tolist(),
            query_filter=query_filter,
            limit=request.top_k,
            score_threshold=request.score_threshold,
            with_payload=True,
        ).points
    return SearchResponse(
        collection=collection, results=[_hit(p, request.with_payload) for p in found]
    )


def delete(owner: str, collection: str, request: DeleteRequest) -> DeleteResponse:
    """Delete the points named by id, or those matching the filter; returns how many matched."""
    from qdrant_client import models

    check_collection(collection)
    dimension = embedding_dimension()
    with collection_client(collection, dimension) as client:
        if request.ids is not None:
            ids = [qdrant_id(owner, i) for i in request.ids]
            matched = len(client.retrieve(collection, ids=ids, with_payload=False))
            selector: Any = models.PointIdsList(points=ids)
        else:
            query_filter = _owned(owner, to_qdrant_filter(request.filter))
            matched = client.count(collection, count_filter=query_filter, exact=True).count
            selector = models.FilterSelector(filter=query_filter)
        client.delete(collection, points_selector=selector, wait=True)
    return DeleteResponse(collection=collection, deleted=matched)


def _hit(point: Any, with_payload: bool) -> SearchHit:
    payload = dict(point.payload or {})
    original_id = payload.pop(ID_KEY, point.id)
    text = payload.pop(TEXT_KEY, None)
    payload.pop(OWNER_KEY, None)
    return SearchHit(
        id=original_id,
        score=round(float(point.score), 6),
        text=text,
        payload=payload if with_payload else None,
    )


def _owned(owner: str, query_filter: Any) -> Any:
    """``query_filter`` limited to ``owner``'s points (points other features store in the same
    collection, such as chat's document chunks, carry no ``_owner`` and are never matched)."""
    from qdrant_client import models

    mine = models.FieldCondition(key=OWNER_KEY, match=models.MatchValue(value=owner))
    return models.Filter(must=[mine] if query_filter is None else [mine, query_filter])
