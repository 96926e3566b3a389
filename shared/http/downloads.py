"""Blob downloads streamed to the client, as HTTP caches and download managers expect them.

``blob_download`` answers a GET for one blob with:

- ``ETag`` and ``If-None-Match``: 304 (no body) when the client's copy is current;
- ``Range: bytes=a-b`` / ``a-`` / ``-n`` (one range): 206 with ``Content-Range``; a range that
  starts past the end is 416 with ``Content-Range: bytes */<size>``. Several ranges are answered
  whole (200), which RFC 9110 allows;
- ``Content-Length`` and ``Accept-Ranges: bytes`` always.

The body is read from storage chunk by chunk while it is sent (never whole in memory); a client
that disconnects stops the read (``streams.iterate_in_thread``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.responses import Response

from shared.errors import NotFoundError, RangeNotSatisfiableError
from shared.http.call import HttpCall
from shared.http.streams import StreamedResponse, iterate_in_thread

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient

# At most 19 digits (any int64): a longer number is no byte position (and Python refuses to
# parse numbers over 4,300 digits).
_RANGE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})")


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range within a resource of ``size`` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def requested_range(header: str | None, size: int) -> ByteRange | None:
    """The one range a ``Range`` header asks for; None for the whole resource (no header, a
    header that is not one byte range). Raises 416 when the range cannot be satisfied."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None  # several ranges or another unit: the whole resource
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return ByteRange(max(0, size - suffix), size - 1, size)
    start = int(first)
    if start >= size:
        raise _unsatisfiable(size)
    end = min(int(last), size - 1) if last else size - 1
    if end < start:
        return None  # an invalid range is ignored (RFC 9110 §14.2)
    return ByteRange(start, end, size)


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 8187)."""
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def blob_download(
    call: HttpCall, blob: BlobClient, *, filename: str, content_type: str | None = None
) -> Response:
    """The response to a GET of ``blob`` (see the module docstring); 404 when it is gone.
    Blocking (one properties request): call it from a sync handler or a worker thread."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        properties = blob.get_blob_properties()
    except ResourceNotFoundError:
        raise NotFoundError(f"the content of {filename!r} is no longer stored") from None
    size = int(properties.size)
    etag = str(properties.etag)
    etag = etag if etag.startswith('"') else f'"{etag}"'
    media_type = content_type or properties.content_settings.content_type
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(filename),
    }
    if _matches(call.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    byte_range = requested_range(call.headers.get("range"), size)
    if byte_range is None:
        chunks = blob.download_blob().chunks() if size else iter(())
        headers["Content-Length"] = str(size)
        status = 200
    else:
        chunks = blob.download_blob(offset=byte_range.start, length=byte_range.length).chunks()
        headers["Content-Length"] = str(byte_range.length)
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
        status = 206
    return StreamedResponse(
        iterate_in_thread(chunks), status_code=status, headers=headers, media_type=media_type
    )


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def _unsatisfiable(size: int) -> RangeNotSatisfiableError:
    return RangeNotSatisfiableError(
        f"the range is outside the {size} bytes of the resource",
        headers={"Content-Range": f"bytes */{size}"},
    )
