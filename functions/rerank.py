"""``POST /api/rerank``: order documents by relevance to a query."""

from __future__ import annotations

import azure.functions as func

from shared.auth import Scope
from shared.http import endpoint, json_response, parse_body
from shared.idempotency import idempotent
from shared.rerank.api import RerankRequest, RerankResponse
from shared.rerank.service import rerank as rerank_documents

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="rerank", methods=["POST"])
@endpoint(
    "Rerank documents against a query (cross-encoder when configured, else bi-encoder cosine)",
    request=RerankRequest,
    response=RerankResponse,
    errors=(400, 413, 503),
    tags=("embeddings",),
    scope=Scope.ML,
)
@idempotent()
def rerank(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(rerank_documents(parse_body(req, RerankRequest)))
