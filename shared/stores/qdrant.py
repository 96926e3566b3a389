"""The process-wide Qdrant client: a server when ``QDRANT_URL`` is set, else embedded local mode."""

from __future__ import annotations

import functools

from qdrant_client import QdrantClient

from shared.config import Settings, get_settings


def qdrant_client_from_settings(settings: Settings) -> QdrantClient:
    """A client for ``QDRANT_URL``; without one, qdrant-client's in-process mode (on disk at
    ``QDRANT_PATH`` when given, else in memory)."""
    if settings.qdrant_url:
        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantClient(url=settings.qdrant_url, api_key=api_key, timeout=5)
    if settings.qdrant_path:
        return QdrantClient(path=settings.qdrant_path)
    return QdrantClient(location=":memory:")


@functools.cache
def get_qdrant() -> QdrantClient:
    """The shared client (local mode keeps its data in this process)."""
    return qdrant_client_from_settings(get_settings())
