"""Requests a chat model must answer as asked: tools (function calling) and structured output.

The chat pipeline (``shared.chat``) turns a question into an answer of its own making: retrieval,
grounding, rewording. A client that sends ``tools`` or a ``response_format`` wants the model's own
reply in a shape it will parse: tool calls with JSON arguments, or JSON conforming to a schema.
Such a request goes to the backend as is (``LLMBackend.complete_request``) and the reply comes
back as is. A backend that cannot honour a parameter raises :class:`UnsupportedParameterError`
(400 naming the parameter): a parameter is never dropped silently, since a client that asked for
JSON and got prose fails later and further from the cause.

Messages are in OpenAI's wire shape (dicts), so assistant ``tool_calls`` and ``tool`` results of
a function-calling loop pass through unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from shared.errors import BadRequestError

ToolChoice = str | dict[str, Any]


class UnsupportedParameterError(BadRequestError):
    """The chat backend cannot honour a request parameter: 400 naming it (``parameter``)."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"{parameter} is not supported here: {reason}", parameter=parameter)
        self.parameter = parameter


@dataclass(frozen=True)
class ToolCall:
    """One function call the model asks for; ``arguments`` is JSON text, as OpenAI sends it."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class StructuredRequest:
    """An OpenAI chat request for the model as is (see the module docstring)."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    tool_choice: ToolChoice | None = None
    response_format: dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    max_tokens: int = 256
    temperature: float = 0.2
    model: str | None = None

    @property
    def wants_json(self) -> bool:
        return self.response_format is not None and self.response_format.get("type") in (
            "json_object",
            "json_schema",
        )

    @property
    def json_schema(self) -> dict[str, Any] | None:
        """The schema of a ``json_schema`` response format (None for any other)."""
        if self.response_format is None or self.response_format.get("type") != "json_schema":
            return None
        schema: dict[str, Any] | None = (self.response_format.get("json_schema") or {}).get(
            "schema"
        )
        return schema

    @property
    def tools_in_play(self) -> bool:
        """Tools were given and the model may call them (``tool_choice`` is not "none")."""
        return bool(self.tools) and self.tool_choice != "none"


@dataclass(frozen=True)
class StructuredAnswer:
    """The model's reply: text (JSON when asked for), or tool calls (``finish_reason``
    "tool_calls")."""

    content: str | None
    model: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    backend: str
    tool_calls: list[ToolCall] = field(default_factory=list)


def parse_answer(data: dict[str, Any], *, model: str, backend: str) -> StructuredAnswer:
    """A ``chat.completion`` body (OpenAI's shape, as servers and llama-cpp-python return it).
    KeyError/IndexError/TypeError for a body without a choice: the caller says whose."""
    choice = data["choices"][0]
    message = choice.get("message") or {}
    calls = [
        ToolCall(
            id=str(call.get("id") or f"call_{index}"),
            name=str(call["function"]["name"]),
            arguments=_arguments_text(call["function"].get("arguments")),
        )
        for index, call in enumerate(message.get("tool_calls") or [])
    ]
    usage = data.get("usage") or {}
    finish = choice.get("finish_reason") or ("tool_calls" if calls else "stop")
    return StructuredAnswer(
        content=message.get("content"),
        tool_calls=calls,
        model=str(data.get("model") or model),
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        finish_reason=str(finish),
        backend=backend,
    )


def _arguments_text(arguments: object) -> str:
    # OpenAI sends arguments as a JSON string; some servers send the object itself.
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments if arguments is not None else {})
