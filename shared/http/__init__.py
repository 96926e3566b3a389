"""HTTP for every blueprint: one declaration per endpoint (``api.Api``), request parsing and
validation, responses, problem+json / OpenAI errors and streamed bodies.

This package's ``__init__`` stays free of the auth and idempotency imports so that those packages
can use the request view (``call.HttpCall``) without an import cycle; ``shared.http.api`` ties
them together.
"""

from shared.http.call import HttpCall, request_id_of
from shared.http.problems import PROBLEM_JSON, REQUEST_ID_HEADER, error_response, problem_response
from shared.http.requests import (
    body_bytes,
    content_type_of,
    parse_body,
    parse_query,
    read_json,
    validate,
)
from shared.http.responses import json_body, json_response

__all__ = [
    "PROBLEM_JSON",
    "REQUEST_ID_HEADER",
    "HttpCall",
    "body_bytes",
    "content_type_of",
    "error_response",
    "json_body",
    "json_response",
    "parse_body",
    "parse_query",
    "problem_response",
    "read_json",
    "request_id_of",
    "validate",
]
