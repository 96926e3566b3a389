"""Audio uploads read as they arrive: the file part of a ``multipart/form-data`` body goes to a
temporary file (in memory up to ``SPOOL_MEMORY_BYTES``, on disk past it), hashed on the way, and
refused (413) as soon as it passes the limit, so a request body is never held whole in memory.
The recognizer reads the audio from that file; a long clip goes from it to blob storage in blocks
(the storage SDK's 4 MiB blocks) for its ``transcribe`` job."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any

from starlette.requests import Request

from shared.errors import BadRequestError, PayloadTooLargeError
from shared.http.executor import run_blocking
from shared.http.streams import limited_chunks
from shared.media.multipart import boundary_of
from shared.media.uploads import MULTIPART_OVERHEAD, StreamingForm

SPOOL_MEMORY_BYTES = 1024 * 1024


@dataclass
class SpooledAudio:
    """An uploaded audio file, as received: ``file`` (rewound once complete), its size and
    SHA-256."""

    limit: int
    filename: str | None = None
    size: int = 0
    file: IO[bytes] = field(
        default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 - closed by close()
    )
    _digest: Any = field(default_factory=hashlib.sha256)

    @property
    def sha256(self) -> str:
        return str(self._digest.hexdigest())

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise PayloadTooLargeError(f"the file is over the limit of {self.limit} bytes")
        self._digest.update(data)
        self.file.write(data)

    def finish(self) -> None:
        self.file.seek(0)

    def close(self) -> None:
        self.file.close()


@dataclass(frozen=True)
class AudioForm:
    """A received form: its text fields and its audio file."""

    fields: dict[str, str]
    all_fields: list[tuple[str, str]]
    audio: SpooledAudio


async def receive_audio_form(request: Request, limit: int) -> AudioForm:
    """The form of an audio upload, read as it arrives (see the module docstring): 415 for
    another content type, 400 without a ``file`` part, 413 for a file over ``limit``. The caller
    closes ``audio`` when done."""
    boundary = boundary_of(request.headers.get("content-type", ""))
    audio = SpooledAudio(limit=limit)
    form = StreamingForm(boundary, audio)
    try:
        async for chunk in limited_chunks(request, limit + MULTIPART_OVERHEAD):
            await run_blocking(form.write, chunk)
        await run_blocking(_finish, form)
        if not form.has_file:
            raise BadRequestError("the form has no file part named 'file'")
    except BaseException:
        audio.close()
        raise
    return AudioForm(form.fields, form.all_fields, audio)


def _finish(form: StreamingForm) -> None:
    form.finish()
