"""Vector endpoints over the vector store's collections (pgvector by default, Qdrant with
QDRANT_URL): upsert texts, search, delete points."""

from __future__ import annotations

from shared.auth import Principal, Scope
from shared.http.api import Api
from shared.vectors import service
from shared.vectors.api import (
    DeleteRequest,
    DeleteResponse,
    SearchRequest,
    SearchResponse,
    UpsertRequest,
    UpsertResponse,
)

api = Api(tags=("vectors",), scope=Scope.ML)
bp = api.blueprint

ERRORS = (400, 404, 413, 503)


@api.post(
    "vectors/{collection}/points",
    "Embed texts and upsert them as points (idempotent on ids)",
    errors=ERRORS,
)
def upsert_points(collection: str, body: UpsertRequest, caller: Principal) -> UpsertResponse:
    return service.upsert(caller.owner, collection, body)


@api.post(
    "vectors/{collection}/search",
    "Search a collection with a query text, a payload filter, top_k and a score threshold",
    errors=ERRORS,
)
def search_points(collection: str, body: SearchRequest, caller: Principal) -> SearchResponse:
    return service.search(caller.owner, collection, body)


@api.delete(
    "vectors/{collection}/points", "Delete points by ids or by payload filter", errors=ERRORS
)
def delete_points(collection: str, body: DeleteRequest, caller: Principal) -> DeleteResponse:
    return service.delete(caller.owner, collection, body)
