"""The three Qdrant collections this app serves, created on first use.

Each stores the served sentence model's vectors (size from the model, 384 for MiniLM) with cosine
distance and HNSW ``m=16``, ``ef_construct=100``. qdrant-client's embedded local mode (no
``QDRANT_URL``) accepts the HNSW settings but searches exactly; a Qdrant server builds the index.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from shared.config import get_settings
from shared.errors import NotFoundError, ServiceUnavailableError, UnprocessableContentError

logger = logging.getLogger(__name__)

COLLECTIONS = ("conversation_context", "reasoning_knowledge", "voice_patterns")
HNSW_M = 16
HNSW_EF_CONSTRUCT = 100

_ensured: set[tuple[int, str]] = set()
_lock = threading.Lock()
# qdrant-client's local mode is not safe for concurrent use: every feature's calls share this lock.
_local_lock = threading.RLock()


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


def embedding_dimension() -> int:
    """The served sentence model's vector size (the size of every collection)."""
    from shared.inference.text_models import get_embedder

    return get_embedder().dimension


@contextlib.contextmanager
def collection_client(collection: str, dimension: int) -> Iterator[Any]:
    """The shared Qdrant client with ``collection`` created, for one block of calls.

    Calls are serialised in local mode. Qdrant failures inside the block become 503 (a request the
    server refused as malformed, such as a bad filter, 422), so callers never see driver errors.
    """
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    from shared.resilience import guard
    from shared.stores.qdrant import get_qdrant

    local = not get_settings().qdrant_url
    # The breaker counts only "Qdrant failed" (below), not a refused request or the caller's own
    # errors inside the block; while it is open the block is not entered at all.
    with (
        guard("qdrant", counts=(VectorStoreUnavailableError,)),
        _local_lock if local else contextlib.nullcontext(),
    ):
        try:
            client = get_qdrant()
            ensure_collection(client, collection, dimension)
            yield client
        except UnexpectedResponse as exc:
            if exc.status_code == 400:  # the server refused what we sent: a filter it rejects
                raise UnprocessableContentError(
                    f"the vector store refused the request: {exc.reason_phrase}"
                ) from exc
            raise _unavailable(exc) from exc
        except (ResponseHandlingException, OSError) as exc:
            raise _unavailable(exc) from exc


class VectorStoreUnavailableError(ServiceUnavailableError):
    """Qdrant failed a call (down, timing out, a 5xx): 503, counted by the qdrant breaker."""


def _unavailable(exc: Exception) -> ServiceUnavailableError:
    logger.warning("qdrant call failed: %s", type(exc).__name__)
    return VectorStoreUnavailableError(
        "the vector store is unavailable", headers={"Retry-After": "5"}
    )
