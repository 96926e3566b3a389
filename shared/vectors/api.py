"""Request and response models of the vector endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, NonNegativeInt, model_validator

PointId = NonNegativeInt | str


class PointIn(BaseModel):
    """A text to embed and store under ``id`` (an unsigned integer or any string up to 200
    characters), with an optional JSON payload (keys ``_id``, ``_text``, ``_owner`` and ``_model``
    are reserved)."""

    id: PointId
    text: str
    payload: dict[str, Any] = Field(default_factory=dict)


class UpsertRequest(BaseModel):
    """Points to embed and upsert (1-256); an existing id is replaced."""

    points: list[PointIn]


class UpsertResponse(BaseModel):
    collection: str
    upserted: int
    ids: list[PointId]


class SearchRequest(BaseModel):
    """A query text, an optional payload filter, how many results and the lowest score kept.

    ``filter`` is either the short form ``{"field": value | [any of values] | {"gte": 1, "lt": 5}}``
    (all conditions must hold), or a Qdrant filter (``{"must": [...], "should": [...],
    "must_not": [...]}``) as Qdrant's REST API takes it.
    """

    query: str
    filter: dict[str, Any] | None = None
    top_k: int = Field(default=10, ge=1, le=100)
    score_threshold: float | None = Field(default=None, ge=-1, le=1)
    with_payload: bool = True


class SearchHit(BaseModel):
    id: PointId
    score: float
    text: str | None = None
    payload: dict[str, Any] | None = None


class SearchResponse(BaseModel):
    """Hits sorted by cosine similarity, best first."""

    collection: str
    results: list[SearchHit]


class DeleteRequest(BaseModel):
    """Exactly one of: ``ids`` to delete, or a ``filter`` (same forms as search) selecting them."""

    ids: list[PointId] | None = None
    filter: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one_selector(self) -> DeleteRequest:
        if (self.ids is None) == (self.filter is None):
            raise ValueError("give exactly one of ids or filter")
        return self


class DeleteResponse(BaseModel):
    """How many points matched (and are now gone)."""

    collection: str
    deleted: int
