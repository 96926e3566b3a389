"""JSON success responses from pydantic models or plain data."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
from pydantic import BaseModel


def json_body(data: BaseModel | Any) -> str:
    """Serialise a model (by alias, without unset optionals' ``None``) or JSON-able data."""
    if isinstance(data, BaseModel):
        return data.model_dump_json(by_alias=True)
    return json.dumps(data, ensure_ascii=False, default=str)


def json_response(
    data: BaseModel | Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    """A ``application/json`` response."""
    return func.HttpResponse(
        json_body(data),
        status_code=status,
        headers=headers or {},
        mimetype="application/json",
        charset="utf-8",
    )
