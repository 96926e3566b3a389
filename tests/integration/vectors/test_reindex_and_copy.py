"""Re-indexing rebuilds chat passages from PostgreSQL and blob storage (idempotent, resumable),
and copying moves every point of today's Qdrant into pgvector with nothing lost (issue #18)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from qdrant_client import QdrantClient, models

from shared.chat import documents, reindex
from shared.chat.api import DocumentRequest
from shared.config import get_settings
from shared.media.service import upload_file
from shared.stores.postgres import PostgresService, get_pool, pool_from_settings
from shared.vectors.copy import copy_points
from shared.vectors.factory import get_vector_store
from shared.vectors.pgvector_store import PgVectorStore
from shared.vectors.qdrant_store import QdrantVectorStore
from shared.vectors.store import VectorQuery
from tests.chat_support import ORBITS, ZORBLANDIA


@pytest.fixture
def owner() -> str:
    return f"reindex-{uuid.uuid4().hex[:10]}"


def admin(sql: str, *params: object) -> None:
    with psycopg.connect(get_settings().postgres_dsn.get_secret_value()) as conn:
        conn.execute(sql, params)


def passages(owner: str, question: str) -> list[tuple[str, int]]:
    from shared.embeddings.service import embed

    vector = embed([question], field="q").vectors[0].tolist()
    hits = get_vector_store().search(
        documents.COLLECTION,
        owner,
        VectorQuery(vector=vector, limit=5, filter=documents.user_filter(owner)),
    )
    return [(h.payload["document_id"], h.payload["chunk"]) for h in hits]


def lose_vectors(owner: str) -> None:
    """What a restart did to the in-memory store: every passage gone, the rows still there."""
    get_vector_store().delete(documents.COLLECTION, owner, query_filter=None)
    admin("UPDATE chat_documents SET indexed_with = 'an-older-model' WHERE user_id = %s", owner)


def test_reindex_rebuilds_text_and_file_documents_with_the_same_ranking(owner):
    # Given: a text document and a file document, and the ranking a question gets.
    documents.add_document(owner, DocumentRequest(text=ZORBLANDIA, source="z.txt"))
    record, _ = upload_file(owner, ORBITS.encode(), "orbits.txt")
    documents.add_document(owner, DocumentRequest(file_id=record.id))
    before = passages(owner, "How high is a geostationary orbit?")
    lose_vectors(owner)
    assert passages(owner, "How high is a geostationary orbit?") == []

    # When: re-indexing this caller's documents.
    report = reindex.reindex(owner)

    # Then: every passage is back, ranked as before; a second run has nothing to do.
    assert (report.indexed, report.failed) == (2, 0)
    assert passages(owner, "How high is a geostationary orbit?") == before
    assert reindex.reindex(owner).indexed == 0
    assert reindex.reindex(owner, force=True).indexed == 2
    assert passages(owner, "How high is a geostationary orbit?") == before


def test_a_stopped_reindex_resumes_where_it_stopped(owner, monkeypatch):
    for n, text in enumerate((ZORBLANDIA, ORBITS)):
        documents.add_document(owner, DocumentRequest(text=text, source=f"{n}.txt"))
    lose_vectors(owner)
    real = reindex.reindex_document
    calls: list[uuid.UUID] = []

    def dies_on_the_second(document, signature):
        calls.append(document.document_id)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(document, signature)

    monkeypatch.setattr(reindex, "reindex_document", dies_on_the_second)
    first = reindex.reindex(owner)
    monkeypatch.setattr(reindex, "reindex_document", real)
    second = reindex.reindex(owner)

    assert (first.indexed, first.failed) == (1, 1)
    assert (second.indexed, second.failed) == (1, 0)  # only the one not yet done
    assert {doc for doc, _ in passages(owner, "Zorblandia capital orbit")} == {
        str(d.id) for d in documents.list_documents(owner)
    }


def test_copying_qdrant_into_pgvector_loses_nothing(tmp_path, owner):
    # Given: an on-disk Qdrant (today's QDRANT_PATH) holding what each feature wrote there: a
    # chat chunk and a pattern (owner only in user_id) and an /api/vectors point (_owner).
    client = QdrantClient(path=str(tmp_path / "qdrant"))
    qdrant = QdrantVectorStore(client, local=True)
    vectors = [[float(i == j) + 0.01 * j for j in range(384)] for i in range(3)]
    for collection in ("conversation_context", "reasoning_knowledge"):
        client.create_collection(
            collection,
            vectors_config=models.VectorParams(size=384, distance=models.Distance.COSINE),
        )
    chunk_id, pattern_id, point_id = (str(uuid.uuid4()) for _ in range(3))
    client.upsert(
        "conversation_context",
        [
            models.PointStruct(
                id=chunk_id, vector=vectors[0], payload={"user_id": owner, "chunk": 0}
            ),
            models.PointStruct(
                id=point_id, vector=vectors[1], payload={"_owner": owner, "_id": "a", "x": 1}
            ),
        ],
    )
    client.upsert(
        "reasoning_knowledge",
        [models.PointStruct(id=pattern_id, vector=vectors[2], payload={"user_id": owner})],
    )
    admin_pool = pool_from_settings(get_settings())
    admin_pool.open()
    target = PgVectorStore(get_pool(PostgresService.VECTORS), admin_pool=admin_pool)

    try:
        # When: copied, twice (the second run must change nothing).
        assert copy_points(qdrant, target, ["conversation_context", "reasoning_knowledge"]) == 3
        assert copy_points(qdrant, target, ["conversation_context", "reasoning_knowledge"]) == 3

        # Then: every point is the owner's in pgvector, with its payload, ranked as in Qdrant.
        query = VectorQuery(vector=vectors[1], limit=5)
        ours = target.search("conversation_context", owner, query)
        theirs = qdrant.search("conversation_context", owner, query)
        assert [p.id for p in ours] == [point_id, chunk_id]
        # The owner moved from the payload to the row (row-level security keeps it).
        assert ours[0].payload == {"_id": "a", "x": 1}
        assert target.count("reasoning_knowledge", owner) == 1
        assert [p.id for p in theirs] == [point_id]  # Qdrant itself hid the chunk (no _owner)
    finally:
        for collection in ("conversation_context", "reasoning_knowledge"):
            target.delete(collection, owner, query_filter=None)
        admin_pool.close()
        client.close()


def test_reembedding_rewrites_points_with_text_once_and_leaves_patterns(owner):
    from shared.vectors import reembed as reembedding
    from shared.vectors import service
    from shared.vectors.api import PointIn, SearchRequest, UpsertRequest
    from shared.vectors.ids import MODEL_KEY, qdrant_id
    from shared.vectors.store import VectorPoint

    # Given: an /api/vectors point whose vector an older model made, and a pattern (no text).
    service.upsert(
        owner,
        "reasoning_knowledge",
        UpsertRequest(points=[PointIn(id="tower", text="The Eiffel Tower is in Paris.")]),
    )
    store = get_vector_store()
    [point] = store.retrieve("reasoning_knowledge", owner, [qdrant_id(owner, "tower")])
    stale = [0.0] * 383 + [1.0]  # nothing like the text any more
    store.upsert("reasoning_knowledge", owner, [VectorPoint(point.id, stale, point.payload)])
    pattern = VectorPoint(str(uuid.uuid4()), [1.0] + [0.0] * 383, {"kind": "core_pattern"})
    store.upsert("reasoning_knowledge", owner, [pattern])
    query = SearchRequest(query="Which landmark is in Paris?", score_threshold=0.3)
    assert service.search(owner, "reasoning_knowledge", query).results == []
    admin_pool = pool_from_settings(get_settings())
    admin_pool.open()
    target = PgVectorStore(get_pool(PostgresService.VECTORS), admin_pool=admin_pool)

    try:
        # When: re-embedding this owner's points, twice.
        first = reembedding.reembed(target, ["reasoning_knowledge"], owner=owner)
        second = reembedding.reembed(target, ["reasoning_knowledge"], owner=owner)
    finally:
        admin_pool.close()

    # Then: the point is found again by meaning; the second run had nothing to do.
    assert (first.embedded, first.without_text) == (1, 1)
    assert (second.embedded, second.current) == (0, 1)
    [hit] = service.search(owner, "reasoning_knowledge", query).results
    assert hit.id == "tower"
    assert MODEL_KEY not in (hit.payload or {})
    store.delete("reasoning_knowledge", owner, query_filter=None)
