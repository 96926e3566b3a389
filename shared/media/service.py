"""Files and collections of one owner. Every function takes the owner and reports another
owner's file or collection as not found (404), never as forbidden: its existence is not leaked."""

from __future__ import annotations

import hashlib
import io
import logging
import unicodedata
import uuid
from typing import TYPE_CHECKING

from shared.errors import (
    ConflictError,
    NotFoundError,
    UnprocessableContentError,
    UnsupportedMediaTypeError,
)
from shared.media.sniff import ALLOWED_TYPES, is_allowed, sniff_media_type

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient

    from shared.media.repository import CollectionRecord, FileRecord, MediaRepository

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255
DEFAULT_NAME = "upload"


def media_repository() -> MediaRepository:
    """The repository on the ``media`` role's pool."""
    from shared.media.repository import MediaRepository
    from shared.stores.postgres import PostgresService, get_pool

    return MediaRepository(get_pool(PostgresService.MEDIA))


def clean_filename(name: str | None) -> str:
    """A display name: the last path segment, control characters removed, at most 255 chars."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return printable[:MAX_NAME_LENGTH] or DEFAULT_NAME


def upload_file(
    owner: str, data: bytes, filename: str | None, collection_id: uuid.UUID | None = None
) -> tuple[FileRecord, bool]:
    """Store an upload; the same bytes uploaded again by the owner return the stored file.
    Returns (file, created). 415 for a type outside the allow-list, 422 for an empty file."""
    from shared.media.blobs import media_blob_name, upload_media
    from shared.media.pdf import inspect_pdf

    if not data:
        raise UnprocessableContentError("the file is empty")
    media_type = sniff_media_type(data)
    if not is_allowed(media_type):
        raise UnsupportedMediaTypeError(
            f"files of type {media_type} are not accepted", allowed=sorted(ALLOWED_TYPES)
        )
    repo = media_repository()
    collection = owned_collection(repo, owner, collection_id) if collection_id else None
    digest = hashlib.sha256(data).hexdigest()
    record = repo.file_by_hash(owner, digest)
    created = False
    if record is None:
        info = inspect_pdf(io.BytesIO(data)) if media_type == "application/pdf" else None
        blob = media_blob_name(owner, digest)
        # The blob first: a row never points at bytes that are not there. A crash in between
        # leaves an orphan blob that the next upload of the same bytes overwrites.
        upload_media(blob, data, media_type)
        record, created = repo.insert_file(
            {
                "owner": owner,
                "name": clean_filename(filename),
                "content_type": media_type,
                "size": len(data),
                "sha256": digest,
                "blob_name": blob,
                "page_count": info.page_count if info else None,
                "unreadable_reason": info.unreadable_reason if info else None,
            }
        )
    if collection is not None:
        repo.add_to_collection(owner, collection.id, record.id)
    return record, created


def get_file(owner: str, file_id: uuid.UUID) -> FileRecord:
    """The owner's file; 404 otherwise."""
    record = media_repository().get_file(file_id, owner)
    if record is None:
        raise NotFoundError(f"no file {file_id}")
    return record


def list_files(owner: str, collection_id: uuid.UUID | None, limit: int) -> list[FileRecord]:
    """The owner's files, newest first; only those in ``collection_id`` when given."""
    repo = media_repository()
    if collection_id is not None:
        owned_collection(repo, owner, collection_id)
    return repo.list_files(owner, collection_id, limit)


def file_blob(owner: str, file_id: uuid.UUID) -> tuple[FileRecord, BlobClient]:
    """The owner's file and the blob holding its bytes (404 when there is no such file)."""
    from shared.media.blobs import media_container

    record = get_file(owner, file_id)
    return record, media_container().get_blob_client(record.blob_name)


def read_file(owner: str, file_id: uuid.UUID) -> tuple[FileRecord, bytes]:
    """The owner's file and its bytes."""
    from shared.media.blobs import download_media

    record = get_file(owner, file_id)
    data = download_media(record.blob_name)
    if data is None:
        raise NotFoundError(f"the content of file {file_id} is no longer stored")
    return record, data


def delete_file(owner: str, file_id: uuid.UUID) -> None:
    """Delete the owner's file: its row (and collection memberships), then its blob."""
    from shared.media.blobs import delete_media

    record = media_repository().delete_file(file_id, owner)
    if record is None:
        raise NotFoundError(f"no file {file_id}")
    delete_media(record.blob_name)


def owned_collection(
    repo: MediaRepository, owner: str, collection_id: uuid.UUID
) -> CollectionRecord:
    """The owner's collection; 404 otherwise."""
    collection = repo.get_collection(collection_id, owner)
    if collection is None:
        raise NotFoundError(f"no collection {collection_id}")
    return collection


def create_collection(owner: str, name: str) -> CollectionRecord:
    """A new collection; 409 when the owner already has one of that name."""
    collection = media_repository().create_collection(owner, name)
    if collection is None:
        raise ConflictError(f"a collection named {name!r} already exists")
    return collection


def get_collection(owner: str, collection_id: uuid.UUID) -> CollectionRecord:
    return owned_collection(media_repository(), owner, collection_id)


def list_collections(owner: str) -> list[CollectionRecord]:
    return media_repository().list_collections(owner)


def delete_collection(owner: str, collection_id: uuid.UUID) -> None:
    """Delete a collection (its files stay)."""
    if not media_repository().delete_collection(collection_id, owner):
        raise NotFoundError(f"no collection {collection_id}")


def add_to_collection(owner: str, collection_id: uuid.UUID, file_id: uuid.UUID) -> None:
    repo = media_repository()
    owned_collection(repo, owner, collection_id)
    get_file(owner, file_id)
    repo.add_to_collection(owner, collection_id, file_id)


def remove_from_collection(owner: str, collection_id: uuid.UUID, file_id: uuid.UUID) -> None:
    repo = media_repository()
    owned_collection(repo, owner, collection_id)
    if not repo.remove_from_collection(owner, collection_id, file_id):
        raise NotFoundError(f"file {file_id} is not in collection {collection_id}")
