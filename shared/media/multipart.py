"""Reading a ``multipart/form-data`` upload body into its parts.

The Functions worker hands the body over whole, so the parts are slices of that buffer: the file
part is copied once (to join the pieces the parser reports), never more. python-multipart does
the parsing (a streaming, well-tested parser; the standard library's ``cgi`` is gone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.errors import BadRequestError, UnsupportedMediaTypeError

MAX_FIELD_BYTES = 4096  # text fields (name, collection id) are short


@dataclass
class Part:
    """One form field: its name, the filename when it is a file, and its bytes."""

    name: str
    filename: str | None = None
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0

    def data(self) -> bytes:
        return b"".join(self.chunks)

    def text(self) -> str:
        return self.data().decode("utf-8", errors="replace").strip()


def boundary_of(content_type_header: str) -> bytes:
    """The boundary of a multipart/form-data Content-Type; 415 for any other type."""
    from python_multipart.multipart import parse_options_header

    media_type, params = parse_options_header(content_type_header or "")
    if media_type.lower() != b"multipart/form-data":
        raise UnsupportedMediaTypeError(
            "uploads are multipart/form-data with the file in a part named 'file'"
        )
    boundary = params.get(b"boundary")
    if not boundary:
        raise BadRequestError("the multipart Content-Type has no boundary")
    return boundary


class _Collector:
    """python-multipart callbacks that gather the parts of one body."""

    def __init__(self) -> None:
        self.parts: dict[str, Part] = {}
        self.all_parts: list[Part] = []
        self._current: Part | None = None
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_header_field": lambda data, start, end: self._add_field(data[start:end]),
            "on_header_value": lambda data, start, end: self._add_value(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _add_field(self, chunk: bytes) -> None:
        self._field += chunk

    def _add_value(self, chunk: bytes) -> None:
        self._value += chunk

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        self._current = _new_part(self._headers)
        self._headers = {}

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is not None:
            _append(self._current, data[start:end])

    def _part_end(self) -> None:
        if self._current is not None:
            self.all_parts.append(self._current)
            self.parts.setdefault(self._current.name, self._current)
        self._current = None


def parse_form(body: bytes, content_type_header: str) -> dict[str, Part]:
    """The parts of a multipart/form-data body by field name (the first of each name wins);
    400 when the body is not valid multipart."""
    return parse_form_parts(body, content_type_header).parts


def parse_form_parts(body: bytes, content_type_header: str) -> _Collector:
    """Every part of the body (``.all_parts``, repeated names such as ``x[]`` included) and the
    first of each name (``.parts``); 400 when the body is not valid multipart."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser

    collector = _Collector()
    callbacks: Any = collector.callbacks()  # a MultipartCallbacks TypedDict
    parser = MultipartParser(boundary_of(content_type_header), callbacks)
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise BadRequestError(f"the multipart body is malformed: {exc}") from exc
    return collector


def _new_part(headers: dict[bytes, bytes]) -> Part:
    from python_multipart.multipart import parse_options_header

    _, params = parse_options_header(headers.get(b"content-disposition", b""))
    name = params.get(b"name", b"").decode("utf-8", errors="replace")
    filename = params.get(b"filename")
    return Part(
        name=name, filename=filename.decode("utf-8", errors="replace") if filename else None
    )


def _append(part: Part, chunk: bytes) -> None:
    part.size += len(chunk)
    if part.filename is None and part.size > MAX_FIELD_BYTES:
        raise BadRequestError(f"form field {part.name!r} is longer than {MAX_FIELD_BYTES} bytes")
    part.chunks.append(chunk)
