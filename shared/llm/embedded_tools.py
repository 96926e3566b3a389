"""Tools and structured output on the embedded llama.cpp model (llama-cpp-python).

- ``response_format`` ``json_object`` / ``json_schema``: llama-cpp-python's chat completion turns
  ``{"type": "json_object", "schema": ...}`` into a GBNF grammar, so the sampled text can only be
  JSON (conforming to the schema when one is given). OpenAI's ``json_schema`` is mapped to that.
- ``tools``: llama-cpp-python's ``chatml-function-calling`` handler (SmolLM2 speaks ChatML). With
  ``tool_choice`` "auto" a grammar lets the model choose between a message and
  ``functions.<name>:`` followed by arguments constrained to the function's parameter schema; a
  named function forces that call.

What it cannot do is refused with ``UnsupportedParameterError`` (400 naming the parameter), never
dropped: ``tool_choice: "required"`` among several tools (the handler has no grammar for "some
tool"), tools together with a JSON response format, and schemas the grammar converter cannot
translate. llama-cpp-python falls back to plain JSON for such a schema without a word, which would
break the promise that the output conforms; the schema is therefore converted here first.
"""

from __future__ import annotations

import json
from typing import Any

from shared.llm.structured import StructuredRequest, UnsupportedParameterError

DEFAULT_SYSTEM = "You are a helpful assistant."


def llama_response_format(request: StructuredRequest) -> dict[str, Any] | None:
    """OpenAI's response format as llama-cpp-python takes it (None for plain text)."""
    if not request.wants_json:
        return None
    schema = request.json_schema
    if request.response_format and request.response_format.get("type") == "json_schema":
        if schema is None:
            raise UnsupportedParameterError(
                "response_format", "json_schema needs json_schema.schema"
            )
        check_schema(schema, "response_format.json_schema.schema")
        return {"type": "json_object", "schema": schema}
    # llama.cpp's own dialect: a schema beside json_object
    extra = request.response_format.get("schema") if request.response_format else None
    if isinstance(extra, dict):
        check_schema(extra, "response_format.schema")
        return {"type": "json_object", "schema": extra}
    return {"type": "json_object"}


def llama_tool_choice(request: StructuredRequest) -> str | dict[str, Any]:
    """The handler's ``tool_choice`` for a request whose tools are in play."""
    tools = request.tools or []
    for index, tool in enumerate(tools):
        parameters = (tool.get("function") or {}).get("parameters")
        if parameters is not None:
            check_schema(parameters, f"tools[{index}].function.parameters")
    if request.wants_json:
        raise UnsupportedParameterError(
            "response_format",
            "the embedded model cannot combine tools with a JSON response format; send one of "
            'them (or tool_choice "none")',
        )
    choice = request.tool_choice
    if choice is None or choice == "auto":
        return "auto"  # OpenAI's default when tools are given
    if choice == "required":
        if len(tools) == 1:
            return {"type": "function", "function": {"name": tools[0]["function"]["name"]}}
        raise UnsupportedParameterError(
            "tool_choice",
            '"required" with several tools cannot be enforced by the embedded model; name the '
            'function ({"type": "function", "function": {"name": ...}}) or use "auto"',
        )
    if isinstance(choice, dict):
        return choice
    raise UnsupportedParameterError("tool_choice", f"unknown value {choice!r}")


def check_schema(schema: dict[str, Any], parameter: str) -> None:
    """400 naming ``parameter`` when llama.cpp's grammar converter cannot translate ``schema``."""
    from llama_cpp import llama_grammar

    try:
        llama_grammar.json_schema_to_gbnf(json.dumps(schema))
    except Exception as exc:  # the converter raises bare Exception on what it cannot translate
        raise UnsupportedParameterError(
            parameter, f"the embedded model cannot constrain output to this schema ({exc})"
        ) from None


def llama_messages(request: StructuredRequest) -> list[dict[str, Any]]:
    """The messages as the ChatML templates render them.

    Content parts become text. The function-calling template lists the functions inside the
    system message and has no place for ``tool`` results, so a system message is added when
    tools are in play and none was sent, and each tool result becomes a user turn that says which
    function it came from (otherwise the model would never see it)."""
    names = {
        call.get("id"): (call.get("function") or {}).get("name", "")
        for message in request.messages
        for call in message.get("tool_calls") or []
    }
    converted: list[dict[str, Any]] = []
    for message in request.messages:
        role = "system" if message.get("role") == "developer" else message.get("role")
        text = _text(message.get("content"))
        if role == "tool":
            name = names.get(message.get("tool_call_id"), "") or "the function"
            converted.append({"role": "user", "content": f"{name} returned: {text}"})
            continue
        item: dict[str, Any] = {"role": role, "content": text}
        if message.get("tool_calls"):
            item["tool_calls"] = message["tool_calls"]
        converted.append(item)
    if request.tools_in_play and not any(m["role"] == "system" for m in converted):
        converted.insert(0, {"role": "system", "content": DEFAULT_SYSTEM})
    return converted


def _text(content: object) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text") or "") for part in content if isinstance(part, dict))
    return str(content)
