"""pgvector and Qdrant answer the same: the same points, payloads and scores for the same
searches, filters, counts and deletes (issue #18: switching the default store keeps results).

Qdrant here is qdrant-client's local mode, which implements Qdrant's filter semantics exactly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from shared.errors import UnprocessableContentError
from shared.stores.postgres import PostgresService, get_pool
from shared.vectors.pgvector_store import PgVectorStore
from shared.vectors.qdrant_store import QdrantVectorStore
from shared.vectors.store import VectorPoint, VectorQuery

COLLECTION = "voice_patterns"
DIM = 384
CITIES = ["Paris", "Rome", "Lyon", "Oslo"]


def make_points(n: int = 300) -> list[VectorPoint]:
    rng = np.random.default_rng(7)
    points = []
    for i in range(n):
        payload: dict[str, Any] = {
            "i": i,
            "city": CITIES[i % 4],
            "tags": [f"t{i % 3}", f"t{i % 5}"],
            "meta": {"score": i / 10, "kind": "odd" if i % 2 else "even"},
            "flag": i % 7 == 0,
        }
        if i % 11 == 0:
            payload["maybe"] = None
        elif i % 13 == 0:
            payload["maybe"] = []
        elif i % 3 == 0:
            payload["maybe"] = "x"
        vector = rng.normal(size=DIM).tolist()
        points.append(VectorPoint(str(uuid.UUID(int=i + 1)), vector, payload))
    return points


def F(**kwargs: Any) -> models.Filter:
    return models.Filter.model_validate(kwargs)


FILTERS: dict[str, models.Filter | None] = {
    "none": None,
    "value": F(must=[{"key": "city", "match": {"value": "Paris"}}]),
    "bool": F(must=[{"key": "flag", "match": {"value": True}}]),
    "any": F(must=[{"key": "city", "match": {"any": ["Rome", "Oslo"]}}]),
    "except": F(must=[{"key": "city", "match": {"except": ["Rome", "Oslo"]}}]),
    "array element": F(must=[{"key": "tags", "match": {"value": "t4"}}]),
    "range": F(must=[{"key": "i", "range": {"gte": 100, "lt": 150}}]),
    "nested key": F(must=[{"key": "meta.kind", "match": {"value": "odd"}}]),
    "nested range": F(must=[{"key": "meta.score", "range": {"gt": 25.5}}]),
    "should": F(
        should=[
            {"key": "city", "match": {"value": "Lyon"}},
            {"key": "i", "range": {"lt": 20}},
        ]
    ),
    "must_not": F(must_not=[{"key": "city", "match": {"value": "Paris"}}]),
    "must_not missing": F(must_not=[{"key": "maybe", "match": {"value": "x"}}]),
    "is_empty": F(must=[{"is_empty": {"key": "maybe"}}]),
    "is_null": F(must=[{"is_null": {"key": "maybe"}}]),
    "has_id": F(must=[{"has_id": [str(uuid.UUID(int=5)), str(uuid.UUID(int=9))]}]),
    "combined": F(
        must=[{"key": "tags", "match": {"any": ["t0", "t1"]}}],
        must_not=[{"key": "flag", "match": {"value": True}}],
        should=[F(must=[{"key": "meta.kind", "match": {"value": "even"}}])],
    ),
}


@pytest.fixture(scope="module")
def owner() -> str:
    return f"parity-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def stores(owner: str) -> Iterator[tuple[PgVectorStore, QdrantVectorStore]]:
    points = make_points()
    pg = PgVectorStore(get_pool(PostgresService.VECTORS))
    qd = QdrantVectorStore(QdrantClient(location=":memory:"), local=True)
    for store in (pg, qd):
        store.upsert(COLLECTION, owner, points)
    yield pg, qd
    pg.delete(COLLECTION, owner, query_filter=None)
    qd.close()


@pytest.mark.parametrize("name", list(FILTERS))
def test_search_and_count_agree(stores, owner, name):
    pg, qd = stores
    query = VectorQuery(vector=make_points()[42].vector, limit=10, filter=FILTERS[name])

    ours, theirs = pg.search(COLLECTION, owner, query), qd.search(COLLECTION, owner, query)

    assert [p.id for p in ours] == [p.id for p in theirs]
    assert [p.payload for p in ours] == [p.payload for p in theirs]
    assert np.allclose([p.score for p in ours], [p.score for p in theirs], atol=1e-5)
    assert pg.count(COLLECTION, owner, FILTERS[name]) == qd.count(COLLECTION, owner, FILTERS[name])


def test_score_threshold_and_batches_agree(stores, owner):
    pg, qd = stores
    vectors = [p.vector for p in make_points()[:5]]
    queries = [VectorQuery(vector=v, limit=5, score_threshold=0.05) for v in vectors]

    ours, theirs = (
        pg.search_batch(COLLECTION, owner, queries),
        qd.search_batch(COLLECTION, owner, queries),
    )

    assert [[p.id for p in hits] for hits in ours] == [[p.id for p in hits] for hits in theirs]
    assert all(p.score >= 0.05 for hits in ours for p in hits)


def test_another_owner_sees_nothing_on_either_store(stores):
    query = VectorQuery(vector=make_points()[0].vector, limit=10)
    for store in stores:
        assert store.search(COLLECTION, "somebody-else", query) == []
        assert store.count(COLLECTION, "somebody-else") == 0
        assert store.delete(COLLECTION, "somebody-else", query_filter=None) == 0


def unit(vector: Any) -> Any:
    array = np.asarray(vector, dtype=np.float64)
    return array / np.linalg.norm(array)


def test_retrieve_returns_the_vectors_written(stores, owner):
    # Qdrant stores cosine vectors normalised; pgvector as given: the same direction either way.
    written = make_points()[:3]
    for store in stores:
        found = {p.id: p for p in store.retrieve(COLLECTION, owner, [p.id for p in written])}
        assert set(found) == {p.id for p in written}
        for point in written:
            assert np.allclose(unit(found[point.id].vector), unit(point.vector), atol=1e-6)
            assert found[point.id].payload == point.payload


def test_unsupported_conditions_are_a_422_on_pgvector(stores, owner):
    pg, _ = stores
    text_match = F(must=[{"key": "city", "match": {"text": "Par"}}])
    with pytest.raises(UnprocessableContentError, match="does not support"):
        pg.search(COLLECTION, owner, VectorQuery(vector=[0.1] * DIM, filter=text_match))
