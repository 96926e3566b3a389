"""Tools and structured output through /api/v1/chat/completions with the openai SDK, unchanged
but for base_url: against the embedded model (the default app) and against an app whose
LLM_BASE_URL is a real OpenAI-compatible server (llama-cpp-python's, with its function-calling
handler). The reply carries tool_calls, or JSON conforming to the schema; what the backend cannot
honour is a 400 naming the parameter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

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
from tests.utils.app_host import start_app_host
from tests.utils.auth import new_caller
from tests.utils.llama_server import MODEL_ALIAS, LlamaServer

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}


def sdk_for(base_url: str) -> Any:  # the SDK's TypedDicts refuse plain dict messages
    caller = new_caller("chat-tools")
    return openai.OpenAI(
        base_url=f"{base_url}/v1",
        api_key=caller["authorization"].removeprefix("Bearer "),
        timeout=120,
        max_retries=0,
    )


@pytest.fixture(scope="module")
def remote_app() -> Iterator[str]:
    """The app with a real OpenAI-compatible server as its chat backend."""
    with LlamaServer(chat_format="chatml-function-calling") as server:
        env = {"LLM_BASE_URL": server.base_url, "LLM_MODEL": MODEL_ALIAS}
        with start_app_host(env) as url:
            yield url


def ask_weather(sdk: Any, **options: Any) -> Any:
    completion = sdk.chat.completions.create(
        model="gpt-4o-mini",  # a client's default model name: an alias of the backend's model
        messages=[SYSTEM, {"role": "user", "content": WEATHER_QUESTION}],
        tools=[WEATHER_TOOL],
        temperature=0,
        max_tokens=64,
        **options,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls", choice
    [call] = choice.message.tool_calls or []
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert conforms(call.function.arguments, WEATHER_PARAMETERS)["city"] == "Paris"
    return completion


@pytest.mark.parametrize("where", ["embedded", "remote"])
def test_a_function_calling_loop(where: str, app_host: str, request: pytest.FixtureRequest):
    base = app_host if where == "embedded" else request.getfixturevalue("remote_app")
    sdk = sdk_for(base)

    first = ask_weather(sdk)
    call = first.choices[0].message.tool_calls[0]
    second = sdk.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            SYSTEM,
            {"role": "user", "content": WEATHER_QUESTION},
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": '{"temperature_c": 21}'},
        ],
        tools=[WEATHER_TOOL],
        tool_choice="none",
        max_tokens=48,
    )

    assert second.choices[0].message.content
    assert not second.choices[0].message.tool_calls


def test_tool_calls_stream_as_deltas(app_host: str) -> None:
    stream = sdk_for(app_host).chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": WEATHER_QUESTION}],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        stream=True,
    )
    chunks = [c for c in stream if c.choices]
    calls = [t for c in chunks for t in c.choices[0].delta.tool_calls or []]

    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert [t.function.name for t in calls if t.function] == ["get_weather"]
    conforms(calls[0].function.arguments if calls[0].function else None, WEATHER_PARAMETERS)


def test_json_schema_output_from_the_embedded_model(app_host: str) -> None:
    completion = sdk_for(app_host).chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": PERSON_QUESTION}],
        response_format=person_format(),
        temperature=0,
        max_tokens=64,
    )
    assert conforms(completion.choices[0].message.content, PERSON_SCHEMA) == {
        "name": "Alice",
        "age": 31,
    }


def test_json_output_from_a_remote_server(remote_app: str) -> None:
    # llama-cpp-python's server takes the schema beside json_object: passed through as sent.
    completion = sdk_for(remote_app).chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": PERSON_QUESTION}],
        response_format={"type": "json_object", "schema": PERSON_SCHEMA},
        temperature=0,
        max_tokens=64,
    )
    assert conforms(completion.choices[0].message.content, PERSON_SCHEMA)["age"] == 31


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"tools": [WEATHER_TOOL, TIME_TOOL], "tool_choice": "required"}, "tool_choice"),
        (
            {"tools": [WEATHER_TOOL], "response_format": {"type": "json_object"}},
            "response_format",
        ),
    ],
)
def test_what_the_embedded_model_cannot_do_is_400_naming_it(
    app_host: str, options: dict[str, Any], parameter: str
) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        sdk_for(app_host).chat.completions.create(
            model="default", messages=[{"role": "user", "content": WEATHER_QUESTION}], **options
        )
    error = json.loads(refused.value.response.text)["error"]  # OpenAI's error object
    assert error["param"] == parameter
    assert error["message"].startswith(f"{parameter} is not supported")
