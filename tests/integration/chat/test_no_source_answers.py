"""Answers about the caller's knowledge that no document supports say so (issue #18).

Measured here on questions whose facts are in no document: the share of answers that state an
invented fact must be zero. An answer "invents" when it is neither the no-source answer nor built
from the documents' own sentences (extractive or checked phrasing, every number in it from the
documents)."""

from __future__ import annotations

import re
import uuid

import pytest

from shared.chat import documents, service
from shared.chat.api import ChatOptions, ChatRequest, ChatResponse, DocumentRequest
from shared.chat.no_source import NO_SOURCE_ANSWER, is_small_talk
from tests.chat_support import ORBITS, ZORBLANDIA

ABSENT_FACTS = (
    "Who won the 1998 football world cup?",
    "What is the boiling point of ethanol?",
    "Who wrote the novel Moby-Dick?",
    "What is the population of Tokyo?",
    "When did the Berlin Wall fall?",
    "How many moons does Mars have?",
    "Who painted the Mona Lisa?",
    "What is the speed of sound in water?",
    "Who is the president of Zorblandia?",
    "Which language do people speak in Zorblandia?",
    "How deep is the Veltic Sea?",
    "What does a satellite in geostationary orbit cost to launch?",
)


@pytest.fixture
def user() -> str:
    return f"nosource-{uuid.uuid4().hex[:10]}"


def ask(user: str, message: str, **options: object) -> ChatResponse:
    request = ChatRequest(message=message, options=ChatOptions(max_tokens=48, **options))
    return service.chat(user, request)


def invents(reply: ChatResponse) -> bool:
    """Whether the answer states something the documents do not hold (module docstring)."""
    if reply.answer_mode == "no_source":
        return False
    if reply.answer_mode not in ("extractive", "phrased") or not reply.citations:
        return True
    corpus = ZORBLANDIA + ORBITS
    return any(n not in corpus for n in re.findall(r"\d[\d,.]*\d|\d", reply.answer))


def test_no_answer_to_an_absent_fact_invents_one(user):
    # Given: a caller with two documents.
    for name, text in (("zorblandia", ZORBLANDIA), ("orbits", ORBITS)):
        documents.add_document(user, DocumentRequest(text=text, source=f"{name}.txt"))

    # When: asked about facts neither holds.
    replies = [ask(user, question) for question in ABSENT_FACTS]

    # Then: none invents a fact; an answer without a citation says no source was found.
    invented = [q for q, r in zip(ABSENT_FACTS, replies, strict=True) if invents(r)]
    assert invented == [], f"{len(invented)}/{len(ABSENT_FACTS)} answers invented a fact"
    for reply in replies:
        assert reply.grounded == bool(reply.citations)
        if not reply.citations:
            assert reply.answer_mode == "no_source"
            assert reply.answer == NO_SOURCE_ANSWER
    # Most of these questions share no topic with the documents: no source at all.
    assert sum(r.answer_mode == "no_source" for r in replies) >= len(ABSENT_FACTS) - 4


def test_a_question_the_documents_answer_is_grounded(user):
    documents.add_document(user, DocumentRequest(text=ZORBLANDIA, source="zorblandia.txt"))
    reply = ask(user, "What is the capital of Zorblandia?")
    assert reply.grounded is True
    assert reply.citations
    assert "Quexton" in reply.answer


def test_small_talk_still_works_for_a_caller_with_documents(user):
    documents.add_document(user, DocumentRequest(text=ZORBLANDIA, source="zorblandia.txt"))
    reply = ask(user, "Hello! How are you today?")
    assert reply.answer_mode == "conversational"
    assert reply.grounded is False
    assert reply.answer.strip()
    assert reply.answer != NO_SOURCE_ANSWER


def test_without_documents_a_session_can_still_ask_for_sourced_answers(user):
    # A caller without documents gets the model's answer unless it asks for sources.
    free = ask(user, "Who painted the Mona Lisa?")
    assert free.answer_mode == "conversational"
    assert free.grounded is False
    sourced = ask(user, "Who painted the Mona Lisa?", require_sources=True)
    assert sourced.answer_mode == "no_source"
    assert sourced.answer == NO_SOURCE_ANSWER
    assert sourced.grounded is False


@pytest.mark.parametrize(
    ("message", "small"),
    [
        ("Hello!", True),
        ("thanks a lot", True),
        ("How are you today?", True),
        ("Who are you?", True),
        ("Hello, what is the capital of Zorblandia and when was it founded?", False),
        ("What is the capital of Zorblandia?", False),
    ],
)
def test_small_talk_is_recognised(message, small):
    assert is_small_talk(message) is small
