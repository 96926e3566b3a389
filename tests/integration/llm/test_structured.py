"""Tools and structured output reach a backend that honours them, and the reply carries the tool
calls or JSON conforming to the schema: the embedded SmolLM2 (llama-cpp-python's function-calling
handler and JSON-schema grammars) and a real OpenAI-compatible server (llama-cpp-python's, see
conftest.py). What a backend cannot honour is a 400 naming the parameter, never dropped."""

from __future__ import annotations

from typing import Any

import pytest

from shared.llm.embedded import EmbeddedBackend
from shared.llm.structured import StructuredRequest, UnsupportedParameterError
from tests.integration.llm.conftest import FlakyProxy, remote
from tests.structured_support import (
    PERSON_QUESTION,
    PERSON_SCHEMA,
    TIME_TOOL,
    WEATHER_PARAMETERS,
    WEATHER_QUESTION,
    WEATHER_TOOL,
    conforms,
    person_format,
)
from tests.utils.llama_server import LlamaServer

ASK_WEATHER: list[dict[str, Any]] = [{"role": "user", "content": WEATHER_QUESTION}]
ASK_PERSON: list[dict[str, Any]] = [{"role": "user", "content": PERSON_QUESTION}]


@pytest.fixture(scope="module")
def embedded() -> EmbeddedBackend:
    return EmbeddedBackend(context_tokens=2048, threads=2)


def weather_call(
    backend: Any, messages: list[dict[str, Any]] | None = None, **options: Any
) -> None:
    answer = backend.complete_request(
        StructuredRequest(
            messages=messages or ASK_WEATHER,
            tools=[WEATHER_TOOL],
            max_tokens=64,
            temperature=0.0,
            **options,
        )
    )
    assert answer.finish_reason == "tool_calls", answer
    [call] = answer.tool_calls
    assert call.name == "get_weather"
    assert call.id
    assert conforms(call.arguments, WEATHER_PARAMETERS)["city"] == "Paris"


@pytest.mark.parametrize(
    "tool_choice",
    [None, "auto", "required", {"type": "function", "function": {"name": "get_weather"}}],
)
def test_embedded_model_calls_the_tool(embedded: EmbeddedBackend, tool_choice: object) -> None:
    weather_call(embedded, tool_choice=tool_choice)


def test_embedded_model_answers_a_tool_result(embedded: EmbeddedBackend) -> None:
    messages: list[dict[str, Any]] = [
        *ASK_WEATHER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "arguments": '{"city": "Paris", "unit": "celsius"}',
                    },
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": '{"temperature": 21, "sky": "clear"}',
        },
    ]
    answer = embedded.complete_request(
        StructuredRequest(
            messages=messages, tools=[WEATHER_TOOL], tool_choice="none", max_tokens=48
        )
    )
    assert answer.finish_reason in ("stop", "length")
    assert answer.content
    assert answer.content.strip()
    assert not answer.tool_calls


def test_embedded_model_replies_json_conforming_to_the_schema(embedded: EmbeddedBackend) -> None:
    answer = embedded.complete_request(
        StructuredRequest(
            messages=ASK_PERSON, response_format=person_format(), max_tokens=64, temperature=0.0
        )
    )
    assert answer.finish_reason == "stop"
    assert conforms(answer.content, PERSON_SCHEMA) == {"name": "Alice", "age": 31}
    # Found by the fuzz test: the answer named the model by its file's absolute path.
    assert answer.model == embedded.model == "SmolLM2-135M-Instruct.Q4_1"


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"tools": [WEATHER_TOOL], "response_format": {"type": "json_object"}}, "response_format"),
        ({"tools": [WEATHER_TOOL, TIME_TOOL], "tool_choice": "required"}, "tool_choice"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": {"not": {}}},
                }
            },
            "response_format.json_schema.schema",
        ),
        (
            {
                "tools": [
                    {
                        **WEATHER_TOOL,
                        "function": {
                            "name": "f",
                            "parameters": {"$ref": "https://example.com/s.json"},
                        },
                    }
                ]
            },
            "tools[0].function.parameters",
        ),
    ],
)
def test_what_the_embedded_model_cannot_honour_is_400_naming_it(
    embedded: EmbeddedBackend, options: dict[str, object], parameter: str
) -> None:
    with pytest.raises(UnsupportedParameterError) as refused:
        embedded.complete_request(StructuredRequest(messages=ASK_WEATHER, **options))  # type: ignore[arg-type]
    assert refused.value.status == 400
    assert refused.value.parameter == parameter
    assert refused.value.detail.startswith(parameter)


def test_a_server_with_function_calling_returns_tool_calls(tools_server: LlamaServer) -> None:
    # Messages reach a server as sent: the handler lists the functions in the system message,
    # which agents send (the embedded backend adds one when there is none).
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a helpful assistant."},
        *ASK_WEATHER,
    ]
    weather_call(remote(tools_server.base_url), messages)
    weather_call(
        remote(tools_server.base_url),
        messages,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )


def test_a_server_constrains_json_to_a_schema(tools_server: LlamaServer) -> None:
    # llama-cpp-python's server takes a schema with json_object (its own dialect)
    answer = remote(tools_server.base_url).complete_request(
        StructuredRequest(
            messages=ASK_PERSON,
            response_format={"type": "json_object", "schema": PERSON_SCHEMA},
            max_tokens=64,
            temperature=0.0,
        )
    )
    assert conforms(answer.content, PERSON_SCHEMA)["age"] == 31


def test_a_server_that_refuses_a_parameter_is_400_naming_it(flaky_proxy: FlakyProxy) -> None:
    # A real HTTP server answering 400, as OpenAI does for a parameter a model does not take:
    # the client learns which parameters the server may have refused, and the server's reason.
    flaky_proxy.fail_next, flaky_proxy.fail_status = 1, 400
    with pytest.raises(UnsupportedParameterError) as refused:
        remote(flaky_proxy.base_url).complete_request(
            StructuredRequest(messages=ASK_PERSON, response_format=person_format())
        )
    assert refused.value.status == 400
    assert refused.value.parameter == "response_format"
    assert "injected failure" in refused.value.detail
    assert flaky_proxy.posts == 1  # not retried
