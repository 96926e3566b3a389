"""The three Qdrant collections this app serves, created on first use.

Each stores the served sentence model's vectors (size from the model, 384 for MiniLM) with cosine
distance and HNSW ``m=16``, ``ef_construct=100``. qdrant-client's embedded local mode (no
``QDRANT_URL``) accepts the HNSW settings but searches exactly; a Qdrant server builds the index.
"""

from __future__ import annotations

import threading
from typing import Any

from shared.errors import NotFoundError

COLLECTIONS = ("conversation_context", "reasoning_knowledge", "voice_patterns")
HNSW_M = 16
HNSW_EF_CONSTRUCT = 100

_ensured: set[tuple[int, str]] = set()
_lock = threading.Lock()


def check_collection(name: str) -> str:
    """``name`` when it is one of ``COLLECTIONS``; 404 otherwise."""
    if name not in COLLECTIONS:
        raise NotFoundError(f"no collection {name[:100]!r}", known=list(COLLECTIONS))
    return name


def ensure_collection(client: Any, name: str, dimension: int) -> None:
    """Create collection ``name`` unless it exists (once per client and process)."""
    from qdrant_client import models

    key = (id(client), name)
    if key in _ensured:
        return
    with _lock:
        if key in _ensured:
            return
        if not client.collection_exists(name):
            client.create_collection(
                name,
                vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE),
                hnsw_config=models.HnswConfigDiff(m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCT),
            )
        _ensured.add(key)
