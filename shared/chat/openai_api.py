"""``POST /api/v1/chat/completions``: the chat pipeline in the OpenAI wire format.

Stateless, as in OpenAI's API: the conversation comes in ``messages`` and nothing is saved (use
``/api/chat`` for sessions). The last user message is the question; the messages before it are
the history; system (and developer) messages become the system prompt of a capable backend.
Retrieval over the caller's documents is on unless the request says ``"retrieval": false`` (an
extension field: ``extra_body`` in the OpenAI SDKs); the response carries ``citations``,
``answer_mode``, ``grounded`` and ``degraded`` beside the standard fields. ``stream: true`` is
answered as a server-sent event stream holding the whole answer in one chunk (the Functions
Python worker cannot stream a body), so streaming clients work unchanged.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.chat.api import AnswerMode, Citation, Usage
from shared.errors import UnprocessableContentError

DEFAULT_MODEL_NAMES = frozenset({"", "default", "platform"})


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text; only text parts are read (422 for images and audio)."""
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        for part in self.content:
            if part.type != "text":
                raise UnprocessableContentError(f"content parts of type {part.type!r} are not read")
        return "\n".join(part.text or "" for part in self.content)


class ChatCompletionRequest(BaseModel):
    """The OpenAI request; parameters this service does not use (tools, logprobs, ...) are
    accepted and ignored, as OpenAI-compatible servers commonly do."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(description="a model the backend knows, or 'default'")
    messages: list[OpenAIMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=4096)
    temperature: float | None = Field(default=None, ge=0, le=2)
    n: int = Field(default=1, ge=1, le=1, description="one choice only")
    stream: bool = False
    user: str | None = None
    retrieval: bool = Field(default=True, description="extension: ground in your documents")
    top_k: int = Field(default=5, ge=1, le=20, description="extension: citations at most")
    require_sources: bool = Field(
        default=False, description="extension: answer only from your documents"
    )

    @field_validator("messages")
    @classmethod
    def _ends_with_user(cls, messages: list[OpenAIMessage]) -> list[OpenAIMessage]:
        if messages[-1].role != "user":
            raise ValueError("the last message must be the user's")
        return messages


class ChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ChoiceMessage
    finish_reason: str = "stop"


class ChatCompletionResponse(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[Citation]
    answer_mode: AnswerMode
    grounded: bool = Field(description="extension: true when the answer rests on the citations")
    degraded: list[str]


def complete(user_id: str, request: ChatCompletionRequest) -> ChatCompletionResponse:
    """Answer the request's last user message with the chat pipeline."""
    from shared.chat.service import Generation, answer, chat_message, check_message_length

    question = request.messages[-1].text()
    if not question.strip():
        raise UnprocessableContentError("the last user message is empty")
    check_message_length(question)
    system_parts = [m.text() for m in request.messages if m.role in ("system", "developer")]
    history = [
        chat_message(m.role, m.text())
        for m in request.messages[:-1]
        if m.role in ("user", "assistant") and m.text()
    ]
    previous = next((m.content for m in reversed(history) if m.role == "user"), None)
    made = answer(
        user_id,
        question,
        history=history,
        previous_question=previous,
        retrieval=request.retrieval,
        top_k=request.top_k,
        require_sources=request.require_sources,
        generation=Generation(
            max_tokens=request.max_completion_tokens or request.max_tokens or 256,
            temperature=0.2 if request.temperature is None else request.temperature,
            model=None if request.model in DEFAULT_MODEL_NAMES else request.model,
            system="\n\n".join(system_parts) or None,
        ),
    )
    return ChatCompletionResponse(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=made.model,
        choices=[Choice(message=ChoiceMessage(content=made.text))],
        usage=made.usage,
        citations=made.citations,
        answer_mode=made.mode,
        grounded=made.grounded,
        degraded=made.degraded,
    )


def as_event_stream(response: ChatCompletionResponse) -> bytes:
    """The response as OpenAI's streaming format: a role chunk, a content chunk, a final chunk
    with the finish reason, then ``[DONE]``."""
    base: dict[str, Any] = {
        "id": response.id,
        "object": "chat.completion.chunk",
        "created": response.created,
        "model": response.model,
    }
    choice = response.choices[0]
    chunks = [
        {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None},
        {"index": 0, "delta": {"content": choice.message.content}, "finish_reason": None},
        {"index": 0, "delta": {}, "finish_reason": choice.finish_reason},
    ]
    events = [json.dumps({**base, "choices": [chunk]}) for chunk in chunks]
    return "".join(f"data: {event}\n\n" for event in [*events, "[DONE]"]).encode()
