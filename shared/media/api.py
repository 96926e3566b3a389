"""The media API's request and response models (the OpenAPI document is built from them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from shared.hostconfig import route_prefix
from shared.speech.piper import DEFAULT_VOICE

if TYPE_CHECKING:
    from shared.media.repository import CollectionRecord, FileRecord


def media_path(file_id: uuid.UUID) -> str:
    prefix = route_prefix().strip("/")
    return f"/{prefix}/media/{file_id}" if prefix else f"/media/{file_id}"


class FileView(BaseModel):
    """A stored file. ``page_count`` and ``unreadable_reason`` are set for PDFs."""

    id: uuid.UUID
    name: str
    content_type: str
    size: int
    sha256: str
    page_count: int | None = None
    unreadable_reason: str | None = None
    created_at: datetime
    href: str
    content_href: str

    @classmethod
    def of(cls, record: FileRecord) -> FileView:
        href = media_path(record.id)
        return cls(
            id=record.id,
            name=record.name,
            content_type=record.content_type,
            size=record.size,
            sha256=record.sha256,
            page_count=record.page_count,
            unreadable_reason=record.unreadable_reason,
            created_at=record.created_at,
            href=href,
            content_href=f"{href}/content",
        )


class UploadResponse(FileView):
    """The stored file; ``deduplicated`` when the caller had already uploaded these bytes."""

    deduplicated: bool = False


class FileListQuery(BaseModel):
    """``GET /api/media`` query."""

    collection: uuid.UUID | None = None
    limit: int = Field(default=50, ge=1, le=200)


class FileListResponse(BaseModel):
    items: list[FileView]


class CollectionIn(BaseModel):
    """A new collection."""

    name: str = Field(min_length=1, max_length=200)


class CollectionView(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime

    @classmethod
    def of(cls, record: CollectionRecord) -> CollectionView:
        return cls(id=record.id, name=record.name, created_at=record.created_at)


class CollectionDetail(CollectionView):
    files: list[FileView]


class CollectionListResponse(BaseModel):
    items: list[CollectionView]


class SpeechRequest(BaseModel):
    """Read pages aloud: ``first_page``..``last_page`` (1-based; the last page by default), one
    WAV per page or, with ``joined``, one WAV for the whole range."""

    first_page: int = Field(default=1, ge=1)
    last_page: int | None = Field(default=None, ge=1)
    voice: str = Field(default=DEFAULT_VOICE, max_length=100)
    joined: bool = False
