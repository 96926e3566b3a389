"""``POST /api/v1/chat/completions``: the chat pipeline in the OpenAI wire format.

Stateless, as in OpenAI's API: the conversation comes in ``messages`` and nothing is saved (use
``/api/chat`` for sessions). The last user message is the question; the messages before it are
the history; system (and developer) messages become the system prompt of a capable backend.

``tools`` / ``tool_choice`` and a JSON ``response_format`` (``json_object``, ``json_schema``)
send the request to the model as is (``shared.llm.structured``): the reply carries the model's
``tool_calls`` (``finish_reason`` "tool_calls") or its JSON, with no retrieval or rewording in
between; a function-calling loop (assistant ``tool_calls``, then ``tool`` results) works the same
way. A backend that cannot honour one of them answers 400 naming it; nothing is dropped.
Retrieval over the caller's documents is on unless the request says ``"retrieval": false`` (an
extension field: ``extra_body`` in the OpenAI SDKs); the response carries ``citations``,
``answer_mode``, ``grounded`` and ``degraded`` beside the standard fields. ``stream: true``
answers OpenAI's chunk stream while the answer is made (``stream_chunks``): the model's own answer
token by token, an answer built from the passages once it is settled; the last chunk carries
``citations``, ``grounded``, ``answer_mode`` and ``degraded``, and ``stream_options.include_usage``
adds OpenAI's usage chunk. A request for the model as is (tools, JSON) streams its reply, tool
calls included, once the model has made it.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.chat.api import AnswerMode, Citation, Usage
from shared.errors import UnprocessableContentError

if TYPE_CHECKING:
    from shared.chat.streaming import TextSink

logger = logging.getLogger(__name__)


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


class FunctionDefinition(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the arguments",
    )
    strict: bool | None = None


class Tool(BaseModel):
    type: Literal["function"] = "function"
    function: FunctionDefinition


class FunctionName(BaseModel):
    name: str


class NamedToolChoice(BaseModel):
    type: Literal["function"] = "function"
    function: FunctionName


class JsonSchemaFormat(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str | None = None
    schema_: dict[str, Any] = Field(alias="schema", description="the JSON Schema to conform to")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    # Other fields go to the backend as sent (llama.cpp's servers take a "schema" beside
    # json_object): a parameter is never dropped.
    model_config = ConfigDict(extra="allow")

    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_with_json_schema(self) -> ResponseFormat:
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("type json_schema needs json_schema (name, schema)")
        return self


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The OpenAI request. ``tools``, ``tool_choice``, ``parallel_tool_calls`` and
    ``response_format`` reach the model (see the module docstring); other parameters this
    service does not use (logprobs, seed, ...) are accepted and ignored, as OpenAI-compatible
    servers commonly do."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(description="a model the backend knows, an alias (gpt-4o-mini), 'default'")
    messages: list[OpenAIMessage] = Field(min_length=1)
    tools: list[Tool] | None = Field(default=None, max_length=128)
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=4096)
    temperature: float | None = Field(default=None, ge=0, le=2)
    n: int = Field(default=1, ge=1, le=1, description="one choice only")
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None
    retrieval: bool = Field(default=True, description="extension: ground in your documents")
    top_k: int = Field(default=5, ge=1, le=20, description="extension: citations at most")
    require_sources: bool = Field(
        default=False, description="extension: answer only from your documents"
    )

    @field_validator("messages")
    @classmethod
    def _ends_with_user(cls, messages: list[OpenAIMessage]) -> list[OpenAIMessage]:
        if messages[-1].role not in ("user", "tool"):
            raise ValueError("the last message must be the user's (or a tool result)")
        return messages

    @model_validator(mode="after")
    def _tool_choice_names_a_tool(self) -> ChatCompletionRequest:
        if isinstance(self.tool_choice, NamedToolChoice):
            names = {tool.function.name for tool in self.tools or []}
            if self.tool_choice.function.name not in names:
                raise ValueError(
                    f"tool_choice names {self.tool_choice.function.name!r}, not a tool"
                )
        elif self.tool_choice in ("auto", "required") and not self.tools:
            raise ValueError(f"tool_choice {self.tool_choice!r} needs tools")
        return self

    @property
    def for_the_model_as_is(self) -> bool:
        """Tools, a JSON response format, or a tool result to answer: the model's own reply."""
        return bool(
            self.tools
            or (self.response_format is not None and self.response_format.type != "text")
            or self.messages[-1].role == "tool"
        )


class FunctionCall(BaseModel):
    name: str
    arguments: str = Field(description="JSON text")


