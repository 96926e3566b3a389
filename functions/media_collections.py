"""Media collections: named groups of a caller's files. Logic: ``shared/media/service.py``."""

from __future__ import annotations

import azure.functions as func

from functions.jobs import route_uuid
from shared.auth import Scope
from shared.http import endpoint, json_response, parse_body
from shared.idempotency import idempotent
from shared.identity import current_owner
from shared.media import service
from shared.media.api import (
    CollectionDetail,
    CollectionIn,
    CollectionListResponse,
    CollectionView,
    FileView,
)

bp = func.Blueprint()  # type: ignore[no-untyped-call]

FILES_PER_COLLECTION_PAGE = 200


@bp.route(route="media/collections", methods=["POST"])
@endpoint(
    "Create a collection",
    request=CollectionIn,
    response=CollectionView,
    status=201,
    errors=(409,),
    tags=("media",),
    scope=Scope.FILES,
)
@idempotent()
def collection_create(req: func.HttpRequest) -> func.HttpResponse:
    body = parse_body(req, CollectionIn)
    collection = service.create_collection(current_owner(), body.name)
    return json_response(CollectionView.of(collection), status=201)


@bp.route(route="media/collections", methods=["GET"])
@endpoint(
    "The caller's collections", response=CollectionListResponse, tags=("media",), scope=Scope.FILES
)
def collection_list(req: func.HttpRequest) -> func.HttpResponse:
    items = [CollectionView.of(c) for c in service.list_collections(current_owner())]
    return json_response(CollectionListResponse(items=items))


@bp.route(route="media/collections/{id:guid}", methods=["GET"])
@endpoint(
    "A collection and its files",
    response=CollectionDetail,
    errors=(404,),
    tags=("media",),
    scope=Scope.FILES,
)
def collection_get(req: func.HttpRequest) -> func.HttpResponse:
    owner, collection_id = current_owner(), route_uuid(req)
    collection = service.get_collection(owner, collection_id)
    files = service.list_files(owner, collection_id, FILES_PER_COLLECTION_PAGE)
    view = CollectionView.of(collection)
    body = CollectionDetail(**view.model_dump(), files=[FileView.of(f) for f in files])
    return json_response(body)


@bp.route(route="media/collections/{id:guid}", methods=["DELETE"])
@endpoint(
    "Delete a collection (its files stay)",
    status=204,
    errors=(404,),
    tags=("media",),
    scope=Scope.FILES,
)
@idempotent()
def collection_delete(req: func.HttpRequest) -> func.HttpResponse:
    service.delete_collection(current_owner(), route_uuid(req))
    return func.HttpResponse(status_code=204)


@bp.route(route="media/collections/{id:guid}/files/{file:guid}", methods=["PUT"])
@endpoint(
    "Add a file to a collection", status=204, errors=(404,), tags=("media",), scope=Scope.FILES
)
@idempotent()
def collection_add_file(req: func.HttpRequest) -> func.HttpResponse:
    owner = current_owner()
    service.add_to_collection(owner, route_uuid(req), route_uuid(req, "file"))
    return func.HttpResponse(status_code=204)


@bp.route(route="media/collections/{id:guid}/files/{file:guid}", methods=["DELETE"])
@endpoint(
    "Remove a file from a collection", status=204, errors=(404,), tags=("media",), scope=Scope.FILES
)
@idempotent()
def collection_remove_file(req: func.HttpRequest) -> func.HttpResponse:
    owner = current_owner()
    service.remove_from_collection(owner, route_uuid(req), route_uuid(req, "file"))
    return func.HttpResponse(status_code=204)
