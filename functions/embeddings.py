"""Embeddings endpoints: ours and the OpenAI-compatible one (the ``openai`` SDK works unchanged).

Both change no state, yet carry ``@idempotent`` like every non-GET function: a retried request
with the same ``Idempotency-Key`` is replayed instead of recomputed.
"""

from __future__ import annotations

import azure.functions as func

from shared.auth import Scope
from shared.embeddings import service
from shared.embeddings.api import (
    EmbeddingsRequest,
    EmbeddingsResponse,
    OpenAIEmbeddingsRequest,
    OpenAIEmbeddingsResponse,
)
from shared.http import endpoint, json_response, parse_body
from shared.idempotency import idempotent

bp = func.Blueprint()  # type: ignore[no-untyped-call]

ERRORS = (400, 413, 503)


@bp.route(route="embeddings", methods=["POST"])
@endpoint(
    "Sentence embeddings of 1-256 texts",
    request=EmbeddingsRequest,
    response=EmbeddingsResponse,
    errors=ERRORS,
    tags=("embeddings",),
    scope=Scope.ML,
)
@idempotent()
def embeddings(req: func.HttpRequest) -> func.HttpResponse:
    request = parse_body(req, EmbeddingsRequest)
    return json_response(service.embeddings_response(request))


@bp.route(route="v1/embeddings", methods=["POST"])
@endpoint(
    "OpenAI-compatible embeddings (input, model, encoding_format float|base64)",
    request=OpenAIEmbeddingsRequest,
    response=OpenAIEmbeddingsResponse,
    errors=(*ERRORS, 404),
    tags=("embeddings",),
    scope=Scope.ML,
)
@idempotent()
def openai_embeddings(req: func.HttpRequest) -> func.HttpResponse:
    request = parse_body(req, OpenAIEmbeddingsRequest)
    return json_response(service.openai_embeddings_response(request))
