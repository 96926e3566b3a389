"""One chat turn: retrieve, relate, answer, remember.

``chat(user_id, request)``:

1. loads the session (404 when it is not the user's) or starts one when the answer is ready;
2. finds the message's concepts and the user's related ones in the knowledge graph;
3. retrieves passages from the user's documents (the previous question joins a follow-up, and
   the last answer's passages are candidates again);
4. answers: a capable backend answers from the passages and cites them (``generative``); the small
   embedded model only rewords an answer built from the passages, and the rewording is kept only
   if it stays within them (``phrased``, else ``extractive``); with no relevant passage the model
   answers from the conversation (``conversational``), unless the question is about the user's
   documents: then the answer says no source was found (``no_source``, ``grounded`` false);
5. saves both messages, caches the session and the cited passages, and records the concepts.

Nothing is saved unless an answer was made: a backend that is down (503) leaves the session as it
was. Parts that can be skipped are skipped with a reason in ``degraded``: the graph, the session
cache, the knowledge base, and (when passages were found) the model, whose place the extractive
answer takes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.chat import prompts
from shared.chat.api import AnswerMode, ChatRequest, ChatResponse, Citation, Usage
from shared.chat.grounding import check_phrasing, extract_answer
from shared.chat.no_source import KNOWLEDGE_BASE_DOWN_ANSWER, NO_SOURCE_ANSWER, needs_sources
from shared.chat.relations import learn, relate
from shared.chat.retrieval import retrieval_query, retrieve
from shared.chat.sessions import (
    Session,
    cache_context,
    cached_context,
    load_session,
    message,
    new_session,
    save_turn,
)
from shared.config import get_settings
from shared.errors import PayloadTooLargeError, ServiceUnavailableError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from shared.chat.streaming import TextSink
    from shared.llm import ChatMessage, Completion, LLMBackend

logger = logging.getLogger(__name__)

QUESTION_WEIGHT = 0.7  # a follow-up's own words vs. the query joined with the previous question
# How many recent messages describe a session in its vector (for "similar conversations").
VECTOR_MESSAGES = 6


@dataclass
class Answer:
    """What ``answer`` made, before it is saved."""

    text: str
    mode: AnswerMode
    citations: list[Citation]
    model: str
    backend: str
    usage: Usage
    related: list[str]
    concepts: list[str]
    degraded: list[str] = field(default_factory=list)
    streamed: bool = False  # the text already left piece by piece through the sink

    @property
    def grounded(self) -> bool:
        """The answer rests on cited passages."""
        return bool(self.citations) and self.mode != "no_source"


def chat(user_id: str, request: ChatRequest, on_text: TextSink | None = None) -> ChatResponse:
    """Answer ``request`` in its session (see the module docstring). With ``on_text`` the answer
    also leaves piece by piece as it is made; the turn is saved once it ends, also when the
    receiver went away midway (then with the part that was written)."""
    check_message_length(request.message)
    session = load_session(user_id, request.session_id) if request.session_id else None
    history = [chat_message(m["role"], m["content"]) for m in (session.messages if session else [])]
    previous_question = (
        next((m["content"] for m in reversed(session.messages) if m["role"] == "user"), None)
        if session
        else None
    )
    carried = cached_context(user_id, session.id) if session else []
    result = answer(
        user_id,
        request.message,
        history=history,
        previous_question=previous_question,
        carried=carried,
        retrieval=request.options.retrieval,
        top_k=request.options.top_k,
        use_graph=request.options.graph,
        require_sources=request.options.require_sources,
        generation=Generation(
            max_tokens=request.options.max_tokens,
            temperature=request.options.temperature,
            model=request.options.model,
        ),
        on_text=on_text,
    )
    if session is None:
        session = new_session(user_id, request.message)
    turn = [
        message("user", request.message),
        message(
            "assistant",
            result.text,
            result.citations,
            answer_mode=result.mode,
            grounded=result.grounded,
        ),
    ]
    save_turn(session, turn, _session_vector(session, turn))
    cache_context(user_id, session.id, result.citations)
    _learn(user_id, result)
    return ChatResponse(
        session_id=session.id,
        answer=result.text,
        answer_mode=result.mode,
        grounded=result.grounded,
        citations=result.citations,
        related_concepts=result.related,
        model=result.model,
        backend=result.backend,
        usage=result.usage,
        degraded=session.degraded + result.degraded,
    )


@dataclass(frozen=True)
class Generation:
    """How the model is asked: answer length, sampling, a model override, a client's system
    prompt (for a capable backend; the small model's prompts are fixed)."""

    max_tokens: int = 256
    temperature: float = 0.2
    model: str | None = None
    system: str | None = None

    def complete(self, llm: LLMBackend, messages: list[ChatMessage]) -> Completion:
        return llm.complete(
            messages, max_tokens=self.max_tokens, temperature=self.temperature, model=self.model
        )


def answer(
    user_id: str,
    question: str,
    *,
    history: Sequence[ChatMessage] = (),
    previous_question: str | None = None,
    carried: list[Citation] | None = None,
    retrieval: bool = True,
    top_k: int = 5,
    use_graph: bool = True,
    require_sources: bool = False,
    generation: Generation | None = None,
    on_text: TextSink | None = None,
) -> Answer:
    """Steps 2-4 of a turn, saving nothing (the OpenAI-compatible endpoint is stateless).

    A question about the caller's knowledge that retrieval finds no passage for is answered
    ``no_source`` without asking the model (``shared.chat.no_source``).

    ``on_text`` receives the answer as it is made: the model's own answer (conversational,
    generative) token by token while it is generated; an answer built from the passages
    (extractive, phrased: the small model's wording is checked against the passages before it is
    used) and a no-source answer whole, once they are settled."""
    made = _answer(
        user_id,
        question,
        history=history,
        previous_question=previous_question,
        carried=carried,
        retrieval=retrieval,
        top_k=top_k,
        use_graph=use_graph,
        require_sources=require_sources,
        gen=generation or Generation(),
        on_text=on_text,
    )
    if on_text is not None and not made.streamed:
        on_text(made.text)
    return made


def _answer(
    user_id: str,
    question: str,
    *,
    history: Sequence[ChatMessage],
    previous_question: str | None,
    carried: list[Citation] | None,
    retrieval: bool,
    top_k: int,
    use_graph: bool,
    require_sources: bool,
    gen: Generation,
    on_text: TextSink | None,
) -> Answer:
    from shared.llm import get_llm

    degraded: list[str] = []
    concepts, related = relate(user_id, question, degraded) if use_graph else ([], [])
    citations: list[Citation] = []
    query_vector = None
    searched = False
    if retrieval:
        try:
            query = retrieval_query(question, previous_question)
            found = retrieve(user_id, query, top_k, carried)
            citations = found.citations
            searched = True
            query_vector = _answer_vector(question, query, found.query_vector)
        except ServiceUnavailableError as exc:
            degraded.append(f"knowledge base unavailable ({exc.detail}): answered without it")
    llm = get_llm()  # cheap: nothing is loaded until it is asked
    if (
        retrieval
        and not citations
        and needs_sources(user_id, question, require_sources=require_sources)
    ):
        text = NO_SOURCE_ANSWER if searched else KNOWLEDGE_BASE_DOWN_ANSWER
        made = Answer(text, "no_source", [], llm.model, llm.name, _usage(), related, concepts)
        made.degraded = degraded
        return made
    made = Answer("", "conversational", citations, llm.model, llm.name, _usage(), related, concepts)
    made.degraded = degraded
    if citations and query_vector is not None and llm.grounded_only:
        _phrased_answer(llm, question, query_vector, made, gen)
    elif citations:
        _generative_answer(llm, question, history, made, gen, on_text=on_text)
    else:
        base = prompts.conversation_messages(question, [], gen.system)
        _complete(llm, _fitted(llm, base, history, gen.max_tokens), made, gen, on_text)
    return made


def _phrased_answer(
    llm: LLMBackend,
    question: str,
    query_vector: npt.NDArray[np.float32],
    made: Answer,
    gen: Generation,
) -> None:
    """The extractive answer, reworded by the model when the rewording passes the check."""
    from shared.llm.base import LLMUnavailableError

    extracted = extract_answer(query_vector, made.citations)
    assert extracted is not None  # citations hold text
    made.text, made.mode = extracted.text, "extractive"
    # Rewording wants no creativity and no more room than the answer itself.
    phrasing = Generation(max_tokens=min(gen.max_tokens, 160), temperature=0.0, model=gen.model)
    try:
        completion = phrasing.complete(llm, prompts.phrasing_messages(question, extracted.text))
    except LLMUnavailableError as exc:
        made.degraded.append(f"language model unavailable ({exc.detail}): extractive answer")
        return
    made.usage = _usage(completion.prompt_tokens, completion.completion_tokens)
    made.model = completion.model
    sources = [c.text for c in made.citations]
    if check_phrasing(completion.text, extracted.text, sources):
        marks = "".join(f"[{n}]" for n in extracted.used)
        made.text, made.mode = f"{completion.text.strip()} {marks}", "phrased"


def _generative_answer(
    llm: LLMBackend,
    question: str,
    history: Sequence[ChatMessage],
    made: Answer,
    gen: Generation,
    *,
    on_text: TextSink | None = None,
) -> None:
    from shared.llm.base import LLMUnavailableError

    base = prompts.grounded_messages(question, made.citations, [], made.related, gen.system)
    try:
        _complete(llm, _fitted(llm, base, history, gen.max_tokens), made, gen, on_text)
        made.mode = "generative"
    except LLMUnavailableError as exc:
        # The passages are at hand: answer with them rather than not at all.
        made.degraded.append(f"language model unavailable ({exc.detail}): extractive answer")
        extracted = _extract_for(question, made.citations)
        made.text, made.mode = (extracted or ""), "extractive"


def _answer_vector(
    question: str, query: str, query_vector: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """What the answer's sentences are scored against. A follow-up was searched together with
    the previous question (to find the right passages), but its answer must address the new
    question: the question itself weighs most, the joined query breaks ties."""
    if query == question:
        return query_vector
    from shared.embeddings.service import embed

    own = embed([question], field="message").vectors[0]
    mixed = QUESTION_WEIGHT * own + (1 - QUESTION_WEIGHT) * query_vector
    result: npt.NDArray[np.float32] = mixed / max(float((mixed @ mixed) ** 0.5), 1e-12)
    return result


def _extract_for(question: str, citations: list[Citation]) -> str | None:
    from shared.embeddings.service import embed

    vector = embed([question], field="message").vectors[0]
    extracted = extract_answer(vector, citations)
    return extracted.text if extracted else None


def _complete(
    llm: LLMBackend,
    messages: list[ChatMessage],
    made: Answer,
    gen: Generation,
    on_text: TextSink | None = None,
) -> None:
    if on_text is None:
        completion = gen.complete(llm, messages)
        made.text = completion.text.strip()
        made.model = completion.model
        made.usage = _usage(completion.prompt_tokens, completion.completion_tokens)
        return
    _stream_completion(llm, messages, made, gen, on_text)


def _stream_completion(
    llm: LLMBackend, messages: list[ChatMessage], made: Answer, gen: Generation, on_text: TextSink
) -> None:
    """The model's answer piece by piece into ``on_text``; generation stops (the model's stream
    is closed) as soon as the receiver has gone away. A model that fails before its first piece
    raises as ``complete`` would; one that fails midway keeps what it wrote, marked degraded."""
    from shared.llm.activity import count_piece, streamed_generation
    from shared.llm.base import LLMUnavailableError

    written: list[str] = []
    with streamed_generation():
        pieces = llm.stream(
            messages, max_tokens=gen.max_tokens, temperature=gen.temperature, model=gen.model
        )
        try:
            for piece in pieces:
                count_piece()
                written.append(piece)
                on_text(piece)
                if on_text.stopped:
                    break
        except LLMUnavailableError as exc:
            if not written:
                raise
            made.degraded.append(f"language model stopped midway ({exc.detail})")
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
    made.streamed = True
    made.text = "".join(written).strip()
    made.model = gen.model or llm.model
    made.usage = _usage(
        sum(llm.count_tokens(m.content) for m in messages), llm.count_tokens(made.text)
    )


def _fitted(
    llm: LLMBackend, base: list[ChatMessage], history: Sequence[ChatMessage], max_tokens: int
) -> list[ChatMessage]:
    """``base`` (system first, question last) with as much recent history as fits."""
    fixed = sum(llm.count_tokens(m.content) + 4 for m in base)
    budget = llm.context_tokens - max_tokens - fixed - prompts.TEMPLATE_MARGIN_TOKENS
    if budget < 0:
        raise PayloadTooLargeError(
            f"the message and its passages need about {fixed} tokens; with max_tokens "
            f"{max_tokens} that exceeds the model's context of {llm.context_tokens}"
        )
    kept = prompts.fit_history(
        history,
        budget_tokens=budget,
        max_messages=get_settings().chat_history_max_messages,
        count_tokens=llm.count_tokens,
    )
    return [base[0], *kept, *base[1:]]


def _usage(prompt: int = 0, completion: int = 0) -> Usage:
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def chat_message(role: str, content: str) -> ChatMessage:
    from shared.llm import ChatMessage

    return ChatMessage(role=role, content=content)  # type: ignore[arg-type]


def check_message_length(text: str) -> None:
    limit = get_settings().chat_max_message_chars
    if len(text) > limit:
        raise PayloadTooLargeError(f"the message has {len(text)} characters; the limit is {limit}")


def _learn(user_id: str, result: Answer) -> None:
    """Record the question's concepts: more confidently when passages backed them."""
    confidence = max((c.score for c in result.citations), default=0.3)
    learn(user_id, result.concepts, confidence, result.degraded)


def _session_vector(session: Session, turn: list[dict[str, Any]]) -> list[float] | None:
    """The session's recent text embedded, for finding similar conversations."""
    from shared.embeddings.service import embed_checked

    recent = (session.messages + turn)[-VECTOR_MESSAGES:]
    text = "\n".join(m["content"] for m in recent)[: get_settings().embeddings_max_chars]
    try:
        return [float(v) for v in embed_checked([text]).vectors[0]]
    except ServiceUnavailableError:
        return None
