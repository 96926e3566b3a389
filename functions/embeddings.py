"""Embeddings endpoints: ours and the OpenAI-compatible one (the ``openai`` SDK works unchanged).

Both change no state, yet are idempotent like every non-GET endpoint: a retried request with the
same ``Idempotency-Key`` is replayed instead of recomputed.
"""

from __future__ import annotations

from shared.auth import Scope
from shared.embeddings import service
from shared.embeddings.api import (
    EmbeddingsRequest,
    EmbeddingsResponse,
    OpenAIEmbeddingsRequest,
    OpenAIEmbeddingsResponse,
)
from shared.http.api import Api

api = Api(tags=("embeddings",), scope=Scope.ML)
bp = api.blueprint

ERRORS = (400, 413, 503)


@api.post("embeddings", "Sentence embeddings of 1-256 texts", errors=ERRORS)
def embeddings(body: EmbeddingsRequest) -> EmbeddingsResponse:
    return service.embeddings_response(body)


@api.post(
    "v1/embeddings",
    "OpenAI-compatible embeddings (input, model, encoding_format float|base64)",
    errors=(*ERRORS, 404),
)
def openai_embeddings(body: OpenAIEmbeddingsRequest) -> OpenAIEmbeddingsResponse:
    return service.openai_embeddings_response(body)
