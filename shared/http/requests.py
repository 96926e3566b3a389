"""Reading and validating request bodies and query strings with pydantic models.

The order of checks follows what a client can fix first: size (413) before content type (415)
before syntax (400) before content (422).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.config import get_settings
from shared.errors import (
    BadRequestError,
    PayloadTooLargeError,
    UnprocessableContentError,
    UnsupportedMediaTypeError,
)
from shared.http.call import HttpCall

ModelT = TypeVar("ModelT", bound=BaseModel)


def content_type_of(req: HttpCall) -> str:
    """The media type without parameters, lower-cased ('' when absent)."""
    return str(req.headers.get("content-type", "")).split(";", 1)[0].strip().lower()


def body_bytes(req: HttpCall, max_bytes: int | None = None) -> bytes:
    """The raw body, refusing (413) one over ``max_bytes`` (default ``MAX_REQUEST_BYTES``).

    The declared Content-Length is checked first so an honest client is refused before its body
    is looked at.
    """
    limit = max_bytes if max_bytes is not None else get_settings().max_request_bytes
    declared = req.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body is {declared} bytes; the limit is {limit}")
    body = req.get_body()
    if len(body) > limit:
        raise PayloadTooLargeError(f"the body is {len(body)} bytes; the limit is {limit}")
    return body


def read_json(req: HttpCall, max_bytes: int | None = None) -> Any:
    """The parsed JSON body: 413 over the limit, 415 unless JSON, 400 when it does not parse,
    422 when a string in it holds NUL."""
    raw = body_bytes(req, max_bytes)
    media_type = content_type_of(req)
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaTypeError(
            f"expected Content-Type application/json, got {media_type or 'none'}"
        )
    if not raw.strip():
        raise BadRequestError("the request body is empty; a JSON document is required")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequestError(f"the body is not valid JSON: {exc}") from exc
    if b"\\u0000" in raw and (found := nul_locations(data)):  # JSON spells a NUL only so
        raise UnprocessableContentError(
            NUL_REFUSED, errors=[_nul_error(location) for location in found]
        )
    return data


# PostgreSQL stores no NUL in text or jsonb: refused at the door, once for every endpoint, rather
# than as a 500 from whichever store the value would have reached.
NUL = "\x00"
NUL_REFUSED = "text may not contain the NUL character (U+0000)"


def nul_locations(data: Any, location: str = "") -> list[str]:
    """Where a string (a value or a key) holding NUL is in parsed JSON ``data``."""
    if isinstance(data, str):
        return [location or "(body)"] if NUL in data else []
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            inner = f"{location}/{key}" if location else str(key)
            found += [inner] if NUL in key else nul_locations(value, inner)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found += nul_locations(item, f"{location}/{index}" if location else str(index))
    return found


def _nul_error(location: str) -> dict[str, str]:
    return {
        "location": location.replace(NUL, "\\u0000"),
        "message": NUL_REFUSED,
        "type": "string_nul",
    }


def validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as problem+json ``errors`` entries: where, what, and the rule broken."""
    return [
        {
            "location": "/".join(str(part) for part in err["loc"]) or "(body)",
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_input=False)
    ]


def parse_body(req: HttpCall, model: type[ModelT], max_bytes: int | None = None) -> ModelT:
    """The JSON body validated against ``model``; 422 lists every invalid field."""
    data = read_json(req, max_bytes)
    return validate(model, data, what="body")


def parse_query(req: HttpCall, model: type[ModelT]) -> ModelT:
    """The query string validated against ``model`` (400 for invalid parameters)."""
    params = dict(req.params)
    if found := [name for name, value in params.items() if NUL in name + value]:
        raise BadRequestError(NUL_REFUSED, errors=[_nul_error(name) for name in found])
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise BadRequestError("invalid query parameters", errors=validation_errors(exc)) from exc


def validate(model: type[ModelT], data: Any, *, what: str = "body") -> ModelT:
    """Validate already-parsed data, raising 422 with the field errors."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UnprocessableContentError(
            f"the request {what} is invalid", errors=validation_errors(exc)
        ) from exc
