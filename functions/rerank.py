"""``POST /api/rerank``: order documents by relevance to a query."""

from __future__ import annotations

from shared.auth import Scope
from shared.http.api import Api
from shared.rerank.api import RerankRequest, RerankResponse
from shared.rerank.service import rerank as rerank_documents

api = Api(tags=("embeddings",), scope=Scope.ML)
bp = api.blueprint


@api.post(
    "rerank",
    "Rerank documents against a query (cross-encoder when configured, else bi-encoder cosine)",
    errors=(400, 413, 503),
)
def rerank(body: RerankRequest) -> RerankResponse:
    return rerank_documents(body)
