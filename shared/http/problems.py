"""RFC 9457 problem details: the one shape every error leaves the platform in."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import azure.functions as func

from shared.errors import PlatformError

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-Id"


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_uri: str = "about:blank",
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> func.HttpResponse:
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
    return func.HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str),
        status_code=status,
        headers=headers or {},
        mimetype=PROBLEM_JSON,
        charset="utf-8",
    )


def error_response(
    error: PlatformError, *, instance: str | None = None, request_id: str | None = None
) -> func.HttpResponse:
    """Render a ``PlatformError`` as problem+json, echoing the request id when known."""
    headers = dict(error.headers)
    extensions = dict(error.extensions)
    if request_id:
        headers.setdefault(REQUEST_ID_HEADER, request_id)
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