class ToolCallOut(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class ChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None
    tool_calls: list[ToolCallOut] | None = None


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


def complete(
    user_id: str, request: ChatCompletionRequest, on_text: TextSink | None = None
) -> ChatCompletionResponse:
    """Answer the request's last user message with the chat pipeline; a request with tools or
    a JSON response format goes to the model as is (:func:`complete_as_is`). ``on_text``
    receives the answer as it is made (``service.answer``)."""
    from shared.chat.service import Generation, answer, chat_message

    if request.for_the_model_as_is:
        return complete_as_is(request)

    question = check_question(request)
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
        # Without retrieval there are no passages for the concepts to relate to (and this
        # stateless endpoint returns no related concepts): no graph lookup before the model.
        use_graph=request.retrieval,
        top_k=request.top_k,
        require_sources=request.require_sources,
        generation=Generation(
            max_tokens=request.max_completion_tokens or request.max_tokens or 256,
            temperature=0.2 if request.temperature is None else request.temperature,
            model=backend_model(request.model),
            system="\n\n".join(system_parts) or None,
        ),
        on_text=on_text,
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


def backend_model(name: str) -> str | None:
    """The model to ask the backend for: None for its configured one ("default", or an alias of
    it in ``CHAT_MODEL_ALIASES`` such as gpt-4o-mini); an alias's target; else the name as sent
    (a remote server may serve models this app does not list)."""
    from shared.served_models.names import CHAT_DEFAULT_NAMES, ModelKind, chat_backend_model
    from shared.served_models.names import aliases as model_aliases

    if name in CHAT_DEFAULT_NAMES:
        return None
    target = model_aliases(ModelKind.CHAT).get(name, name)
    if target in CHAT_DEFAULT_NAMES or target == chat_backend_model():
        return None
    return target


def complete_as_is(request: ChatCompletionRequest) -> ChatCompletionResponse:
    """The model's own reply to a request with tools or a response format (400 naming a
    parameter the backend cannot honour; 503 when it is down: no extractive fallback exists for
    a reply whose shape the client prescribed)."""
    from shared.llm import get_llm
    from shared.llm.structured import StructuredRequest

    structured = StructuredRequest(
        messages=[m.model_dump(exclude_none=True) for m in request.messages],
        tools=[t.model_dump(exclude_none=True) for t in request.tools] if request.tools else None,
        tool_choice=request.tool_choice.model_dump()
        if isinstance(request.tool_choice, NamedToolChoice)
        else request.tool_choice,
        response_format=request.response_format.model_dump(exclude_none=True, by_alias=True)
        if request.response_format is not None
        else None,
        parallel_tool_calls=request.parallel_tool_calls,
        max_tokens=request.max_completion_tokens or request.max_tokens or 256,
        temperature=0.2 if request.temperature is None else request.temperature,
        model=backend_model(request.model),
    )
    made = get_llm().complete_request(structured)
    calls = [
        ToolCallOut(id=c.id, function=FunctionCall(name=c.name, arguments=c.arguments))
        for c in made.tool_calls
    ]
    return ChatCompletionResponse(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=made.model,
        choices=[
            Choice(
                message=ChoiceMessage(content=made.content, tool_calls=calls or None),
                finish_reason=made.finish_reason,
            )
        ],
        usage=Usage(
            prompt_tokens=made.prompt_tokens,
            completion_tokens=made.completion_tokens,
            total_tokens=made.prompt_tokens + made.completion_tokens,
        ),
        citations=[],
        answer_mode="generative",
        grounded=False,  # the model answered as asked, from no retrieved source
        degraded=[],
    )


def check_question(request: ChatCompletionRequest) -> str:
    """The question (the last user message): 422 when empty, 413 when too long. Called before a
    stream starts, so that these are real error responses."""
    from shared.chat.service import check_message_length

    question = request.messages[-1].text()
    if not question.strip():
        raise UnprocessableContentError("the last user message is empty")
    check_message_length(question)
    return question


async def stream_chunks(user_id: str, request: ChatCompletionRequest) -> AsyncIterator[Any]:
    """OpenAI's chunk stream for ``request`` (see the module docstring), made while it is sent.
    A failure after the stream started arrives as an ``error`` event, as OpenAI sends one."""
    from shared.chat.streaming import Finished, pieces_then_result
    from shared.errors import PlatformError
    from shared.http.streams import STREAM_FAILED

    base: dict[str, Any] = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": request.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _event({**base, "choices": [choice], **extra})

    yield chunk({"role": "assistant", "content": ""})
    work = pieces_then_result(lambda sink: complete(user_id, request, sink))
    try:
        async with aclosing(work) as items:
            async for item in items:
                if not isinstance(item, Finished):
                    yield chunk({"content": item})
                    continue
                done = item.result
                yield chunk(
                    {},
                    done.choices[0].finish_reason,
                    citations=[c.model_dump() for c in done.citations],
                    grounded=done.grounded,
                    answer_mode=done.answer_mode,
                    degraded=done.degraded,
                )
                if request.stream_options is not None and request.stream_options.include_usage:
                    yield _event({**base, "choices": [], "usage": done.usage.model_dump()})
    except PlatformError as exc:
        yield _event({"error": {"message": exc.detail, "type": "server_error", "code": None}})
        yield b"data: [DONE]\n\n"
        yield STREAM_FAILED
        return
    except Exception:
        logger.exception("chat completion stream failed")
        failed = "the server failed while answering; it has been logged"
        yield _event({"error": {"message": failed, "type": "server_error", "code": None}})
        yield b"data: [DONE]\n\n"
        yield STREAM_FAILED
        return
    yield b"data: [DONE]\n\n"


def _event(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data, ensure_ascii=False, default=str)}\n\n".encode()


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
    delta: dict[str, Any] = {"content": choice.message.content}
    if choice.message.tool_calls:
        delta["tool_calls"] = [
            {"index": i, **call.model_dump()} for i, call in enumerate(choice.message.tool_calls)
        ]
    chunks = [
        {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None},
        {"index": 0, "delta": delta, "finish_reason": None},
        {"index": 0, "delta": {}, "finish_reason": choice.finish_reason},
    ]
    events = [json.dumps({**base, "choices": [chunk]}) for chunk in chunks]
    return "".join(f"data: {event}\n\n" for event in [*events, "[DONE]"]).encode()
