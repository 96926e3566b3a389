"""Request and response models of ``POST /api/rerank``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RerankRequest(BaseModel):
    """A query and the documents to order by relevance to it."""

    query: str
    documents: list[str]
    top_n: int | None = Field(default=None, ge=1, description="keep the best n (default: all)")
    return_documents: bool = False


class RerankResult(BaseModel):
    """One document: its index in the request and its score (higher is more relevant)."""

    index: int
    relevance_score: float
    document: str | None = None


class RerankResponse(BaseModel):
    """Results sorted by ``relevance_score``, best first (ties keep the request order).

    ``method`` says what scored them: ``bi-encoder`` (cosine of sentence vectors, in [-1, 1]) or
    ``cross-encoder`` (sigmoid of the cross-encoder's logit, in (0, 1)).
    """

    model: str
    method: Literal["bi-encoder", "cross-encoder"]
    results: list[RerankResult]
