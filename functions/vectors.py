"""Vector endpoints over the Qdrant collections: upsert texts, search, delete points."""

from __future__ import annotations

import azure.functions as func

from shared.auth import Scope
from shared.http import endpoint, json_response, parse_body
from shared.idempotency import idempotent
from shared.identity import current_owner
from shared.vectors import service
from shared.vectors.api import (
    DeleteRequest,
    DeleteResponse,
    SearchRequest,
    SearchResponse,
    UpsertRequest,
    UpsertResponse,
)

bp = func.Blueprint()  # type: ignore[no-untyped-call]

ERRORS = (400, 404, 413, 503)


def _collection(req: func.HttpRequest) -> str:
    return str(req.route_params.get("collection", ""))


@bp.route(route="vectors/{collection}/points", methods=["POST"])
@endpoint(
    "Embed texts and upsert them as points (idempotent on ids)",
    request=UpsertRequest,
    response=UpsertResponse,
    errors=ERRORS,
    tags=("vectors",),
    scope=Scope.ML,
)
@idempotent()
def upsert_points(req: func.HttpRequest) -> func.HttpResponse:
    request = parse_body(req, UpsertRequest)
    return json_response(service.upsert(current_owner(), _collection(req), request))


@bp.route(route="vectors/{collection}/search", methods=["POST"])
@endpoint(
    "Search a collection with a query text, a payload filter, top_k and a score threshold",
    request=SearchRequest,
    response=SearchResponse,
    errors=ERRORS,
    tags=("vectors",),
    scope=Scope.ML,
)
@idempotent()
def search_points(req: func.HttpRequest) -> func.HttpResponse:
    request = parse_body(req, SearchRequest)
    return json_response(service.search(current_owner(), _collection(req), request))


@bp.route(route="vectors/{collection}/points", methods=["DELETE"])
@endpoint(
    "Delete points by ids or by payload filter",
    request=DeleteRequest,
    response=DeleteResponse,
    errors=ERRORS,
    tags=("vectors",),
    scope=Scope.ML,
)
@idempotent()
def delete_points(req: func.HttpRequest) -> func.HttpResponse:
    request = parse_body(req, DeleteRequest)
    return json_response(service.delete(current_owner(), _collection(req), request))
