"""The transfer benchmark's peer: ``azure-storage-blob`` called directly, in a process of its own.

``python -m bench._transfer_peer SIZE``: uploads SIZE bytes of text from a stream with
``upload_blob`` (the SDK stages blocks itself), downloads them with ``download_blob().chunks()``,
deletes the blob, and prints one JSON line: MB/s both ways and this process's memory growth over
its idle baseline (sampled every 20 ms), as ``bench.transfer`` reports for devhost.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
import uuid

from bench.transfer import MB, payload
from devhost.testing import PeakMemory


class _Stream(io.RawIOBase):
    """A read()-able view of the payload generator (what a service would pass on)."""

    def __init__(self, size: int) -> None:
        self._chunks = payload(size, str(uuid.uuid4()))
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        n = -1 if n is None else n
        while n < 0 or len(self._buffer) < n:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buffer += chunk
        out, self._buffer = (self._buffer, b"") if n < 0 else (self._buffer[:n], self._buffer[n:])
        return out


def main() -> None:
    from shared.config import get_settings
    from shared.stores.storage import get_blob_service

    size = int(sys.argv[1])
    container = get_blob_service().get_container_client(get_settings().media_container)
    blob = container.get_blob_client(f"bench-transfer/{uuid.uuid4()}")
    pid = os.getpid()

    peak = PeakMemory(pid)
    start = time.perf_counter()
    blob.upload_blob(_Stream(size), length=size, overwrite=True)
    upload_s = time.perf_counter() - start
    upload_growth = peak.stop() / MB

    peak = PeakMemory(pid)
    start = time.perf_counter()
    digest = hashlib.sha256()
    for chunk in blob.download_blob().chunks():
        digest.update(chunk)
    download_s = time.perf_counter() - start
    download_growth = peak.stop() / MB
    blob.delete_blob()
    print(
        json.dumps(
            {
                "upload_mb_s": size / MB / upload_s,
                "download_mb_s": size / MB / download_s,
                "upload_rss_growth_mb": upload_growth,
                "download_rss_growth_mb": download_growth,
            }
        )
    )


if __name__ == "__main__":
    main()
