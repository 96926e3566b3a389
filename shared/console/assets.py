"""The built web console (``console/dist``, made by ``make console``), read once into memory.

Contract: a file is served only when the build produced it. Every file under the folder is
listed when the bundle is loaded, and a request names one by its relative POSIX path; anything
else (an unknown name, ``..``, an absolute path, a symlink out of the folder) is simply not in the
list, so no request can reach another file. Hashed asset names (``assets/index-<hash>.js``) are
cached by browsers for a year; ``index.html`` is revalidated every time (its ``ETag``), so a new
build is picked up at once. The bundle is reloaded when ``index.html`` changes (a rebuild under a
running host). Compressible files are gzipped once, on first request.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass, field
from pathlib import Path

from shared.config import PROJECT_ROOT

# Where `make console` puts the build, beside the app in every deployment (the zip package and
# the container image carry it at the same place).
CONSOLE_DIR = PROJECT_ROOT / "console" / "dist"
INDEX = "index.html"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HASHED_FOLDER = "assets/"  # Vite's output folder for content-hashed names
_GZIP_MIN_BYTES = 1024

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
    ".txt": "text/plain; charset=utf-8",
}
_COMPRESSIBLE = frozenset({".html", ".js", ".mjs", ".css", ".json", ".svg", ".txt"})


def content_type(name: str) -> str:
    """The Content-Type for a file name (by extension; octet-stream when unknown)."""
    suffix = Path(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class Asset:
    """One built file: its bytes and the headers it is served with."""

    name: str
    body: bytes
    content_type: str
    cache_control: str
    etag: str
    _gzipped: list[bytes] = field(default_factory=list, repr=False, compare=False)

    @property
    def compressible(self) -> bool:
        return Path(self.name).suffix.lower() in _COMPRESSIBLE and len(self.body) >= _GZIP_MIN_BYTES

    def gzipped(self) -> bytes:
        """The body gzipped (computed once; level 9: done once per process, sent many times)."""
        if not self._gzipped:
            self._gzipped.append(gzip.compress(self.body, compresslevel=9, mtime=0))
        return self._gzipped[0]


class ConsoleBundle:
    """Every file of one build, by relative path."""

    def __init__(self, root: Path) -> None:
        """Read every file under ``root`` (hidden files such as the build stamp excepted)."""
        self.root = root
        self.assets: dict[str, Asset] = {}
        base = root.resolve()
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(base)
            if any(part.startswith(".") for part in relative.parts) or not path.is_file():
                continue
            if not path.resolve().is_relative_to(base):  # a symlink pointing out of the build
                continue
            name = relative.as_posix()
            body = path.read_bytes()
            self.assets[name] = Asset(
                name=name,
                body=body,
                content_type=content_type(name),
                cache_control=IMMUTABLE if name.startswith(_HASHED_FOLDER) else REVALIDATE,
                etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            )

    def get(self, name: str) -> Asset | None:
        """The file the build produced under ``name``, else None."""
        return self.assets.get(name)

    def total_bytes(self) -> int:
        return sum(len(asset.body) for asset in self.assets.values())


_lock = threading.Lock()


@functools.lru_cache(maxsize=1)  # the newest build only
def _loaded(root: Path, index_mtime_ns: int) -> ConsoleBundle:
    del index_mtime_ns  # part of the cache key only: a rebuild changes it
    return ConsoleBundle(root)


def console_bundle(root: Path | None = None) -> ConsoleBundle | None:
    """The current build under ``root`` (``CONSOLE_DIR`` by default), or None when there is none
    (``index.html`` missing: ``make console`` has not run)."""
    folder = root or CONSOLE_DIR
    try:
        mtime = (folder / INDEX).stat().st_mtime_ns
    except OSError:
        return None
    with _lock:  # one thread reads a new build; the others wait for it instead of re-reading
        return _loaded(folder, mtime)
