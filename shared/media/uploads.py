"""Uploads streamed from the request to blob storage, block by block.

``receive_upload`` reads a ``multipart/form-data`` body as it arrives (python-multipart's streaming
parser), sends the file part to a new blob in blocks of ``BLOCK_BYTES`` (``stage_block``) while
hashing it, and refuses (413) as soon as the file passes the limit. Only when the whole body has
arrived and the file is accepted (type allowed, not a duplicate) is the block list committed: until
then the blob does not exist. A refused, failed or abandoned upload (the client disconnected)
leaves only uncommitted blocks, which storage discards by itself (after 7 days on Azure), never a
half-written file. Memory stays bounded by one block, whatever the file's size; a PDF is also
spooled to a temporary file (disk past 8 MB) so that its pages can be counted.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import tempfile
import uuid
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Protocol

from starlette.requests import Request

from shared.errors import (
    BadRequestError,
    NotFoundError,
    PayloadTooLargeError,
    UnprocessableContentError,
    UnsupportedMediaTypeError,
)
from shared.http.executor import run_blocking
from shared.http.streams import limited_chunks
from shared.media.blobs import media_storage_errors
from shared.media.multipart import MAX_FIELD_BYTES, boundary_of
from shared.media.sniff import ALLOWED_TYPES, is_allowed, sniff_streamed_type

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient, ContainerClient

    from shared.media.repository import FileRecord

BLOCK_BYTES = 4 * 1024 * 1024
HEAD_BYTES = 4096
SPOOL_MEMORY_BYTES = 8 * 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the small fields


@dataclass
class StagedFile:
    """A file part staged as uncommitted blocks of one blob, with what is known of its bytes."""

    blob: BlobClient
    container: ContainerClient | None = None  # created when it does not exist yet
    filename: str | None = None
    limit: int = 0
    size: int = 0
    head: bytes = b""
    tail: bytes = b""
    block_ids: list[str] = field(default_factory=list)
    spool: IO[bytes] | None = None
    _digest: Any = field(default_factory=hashlib.sha256)
    _pending: bytearray = field(default_factory=bytearray)

    @property
    def sha256(self) -> str:
        return str(self._digest.hexdigest())

    def write(self, data: bytes) -> None:
        """Take the next bytes of the file; a full block is staged at once."""
        self.size += len(data)
        if self.size > self.limit:
            raise PayloadTooLargeError(f"the file is over the limit of {self.limit} bytes")
        if len(self.head) < HEAD_BYTES:
            self.head += data[: HEAD_BYTES - len(self.head)]
            if self.spool is None and self.head.startswith(b"%PDF"):
                self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 - closed by close()
                self.spool.write(self.head[: self.size - len(data)])
        self.tail = (self.tail + data)[-4:]
        self._digest.update(data)
        if self.spool is not None:
            self.spool.write(data)
        self._pending += data
        if len(self._pending) >= BLOCK_BYTES:
            self._stage()

    def finish(self) -> None:
        """Stage what is left (the last, short block)."""
        if self._pending:
            self._stage()

    def commit(self, content_type: str) -> None:
        """Make the blob exist, holding exactly the staged blocks."""
        from azure.storage.blob import BlobBlock, ContentSettings

        with media_storage_errors():
            self.blob.commit_block_list(
                [BlobBlock(block_id) for block_id in self.block_ids],
                content_settings=ContentSettings(content_type=content_type),
            )

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()

    def _stage(self) -> None:
        from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

        block_id = base64.b64encode(f"{len(self.block_ids):08d}".encode()).decode()
        # Storage not there is a 503 through the breaker, never a 500 (the soak found it).
        with media_storage_errors():
            try:
                self.blob.stage_block(block_id, bytes(self._pending))
            except ResourceNotFoundError:
                # A new storage account has no media container yet: create it, once.
                if self.container is None:
                    raise
                with contextlib.suppress(ResourceExistsError):
                    self.container.create_container()
                self.blob.stage_block(block_id, bytes(self._pending))
        self.block_ids.append(block_id)
        self._pending.clear()


class FileSink(Protocol):
    """Where a form's file part goes as it arrives (``StagedFile``: blob blocks;
    ``shared.voice.uploads.SpooledAudio``: a temporary file)."""

    filename: str | None

    def write(self, data: bytes) -> None: ...

    def finish(self) -> None: ...


class StreamingForm:
    """python-multipart callbacks: the part named ``file`` goes to a ``FileSink`` as it arrives,
    the small text fields are kept (``fields``: the first of each name; ``all_fields``: every one,
    repeated names such as ``x[]`` included)."""

    def __init__(self, boundary: bytes, staged: FileSink) -> None:
        from python_multipart.multipart import MultipartParser

        self.staged = staged
        self.fields: dict[str, str] = {}
        self.all_fields: list[tuple[str, str]] = []
        self.has_file = False
        self._headers: dict[bytes, bytes] = {}
        self._field = self._value = b""
        self._part: str | None = None
        self._text = bytearray()
        callbacks: Any = {
            "on_header_field": lambda d, s, e: self._add("_field", d[s:e]),
            "on_header_value": lambda d, s, e: self._add("_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        }
        self._parser = MultipartParser(boundary, callbacks)

    def write(self, chunk: bytes) -> None:
        from python_multipart.exceptions import MultipartParseError

        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise BadRequestError(f"the multipart body is malformed: {exc}") from exc

    def finish(self) -> None:
        """After the last byte: 400 unless the body reached its closing boundary (a truncated
        body must not become a file), then the file part's last bytes go to the sink."""
        from python_multipart.multipart import MultipartState

        self.write(b"")
        self._parser.finalize()
        if self._parser.state is not MultipartState.END:
            raise BadRequestError("the multipart body ends before its closing boundary")
        self.staged.finish()

    def _add(self, name: str, data: bytes) -> None:
        setattr(self, name, getattr(self, name) + data)

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._headers = {}
        name = params.get(b"name", b"").decode("utf-8", errors="replace")
        filename = params.get(b"filename")
        if name == "file" and filename is not None and not self.has_file:
            self.has_file = True
            self.staged.filename = filename.decode("utf-8", errors="replace")
            self._part = "\0file"
        else:
            self._part = name
        self._text.clear()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "\0file":
            self.staged.write(data[start:end])
            return
        self._text += data[start:end]
        if len(self._text) > MAX_FIELD_BYTES:
            raise BadRequestError(
                f"form field {self._part!r} is longer than {MAX_FIELD_BYTES} bytes"
            )

    def _part_end(self) -> None:
        if self._part is not None and self._part != "\0file":
            text = self._text.decode("utf-8", "replace").strip()
            self.fields.setdefault(self._part, text)
            self.all_fields.append((self._part, text))
        self._part = None


