"""The collections through the service, with real vectors, on each vector store: pgvector in
the local PostgreSQL (the default) and qdrant-client's local mode in memory. The same tests, the
same answers: filters, payloads, per-caller isolation, ranking."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from qdrant_client import models

from shared.config import reset_settings
from shared.errors import NotFoundError, UnprocessableContentError
from shared.vectors import service
from shared.vectors.api import DeleteRequest, PointIn, SearchRequest, UpsertRequest
from shared.vectors.collections import COLLECTIONS
from shared.vectors.factory import get_vector_store, reset_vector_store
from shared.vectors.qdrant_store import HNSW_EF_CONSTRUCT, HNSW_M, QdrantVectorStore

FACTS = {
    "paris": ("The Eiffel Tower is in Paris.", {"city": "Paris", "year": 1889}),
    "rome": ("The Colosseum is an ancient amphitheatre in Rome.", {"city": "Rome", "year": 80}),
    "bread": ("Sourdough bread needs a starter culture.", {"city": "Paris", "year": 2020}),
}


OWNER = "vectors-test-owner"


@pytest.fixture(autouse=True, params=["postgres", "memory"])
def store_kind(request, monkeypatch, settings) -> Iterator[str]:
    """Each test once per store (``VECTOR_STORE``)."""
    monkeypatch.delenv("QDRANT_URL", raising=False)
    monkeypatch.setenv("VECTOR_STORE", request.param)
    reset_settings()
    reset_vector_store()
    yield request.param
    reset_vector_store()


@pytest.fixture
def run_tag() -> str:
    """A payload tag that keeps this test's points apart from others' in the shared collection."""
    return uuid.uuid4().hex


def upsert_facts(collection: str, tag: str) -> None:
    points = [
        PointIn(id=f"{tag}-{key}", text=text, payload={**payload, "run": tag})
        for key, (text, payload) in FACTS.items()
    ]
    service.upsert(OWNER, collection, UpsertRequest(points=points))


def search(collection: str, query: str, tag: str, **filters) -> list:
    request = SearchRequest(query=query, filter={"run": tag, **filters}, top_k=5)
    return service.search(OWNER, collection, request).results


def test_collections_are_created_with_cosine_and_hnsw_settings(manifest, run_tag, store_kind):
    upsert_facts("voice_patterns", run_tag)

    store = get_vector_store()
    if store_kind == "postgres":
        # One table; the HNSW index of the model's size, with Qdrant's m and ef_construct.
        with psycopg.connect(settings_dsn()) as conn:
            (definition,) = conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                [f"vector_points_hnsw_{manifest.dimension}"],
            ).fetchone() or ("",)
        assert "hnsw" in definition
        assert "vector_cosine_ops" in definition
        assert f"m='{HNSW_M}'" in definition
        assert f"ef_construction='{HNSW_EF_CONSTRUCT}'" in definition
        return
    assert isinstance(store, QdrantVectorStore)
    info = store.client.get_collection("voice_patterns")
    vectors = info.config.params.vectors
    assert isinstance(vectors, models.VectorParams)
    assert vectors.size == manifest.dimension
    assert vectors.distance == models.Distance.COSINE
    assert (info.config.hnsw_config.m, info.config.hnsw_config.ef_construct) == (
        HNSW_M,
        HNSW_EF_CONSTRUCT,
    )


def settings_dsn() -> str:
    from shared.config import get_settings

    return get_settings().postgres_dsn.get_secret_value()


def test_search_ranks_the_paraphrase_first_and_returns_ids_text_payload(manifest, run_tag):
    upsert_facts("reasoning_knowledge", run_tag)

    hits = search("reasoning_knowledge", "Which Paris landmark was built for 1889?", run_tag)

    assert hits[0].id == f"{run_tag}-paris"
    assert hits[0].text == FACTS["paris"][0]
    assert hits[0].payload == {"city": "Paris", "year": 1889, "run": run_tag}
    assert hits[0].score > hits[-1].score


def test_filters_restrict_search(manifest, run_tag):
    upsert_facts("conversation_context", run_tag)

    rome_only = search("conversation_context", "a famous monument", run_tag, city="Rome")
    recent = search("conversation_context", "a famous monument", run_tag, year={"gte": 2000})
    native = service.search(
        OWNER,
        "conversation_context",
        SearchRequest(
            query="a famous monument",
            filter={
                "must": [{"key": "run", "match": {"value": run_tag}}],
                "must_not": [{"key": "city", "match": {"value": "Paris"}}],
            },
        ),
    ).results

    assert [h.id for h in rome_only] == [f"{run_tag}-rome"]
    assert [h.id for h in recent] == [f"{run_tag}-bread"]
    assert [h.id for h in native] == [f"{run_tag}-rome"]


def test_score_threshold_drops_weak_hits(manifest, run_tag):
    upsert_facts("conversation_context", run_tag)

    request = SearchRequest(
        query="The Eiffel Tower stands in Paris.", filter={"run": run_tag}, score_threshold=0.8
    )
    hits = service.search(OWNER, "conversation_context", request).results

    assert [h.id for h in hits] == [f"{run_tag}-paris"]


def test_upserts_are_idempotent_on_ids(manifest, run_tag):
    upsert_facts("reasoning_knowledge", run_tag)
    upsert_facts("reasoning_knowledge", run_tag)
    replaced = PointIn(id=f"{run_tag}-bread", text="Rye bread is dense.", payload={"run": run_tag})
    service.upsert(OWNER, "reasoning_knowledge", UpsertRequest(points=[replaced]))

    hits = search("reasoning_knowledge", "bread", run_tag)

    assert len(hits) == len(FACTS)
    assert next(h for h in hits if h.id == f"{run_tag}-bread").text == "Rye bread is dense."


def test_delete_by_ids_and_by_filter(manifest, run_tag):
    upsert_facts("voice_patterns", run_tag)

    by_id = service.delete(
        OWNER, "voice_patterns", DeleteRequest(ids=[f"{run_tag}-rome", f"{run_tag}-missing"])
    )
    by_filter = service.delete(
        OWNER, "voice_patterns", DeleteRequest(filter={"run": run_tag, "city": "Paris"})
    )

    assert (by_id.deleted, by_filter.deleted) == (1, 2)
    assert search("voice_patterns", "anything", run_tag) == []


def test_unknown_collections_and_bad_points_are_refused(manifest):
    with pytest.raises(NotFoundError):
        service.search(OWNER, "nope", SearchRequest(query="x"))
    assert "nope" not in COLLECTIONS
    duplicate = [PointIn(id=1, text="a"), PointIn(id=1, text="b")]
    with pytest.raises(UnprocessableContentError, match="same id"):
        service.upsert(OWNER, "voice_patterns", UpsertRequest(points=duplicate))
    reserved = [PointIn(id=2, text="a", payload={"_text": "spoof"})]
    with pytest.raises(UnprocessableContentError, match="reserved"):
        service.upsert(OWNER, "voice_patterns", UpsertRequest(points=reserved))


def test_each_caller_has_its_own_points_and_never_sees_chat_documents(run_tag):
    from shared.chat import documents
    from shared.chat.api import DocumentRequest

    point = PointIn(
        id="shared-name", text="The Eiffel Tower is in Paris.", payload={"run": run_tag}
    )
    service.upsert("alice", "conversation_context", UpsertRequest(points=[point]))
    service.upsert("bob", "conversation_context", UpsertRequest(points=[point]))
    documents.add_document(
        "alice", DocumentRequest(text="The Eiffel Tower is in Paris. " + run_tag)
    )
    query = SearchRequest(query="Eiffel Tower", filter={"run": run_tag}, top_k=10)
    assert len(service.search("alice", "conversation_context", query).results) == 1
    unfiltered = SearchRequest(query=f"Eiffel Tower {run_tag}", top_k=50)
    hits = service.search("alice", "conversation_context", unfiltered).results
    assert not any(run_tag in (hit.text or "") for hit in hits)  # the chat chunk is not visible
    gone = service.delete("bob", "conversation_context", DeleteRequest(ids=["shared-name"]))
    assert gone.deleted == 1
    assert len(service.search("alice", "conversation_context", query).results) == 1
    assert service.search("bob", "conversation_context", query).results == []
