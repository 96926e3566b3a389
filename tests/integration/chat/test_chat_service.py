"""The chat service on real PostgreSQL (pgvector, the graph), Redis and the embedded SmolLM2
model: grounded answers with citations, follow-ups, isolation between
users, a backend that is down, documents, similar sessions and reasoning chains."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from shared.chat import documents, reasoning, service, sessions
from shared.chat.api import (
    ChatOptions,
    ChatRequest,
    DocumentRequest,
    ReasoningRequest,
    SessionsQuery,
)
from shared.chat.sessions import CONTEXT_PREFIX, SESSION_PREFIX, cache_key
from shared.errors import NotFoundError, ServiceUnavailableError
from shared.llm import reset_llm
from tests.chat_support import ORBITS, ZORBLANDIA
from tests.utils.servers import free_port


@pytest.fixture
def user() -> str:
    return f"chat-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def knowledge(user: str) -> dict[str, uuid.UUID]:
    """The user's knowledge base: the Zorblandia text and an unrelated one."""
    added = {
        name: documents.add_document(user, DocumentRequest(text=text, source=f"{name}.txt"))
        for name, text in (("zorblandia", ZORBLANDIA), ("orbits", ORBITS))
    }
    return {name: doc.id for name, doc in added.items()}


@pytest.fixture
def llm_down(monkeypatch, settings) -> Iterator[None]:
    """An OpenAI-compatible backend configured where nothing listens."""
    from shared.config import reset_settings

    monkeypatch.setenv("LLM_BASE_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("LLM_MODEL", "any")
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    reset_settings()
    reset_llm()
    yield
    monkeypatch.undo()
    reset_settings()
    reset_llm()


def ask(user: str, message: str, session_id: uuid.UUID | None = None, **options):
    request = ChatRequest(message=message, session_id=session_id, options=ChatOptions(**options))
    return service.chat(user, request)


def test_an_answer_cites_the_passage_that_holds_it(user, knowledge):
    reply = ask(user, "What is the capital of Zorblandia?")
    assert reply.citations, reply
    best = reply.citations[0]
    assert best.document_id == knowledge["zorblandia"]
    assert best.source == "zorblandia.txt"
    assert "Quexton" in best.text
    assert best.page is None
    assert best.chunk >= 0
    assert "Quexton" in reply.answer
    assert reply.answer_mode in ("phrased", "extractive")
    assert all(c.document_id != knowledge["orbits"] for c in reply.citations[:1])


def test_a_follow_up_in_the_same_session_uses_the_history(user, knowledge):
    first = ask(user, "What is the capital of Zorblandia?")
    follow_up = ask(user, "When was it founded?", first.session_id)
    assert follow_up.session_id == first.session_id
    assert "1642" in follow_up.answer
    assert any("1642" in c.text for c in follow_up.citations)
    history = sessions.load_session(user, first.session_id).history()
    assert [m.role for m in history.messages] == ["user", "assistant", "user", "assistant"]
    assert history.messages[2].content == "When was it founded?"
    assert history.messages[3].citations == follow_up.citations


def test_another_users_session_and_documents_are_not_theirs(user, knowledge):
    mine = ask(user, "What is the capital of Zorblandia?")
    stranger = f"{user}-other"
    with pytest.raises(NotFoundError):
        sessions.load_session(stranger, mine.session_id)
    with pytest.raises(NotFoundError):
        ask(stranger, "And its founding year?", mine.session_id)
    with pytest.raises(NotFoundError):
        documents.delete_document(stranger, knowledge["zorblandia"])
    theirs = ask(stranger, "What is the capital of Zorblandia?", max_tokens=16)
    assert theirs.citations == []
    assert theirs.answer_mode == "conversational"
    assert documents.list_documents(stranger) == []


def test_small_talk_without_relevant_passages_is_answered_by_the_model(user):
    reply = ask(user, "Hello! How are you today?", retrieval=False, max_tokens=24)
    assert reply.answer.strip()
    assert reply.answer_mode == "conversational"
    assert reply.citations == []
    assert reply.backend == "embedded"
    assert reply.usage.completion_tokens > 0


def test_a_backend_that_is_down_is_503_and_the_session_stays_intact(user, knowledge, llm_down):
    # with passages at hand the answer is still made from them, marked degraded
    first = ask(user, "What is the capital of Zorblandia?")
    assert first.answer_mode == "extractive"
    assert "Quexton" in first.answer
    assert any("language model unavailable" in d for d in first.degraded)
    # without passages there is nothing to answer with: 503, and nothing is saved
    with pytest.raises(ServiceUnavailableError):
        ask(user, "Tell me a joke.", first.session_id, retrieval=False)
    with pytest.raises(ServiceUnavailableError):
        ask(user, "Tell me a joke.", retrieval=False)
    history = sessions.load_session(user, first.session_id).history()
    assert len(history.messages) == 2
    listed = sessions.list_sessions(user, SessionsQuery())
    assert [s.id for s in listed.sessions] == [first.session_id]


def test_the_same_text_is_one_document_and_deleting_it_removes_its_passages(user, knowledge):
    again = documents.add_document(user, DocumentRequest(text=ZORBLANDIA, source="copy.txt"))
    assert again.created is False
    assert again.id == knowledge["zorblandia"]
    listed = {d.id: d for d in documents.list_documents(user)}
    assert set(listed) == set(knowledge.values())
    assert listed[knowledge["zorblandia"]].chunks >= 2
    documents.delete_document(user, knowledge["zorblandia"])
    reply = ask(user, "What is the capital of Zorblandia?", max_tokens=16)
    assert all(c.document_id != knowledge["zorblandia"] for c in reply.citations)
    with pytest.raises(NotFoundError):
        documents.delete_document(user, knowledge["zorblandia"])


def test_sessions_are_cached_in_redis_with_their_last_passages(user, knowledge, redis_client):
    reply = ask(user, "What is the capital of Zorblandia?")
    key = cache_key(SESSION_PREFIX, reply.session_id)
    cached = json.loads(redis_client.get(key))
    assert cached["user_id"] == user
    assert len(cached["messages"]) == 2
    assert 0 < redis_client.ttl(key) <= 1800
    context = json.loads(redis_client.get(cache_key(CONTEXT_PREFIX, reply.session_id)))
    assert context["citations"][0]["text"] == reply.citations[0].text
    # the cache is not the record: without it the session still loads from PostgreSQL
    redis_client.delete(key)
    assert len(sessions.load_session(user, reply.session_id).messages) == 2


def test_similar_sessions_rank_the_conversation_on_that_topic_first(user, knowledge):
    island = ask(user, "What is the national dish of Zorblandia?")
    space = ask(user, "How high is a geostationary orbit?")
    ranked = sessions.list_sessions(user, SessionsQuery(similar_to="satellites in orbit"))
    assert [s.id for s in ranked.sessions][:2] == [space.session_id, island.session_id]
    similarities = [s.similarity or 0.0 for s in ranked.sessions]
    assert similarities[0] > similarities[1]
    deleted = island.session_id
    sessions.forget_session(user, deleted)
    with pytest.raises(NotFoundError):
        sessions.load_session(user, deleted)


def test_reasoning_gives_steps_a_confidence_and_is_stored(user, knowledge, settings):
    chain = reasoning.reason(user, ReasoningRequest(question="How tall is Mount Ossery?"))
    assert [s.kind for s in chain.steps] == ["retrieve", "relate", "conclude"]
    assert "2,113" in chain.answer
    assert chain.citations
    assert "Ossery" in chain.citations[0].text
    assert 0.3 < chain.confidence <= 1
    unknown = reasoning.reason(user, ReasoningRequest(question="Who won the 1998 chess olympiad?"))
    assert unknown.confidence == 0
    assert unknown.citations == []
    with psycopg.connect(settings.postgres_dsn.get_secret_value()) as conn:
        row = conn.execute(
            "SELECT user_id, reasoning_steps, confidence_score, chain_data FROM reasoning_chains"
            " WHERE id = %s",
            (chain.id,),
        ).fetchone()
    assert row is not None
    assert row[0] == user
    assert row[1] == [s.summary for s in chain.steps]
    assert row[2] == pytest.approx(chain.confidence, abs=1e-4)
    assert row[3]["answer"] == chain.answer


def test_concepts_of_a_conversation_are_learned_and_come_back_related(user, knowledge):
    ask(user, "Tell me about amber trade and river traders in Zorblandia.", max_tokens=16)
    reply = ask(user, "What do you know about amber?", max_tokens=16)
    assert reply.related_concepts, reply


def test_a_graph_that_cannot_be_opened_costs_only_the_relations(user, knowledge, monkeypatch):
    from shared.config import reset_settings
    from shared.graph import reset_graph

    monkeypatch.setenv("GRAPH_STORE", "embedded")
    monkeypatch.setenv("GRAPH_PATH", "/proc/no-such-dir/concepts.lbug")  # cannot be created
    reset_settings()
    reset_graph()
    try:
        reply = ask(user, "What is the capital of Zorblandia?")
    finally:
        monkeypatch.undo()
        reset_settings()
        reset_graph()
    assert "Quexton" in reply.answer
    assert reply.related_concepts == []
    assert any(d.startswith("knowledge graph unavailable") for d in reply.degraded), reply.degraded
