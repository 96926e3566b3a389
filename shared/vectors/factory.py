"""The process-wide vector store, chosen by the settings (``VECTOR_STORE``):

- ``auto`` (default): Qdrant when ``QDRANT_URL`` is set, else pgvector;
- ``postgres``: pgvector in the platform's PostgreSQL (``vector_points``);
- ``qdrant``: the server at ``QDRANT_URL``, or qdrant-client's local mode on disk at
  ``QDRANT_PATH`` (single process; local development only);
- ``memory``: qdrant-client's local mode in memory (tests; lost with the process).

Settings refuse the last two outside local development (``Settings.vector_store_kind``).
Nothing connects here until the first call.
"""

from __future__ import annotations

import functools

from shared.config import Settings, get_settings
from shared.vectors.store import VectorStore


def vector_store_from_settings(settings: Settings) -> VectorStore:
    """A new store for ``settings`` (see the module docstring)."""
    kind = settings.vector_store_kind
    if kind == "postgres":
        from shared.stores.postgres import PostgresService, get_pool
        from shared.vectors.pgvector_store import PgVectorStore

        return PgVectorStore(get_pool(PostgresService.VECTORS), admin_pool=None)
    from shared.stores.qdrant import qdrant_client_from_settings
    from shared.vectors.qdrant_store import QdrantVectorStore

    return QdrantVectorStore(qdrant_client_from_settings(settings), local=not settings.qdrant_url)


@functools.cache
def get_vector_store() -> VectorStore:
    """The shared store, built on first use."""
    return vector_store_from_settings(get_settings())


def reset_vector_store() -> None:
    """Forget the process-wide store (tests, and hosts that reload settings)."""
    get_vector_store.cache_clear()
