"""A Qdrant client from the settings: a server when ``QDRANT_URL`` is set, else embedded local
mode (on disk at ``QDRANT_PATH``, else in memory). Used by ``shared.vectors`` when the vector
store is Qdrant (``shared.vectors.factory``)."""

from __future__ import annotations

from qdrant_client import QdrantClient

from shared.config import Settings


def qdrant_client_from_settings(settings: Settings) -> QdrantClient:
    """A client for ``QDRANT_URL``; without one, qdrant-client's in-process mode (on disk at
    ``QDRANT_PATH`` when given, else in memory)."""
    if settings.qdrant_url:
        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantClient(url=settings.qdrant_url, api_key=api_key, timeout=5)
    if settings.qdrant_path:
        return QdrantClient(path=settings.qdrant_path)
    return QdrantClient(location=":memory:")
