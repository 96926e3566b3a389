"""Error bodies: RFC 9457 problem details everywhere, OpenAI's error object under ``/v1``.

Clients read errors in the shape they know: the ``openai`` SDK (and everything built on it: Open
WebUI, LangChain, LiteLLM) shows ``error.message`` from ``{"error": {...}}``, and shows only
"Error code: 404" for anything else. Every other route answers ``application/problem+json``.
Both carry the same status codes and the ``X-Request-Id`` header.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from shared.errors import PlatformError

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-Id"

# OpenAI's error ``type`` for each status class its SDK maps to an exception.
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    416: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_uri: str = "about:blank",
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A ``application/problem+json`` response; ``title`` defaults to the status phrase."""
    body: dict[str, Any] = {
        "type": type_uri,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return Response(
        json.dumps(body, ensure_ascii=False, default=str),
        status_code=status,
        headers=headers or {},
        media_type=PROBLEM_JSON,
    )


def openai_error_response(
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """OpenAI's error object: ``{"error": {"message", "type", "param", "code"}}``."""
    kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers=headers or {},
        media_type="application/json",
    )


def error_response(
    error: PlatformError,
    *,
    instance: str | None = None,
    request_id: str | None = None,
    openai_shape: bool = False,
) -> Response:
    """Render a ``PlatformError`` for the client, echoing the request id when known."""
    headers = dict(error.headers)
    if request_id:
        headers.setdefault(REQUEST_ID_HEADER, request_id)
    if openai_shape:
        return openai_error_response(
            error.status,
            _openai_message(error),
            param=_openai_param(error),
            code=str(error.extensions.get("code")) if error.extensions.get("code") else None,
            headers=headers,
        )
    extensions = dict(error.extensions)
    if request_id:
        extensions.setdefault("request_id", request_id)
    return problem_response(
        error.status,
        error.detail,
        title=error.title,
        type_uri=error.type_uri,
        instance=instance,
        headers=headers,
        **extensions,
    )


def unexpected_error_response(
    *, instance: str | None, request_id: str | None, openai_shape: bool
) -> Response:
    """The 500 for a bug: no internals, only the request id to quote to the operator."""
    detail = "the server failed to handle the request; it has been logged"
    headers = {REQUEST_ID_HEADER: request_id} if request_id else {}
    if openai_shape:
        return openai_error_response(500, detail, headers=headers)
    return problem_response(500, detail, instance=instance, headers=headers, request_id=request_id)


def _openai_message(error: PlatformError) -> str:
    # What problem+json carries in extensions belongs in the one message the SDK shows: the
    # invalid fields, and the values that would have been accepted.
    message = error.detail
    errors = error.extensions.get("errors")
    if isinstance(errors, list) and errors:
        listed = "; ".join(f"{e.get('location')}: {e.get('message')}" for e in errors[:5])
        message = f"{message}: {listed}"
    for name in ("supported", "allowed"):
        values = error.extensions.get(name)
        if isinstance(values, list) and values:
            message = f"{message} ({name}: {', '.join(str(v) for v in values)})"
    return message


def _openai_param(error: PlatformError) -> str | None:
    for name in ("param", "parameter"):
        if isinstance(param := error.extensions.get(name), str):
            return param
    errors = error.extensions.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        location = str(errors[0].get("location", ""))
        return location.split("/", 1)[-1] if location.startswith("body/") else location or None
    return None
