"""The media type of an upload, decided from its first bytes (never from the client's claim),
and the allow-list of types the platform stores.

Only formats with an unambiguous signature are recognised; plain text is accepted when the
start of the file decodes as UTF-8 without control characters other than whitespace. Parquet
(the tables of /api/ml) is recognised by its magic ``PAR1`` at both the start and the end.
"""

from __future__ import annotations

PARQUET_TYPE = "application/vnd.apache.parquet"
_PARQUET_MAGIC = b"PAR1"

# (offset, signature, media type), checked in order.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF-", "application/pdf"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\x1a\x45\xdf\xa3", "audio/webm"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
)

ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "audio/wav",
        "audio/mpeg",
        "audio/ogg",
        "audio/flac",
        "audio/mp4",
        "audio/webm",
        "text/plain",
        "image/png",
        "image/jpeg",
        PARQUET_TYPE,
    }
)

_TEXT_PROBE = 4096
_WHITESPACE_CONTROLS = frozenset(b"\t\n\r\f")


def sniff_media_type(data: bytes) -> str:
    """The media type the bytes are, or ``application/octet-stream`` when unrecognised."""
    return PARQUET_TYPE if is_parquet(data) else _by_head(data)


def sniff_streamed_type(head: bytes, tail: bytes, size: int) -> str:
    """``sniff_media_type`` for bytes seen as a stream: the first 4 KiB, the last 4 bytes and the
    size (all that the signatures and the text probe look at)."""
    if size >= 12 and head[:4] == _PARQUET_MAGIC and tail[-4:] == _PARQUET_MAGIC:
        return PARQUET_TYPE
    return _by_head(head)


def _by_head(data: bytes) -> str:
    head = data[:16]
    for offset, signature, media_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):  # MPEG audio frame sync, no ID3 tag
        return "audio/mpeg"
    if data and _looks_like_text(data[:_TEXT_PROBE]):
        return "text/plain"
    return "application/octet-stream"


def is_parquet(data: bytes) -> bool:
    """Whether ``data`` has Parquet's framing: ``PAR1``, at least a footer length, ``PAR1``."""
    return len(data) >= 12 and data[:4] == _PARQUET_MAGIC and data[-4:] == _PARQUET_MAGIC


def _looks_like_text(probe: bytes) -> bool:
    if any(b < 0x20 and b not in _WHITESPACE_CONTROLS for b in probe):
        return False
    try:
        probe.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The probe may cut a multi-byte character in two: only its last 3 bytes may fail.
        return exc.start >= len(probe) - 3
    return True


def is_allowed(media_type: str) -> bool:
    """Whether uploads of ``media_type`` are stored."""
    return media_type in ALLOWED_TYPES
