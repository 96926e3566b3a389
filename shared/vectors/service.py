"""Upsert, search and delete embedded texts in the collections (``/api/vectors/...``).

The store is ``shared.vectors.factory.get_vector_store()`` (pgvector by default, Qdrant with
``QDRANT_URL``); it keeps every caller's points apart. Texts are embedded with the served sentence
model (``shared.embeddings``); points carry the caller's payload plus the text (``_text``) and the
id as sent (``_id``), which also marks them as this API's: other features' points in the same
collection (chat's document chunks) have no ``_id`` and are never matched here. Store failures
are 503.
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
from shared.vectors.collections import check_collection
from shared.vectors.factory import get_vector_store
from shared.vectors.filters import to_qdrant_filter
from shared.vectors.ids import ID_KEY, MODEL_KEY, OWNER_KEY, RESERVED_KEYS, TEXT_KEY, qdrant_id
from shared.vectors.store import ScoredPoint, VectorPoint, VectorQuery


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
    points = [
        VectorPoint(
            id=point_id,
            vector=vector.tolist(),
            payload={**point.payload, ID_KEY: point.id, TEXT_KEY: point.text, OWNER_KEY: owner},
        )
        for point_id, point, vector in zip(ids, request.points, embedded.vectors, strict=True)
    ]
    get_vector_store().upsert(collection, owner, points)
    return UpsertResponse(
        collection=collection, upserted=len(points), ids=[p.id for p in request.points]
    )


def search(owner: str, collection: str, request: SearchRequest) -> SearchResponse:
    """The ``top_k`` points most similar to the query text that pass the filter."""
    check_collection(collection)
    query_filter = _points_of_this_api(to_qdrant_filter(request.filter))
    embedded = embed([request.query], field="query")
    found = get_vector_store().search(
        collection,
        owner,
        VectorQuery(
            vector=embedded.vectors[0].tolist(),
            filter=query_filter,
            limit=request.top_k,
            score_threshold=request.score_threshold,
        ),
    )
    return SearchResponse(
        collection=collection, results=[_hit(p, request.with_payload) for p in found]
    )


def delete(owner: str, collection: str, request: DeleteRequest) -> DeleteResponse:
    """Delete the points named by id, or those matching the filter; returns how many matched."""
    check_collection(collection)
    store = get_vector_store()
    if request.ids is not None:
        ids = [qdrant_id(owner, i) for i in request.ids]
        deleted = store.delete(collection, owner, ids=ids)
    else:
        query_filter = _points_of_this_api(to_qdrant_filter(request.filter))
        deleted = store.delete(collection, owner, query_filter=query_filter)
    return DeleteResponse(collection=collection, deleted=deleted)


def _hit(point: ScoredPoint, with_payload: bool) -> SearchHit:
    payload = dict(point.payload)
    original_id = payload.pop(ID_KEY, point.id)
    text = payload.pop(TEXT_KEY, None)
    payload.pop(OWNER_KEY, None)
    payload.pop(MODEL_KEY, None)
    return SearchHit(
        id=original_id,
        score=round(float(point.score), 6),
        text=text,
        payload=payload if with_payload else None,
    )


def _points_of_this_api(query_filter: Any) -> Any:
    """``query_filter`` limited to points written through this API (they carry ``_id``)."""
    from qdrant_client import models

    mine = models.IsEmptyCondition(is_empty=models.PayloadField(key=ID_KEY))
    if query_filter is None:
        return models.Filter(must_not=[mine])
    return models.Filter(must=[query_filter], must_not=[mine])