def store_staged_upload(
    owner: str, staged: StagedFile, filename: str | None, collection: str | None
) -> tuple[FileRecord, bool]:
    """Keep a streamed upload (``shared/media/uploads.py``): commit its blob and record it, or,
    when the owner already has the same bytes, leave the blocks uncommitted and return the stored
    file. Returns (file, created); 404 for an unknown collection, 415 and 422 as ``upload_file``."""
    from shared.media.pdf import inspect_pdf
    from shared.media.service import clean_filename, media_repository, owned_collection

    if staged.size == 0:
        raise UnprocessableContentError("the file is empty")
    media_type = sniff_streamed_type(staged.head, staged.tail, staged.size)
    if not is_allowed(media_type):
        raise UnsupportedMediaTypeError(
            f"files of type {media_type} are not accepted", allowed=sorted(ALLOWED_TYPES)
        )
    repo = media_repository()
    collection_id = _form_uuid(collection) if collection else None
    found = owned_collection(repo, owner, collection_id) if collection_id else None
    record = repo.file_by_hash(owner, staged.sha256)
    created = False
    if record is None:
        info = None
        if media_type == "application/pdf" and staged.spool is not None:
            staged.spool.seek(0)
            info = inspect_pdf(staged.spool)
        # The blob first: a row never points at bytes that are not there.
        staged.commit(media_type)
        record, created = repo.insert_file(
            {
                "owner": owner,
                "name": clean_filename(filename),
                "content_type": media_type,
                "size": staged.size,
                "sha256": staged.sha256,
                "blob_name": staged.blob.blob_name,
                "page_count": info.page_count if info else None,
                "unreadable_reason": info.unreadable_reason if info else None,
            }
        )
        if not created:  # the same bytes arrived twice at once: keep one copy
            with media_storage_errors():
                staged.blob.delete_blob()
    if found is not None:
        repo.add_to_collection(owner, found.id, record.id)
    return record, created


def _form_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFoundError(f"no collection {raw[:64]!r}") from None


async def receive_upload(owner: str, request: Request, limit: int) -> tuple[FileRecord, bool]:
    """Store the file of a multipart upload as it arrives (see the module docstring).
    Returns (file, created); 415 for another content type or a file type outside the
    allow-list, 400 without a ``file`` part, 413 over ``limit``, 422 for an empty file."""
    from shared.media.blobs import media_blob_name, media_container

    boundary = boundary_of(request.headers.get("content-type", ""))
    container = await run_blocking(media_container)
    blob = container.get_blob_client(media_blob_name(owner, f"upload-{uuid.uuid4()}"))
    staged = StagedFile(blob=blob, container=container, limit=limit)
    form = StreamingForm(boundary, staged)
    try:
        async for chunk in limited_chunks(request, limit + MULTIPART_OVERHEAD):
            await run_blocking(form.write, chunk)
        await run_blocking(form.finish)
        if not form.has_file:
            raise BadRequestError("the form has no file part named 'file'")
        return await run_blocking(
            store_staged_upload,
            owner,
            staged,
            form.fields.get("name") or staged.filename,
            form.fields.get("collection"),
        )
    finally:
        staged.close()
