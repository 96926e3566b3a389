"""Rerank with the configured cross-encoder, else with bi-encoder cosine similarity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.embeddings.limits import check_texts
from shared.embeddings.service import embed_checked
from shared.inference.text_models import get_reranker
from shared.rerank.api import RerankRequest, RerankResponse, RerankResult

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def rerank(request: RerankRequest) -> RerankResponse:
    """Score every document against the query and return them best first."""
    from shared.inference.cross_encoder import CrossEncoder

    check_texts([request.query], field="query")
    check_texts(request.documents, field="documents")
    reranker = get_reranker()
    if isinstance(reranker, CrossEncoder):
        scores = reranker.score(request.query, request.documents)
        model, method = reranker.path.name, "cross-encoder"
    else:
        scores = _cosine_scores(request.query, request.documents)
        model, method = reranker.manifest.model, "bi-encoder"
    order = sorted(range(len(scores)), key=lambda i: -float(scores[i]))
    results = [
        RerankResult(
            index=i,
            relevance_score=round(float(scores[i]), 6),
            document=request.documents[i] if request.return_documents else None,
        )
        for i in order[: request.top_n]
    ]
    return RerankResponse(model=model, method=method, results=results)


def _cosine_scores(query: str, documents: list[str]) -> npt.NDArray[np.float32]:
    # One call: the query and the documents share a batch.
    vectors = embed_checked([query, *documents]).vectors
    scores: npt.NDArray[np.float32] = vectors[1:] @ vectors[0]
    return scores
