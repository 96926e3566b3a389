"""Requests with tools and JSON schemas shared by the structured-output tests."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

WEATHER_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["city", "unit"],
    "additionalProperties": False,
}
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": WEATHER_PARAMETERS,
    },
}
TIME_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the current time in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
WEATHER_QUESTION = "What is the weather in Paris right now? Use the tool."
PERSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
PERSON_QUESTION = "Alice is 31 years old. Reply with her name and age."


def person_format() -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON_SCHEMA}}


def conforms(text: str | None, schema: dict[str, Any]) -> Any:
    """The JSON ``text`` holds, after checking it against ``schema`` (raises otherwise)."""
    assert text is not None
    value = json.loads(text)
    jsonschema.validate(value, schema)
    return value
