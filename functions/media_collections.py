"""Media collections: named groups of a caller's files. Logic: ``shared/media/service.py``."""

from __future__ import annotations

import uuid

from shared.auth import Principal, Scope
from shared.http.api import Api
from shared.media import service
from shared.media.api import (
    CollectionDetail,
    CollectionIn,
    CollectionListResponse,
    CollectionView,
    FileView,
)

api = Api(tags=("media",), scope=Scope.FILES)
bp = api.blueprint

FILES_PER_COLLECTION_PAGE = 200
MEMBER = "media/collections/{collection_id}/files/{file_id}"


@api.post("media/collections", "Create a collection", status=201, errors=(409,))
def collection_create(body: CollectionIn, caller: Principal) -> CollectionView:
    return CollectionView.of(service.create_collection(caller.owner, body.name))


@api.get("media/collections", "The caller's collections")
def collection_list(caller: Principal) -> CollectionListResponse:
    items = [CollectionView.of(c) for c in service.list_collections(caller.owner)]
    return CollectionListResponse(items=items)


@api.get("media/collections/{collection_id}", "A collection and its files", errors=(404,))
def collection_get(collection_id: uuid.UUID, caller: Principal) -> CollectionDetail:
    collection = service.get_collection(caller.owner, collection_id)
    files = service.list_files(caller.owner, collection_id, FILES_PER_COLLECTION_PAGE)
    view = CollectionView.of(collection)
    return CollectionDetail(**view.model_dump(), files=[FileView.of(f) for f in files])


@api.delete(
    "media/collections/{collection_id}",
    "Delete a collection (its files stay)",
    status=204,
    errors=(404,),
)
def collection_delete(collection_id: uuid.UUID, caller: Principal) -> None:
    service.delete_collection(caller.owner, collection_id)


@api.put(MEMBER, "Add a file to a collection", status=204, errors=(404,))
def collection_add_file(collection_id: uuid.UUID, file_id: uuid.UUID, caller: Principal) -> None:
    service.add_to_collection(caller.owner, collection_id, file_id)


@api.delete(MEMBER, "Remove a file from a collection", status=204, errors=(404,))
def collection_remove_file(collection_id: uuid.UUID, file_id: uuid.UUID, caller: Principal) -> None:
    service.remove_from_collection(caller.owner, collection_id, file_id)
