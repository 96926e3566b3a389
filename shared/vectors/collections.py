"""The three collections this app serves, and the size of their vectors.

Every collection holds the served sentence model's vectors (384 for MiniLM) with cosine
similarity; the store (``shared.vectors.factory.get_vector_store``) keeps them (see
``shared.vectors.store`` for the interface and its implementations).
"""

from __future__ import annotations

from shared.errors import NotFoundError
from shared.vectors.store import VectorStoreUnavailableError

COLLECTIONS = ("conversation_context", "reasoning_knowledge", "voice_patterns")

__all__ = ["COLLECTIONS", "VectorStoreUnavailableError", "check_collection", "embedding_dimension"]


def check_collection(name: str) -> str:
    """``name`` when it is one of ``COLLECTIONS``; 404 otherwise."""
    if name not in COLLECTIONS:
        raise NotFoundError(f"no collection {name[:100]!r}", known=list(COLLECTIONS))
    return name


def embedding_dimension() -> int:
    """The served sentence model's vector size (the size of every collection)."""
    from shared.inference.text_models import get_embedder

    return get_embedder().dimension
