"""JSON success responses from pydantic models or plain data."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from starlette.responses import Response


def json_body(data: BaseModel | Any) -> str:
    """Serialise a model (by alias) or JSON-able data."""
    if isinstance(data, BaseModel):
        return data.model_dump_json(by_alias=True)
    return json.dumps(data, ensure_ascii=False, default=str)


def json_response(
    data: BaseModel | Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """An ``application/json`` response."""
    return Response(
        json_body(data), status_code=status, headers=headers, media_type="application/json"
    )
