"""Answers as explicit steps: retrieve, relate, conclude.

1. **retrieve**: the passages of the user's documents relevant to the question (as for chat).
2. **relate**: the question's concepts, and concepts the user's knowledge graph links to them.
3. **conclude**: the sentences of the passages that answer the question best (an extractive
   answer: every claim can be checked against a citation), or "no supporting passage".

``confidence`` = the best sentence's relevance x the share of the question's concepts that the
cited passages mention: high only when a passage is close to the question AND covers what it asks
about. Each chain is stored in ``reasoning_chains`` (with the session when one is given).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.chat.api import Citation, ReasoningRequest, ReasoningResponse, ReasoningStep
from shared.chat.grounding import extract_answer
from shared.chat.relations import relate
from shared.chat.repository import chat_repository
from shared.chat.retrieval import retrieve
from shared.chat.sessions import load_session
from shared.errors import ServiceUnavailableError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

NO_ANSWER = "No passage in your documents supports an answer to this question."


def reason(user_id: str, request: ReasoningRequest) -> ReasoningResponse:
    """Run the three steps and store the chain; 404 for a session that is not the user's, 413 for
    a question over ``CHAT_MAX_MESSAGE_CHARS``."""
    from shared.chat.service import check_message_length

    check_message_length(request.question)
    if request.session_id is not None:
        load_session(user_id, request.session_id)
    degraded: list[str] = []
    citations, query_vector = _retrieve(user_id, request, degraded)
    concepts, related = relate(user_id, request.question, degraded)
    extracted = extract_answer(query_vector, citations) if query_vector is not None else None
    covered = _coverage(concepts, citations)
    if extracted is None:
        answer, confidence = NO_ANSWER, 0.0
    else:
        answer = extracted.text
        confidence = round(max(0.0, min(1.0, extracted.score)) * covered, 4)
    steps = [
        ReasoningStep(
            kind="retrieve",
            summary=_retrieve_summary(citations),
            evidence=[f"[{n}] {c.source}: {c.text[:200]}" for n, c in enumerate(citations, 1)],
        ),
        ReasoningStep(
            kind="relate",
            summary=_relate_summary(concepts, related),
            evidence=related,
        ),
        ReasoningStep(
            kind="conclude",
            summary=(
                f"{answer} (confidence {confidence:.2f}: best passage relevance x "
                f"{covered:.0%} of the question's concepts covered)"
                if extracted
                else answer
            ),
            evidence=[f"[{n}]" for n in (extracted.used if extracted else [])],
        ),
    ]
    chain_id = chat_repository().insert_chain(
        user_id,
        request.session_id,
        question=request.question,
        chain={
            "steps": [s.model_dump() for s in steps],
            "citations": [c.model_dump(mode="json") for c in citations],
            "concepts": concepts,
            "related": related,
            "answer": answer,
        },
        steps=[s.summary for s in steps],
        confidence=confidence,
    )
    return ReasoningResponse(
        id=chain_id,
        session_id=request.session_id,
        question=request.question,
        steps=steps,
        answer=answer,
        confidence=confidence,
        citations=citations,
        degraded=degraded,
    )


def _retrieve(
    user_id: str, request: ReasoningRequest, degraded: list[str]
) -> tuple[list[Citation], npt.NDArray[np.float32] | None]:
    try:
        found = retrieve(user_id, request.question, request.top_k)
    except ServiceUnavailableError as exc:
        degraded.append(f"knowledge base unavailable ({exc.detail}): no passages")
        return [], None
    return found.citations, found.query_vector


def _coverage(concepts: list[str], citations: list[Citation]) -> float:
    """Share of the concepts that occur in the cited text (1.0 when there are none to check)."""
    if not concepts:
        return 1.0
    text = " ".join(c.text for c in citations).lower()
    return sum(1 for concept in concepts if concept.lower() in text) / len(concepts)


def _retrieve_summary(citations: list[Citation]) -> str:
    if not citations:
        return "No relevant passage was found in your documents."
    documents = len({c.document_id for c in citations})
    return (
        f"Found {len(citations)} relevant passage(s) in {documents} document(s); "
        f"the best scored {citations[0].score:.2f}."
    )


def _relate_summary(concepts: list[str], related: list[str]) -> str:
    about = ", ".join(concepts) if concepts else "no recognisable concept"
    linked = ", ".join(related) if related else "none known yet"
    return f"The question is about: {about}. Related concepts you have discussed: {linked}."
