"""HTTP helpers for every blueprint: JSON and problem+json responses, validation, ``@endpoint``."""

from shared.http.endpoint import EndpointContract, contract_of, endpoint
from shared.http.problems import PROBLEM_JSON, REQUEST_ID_HEADER, error_response, problem_response
from shared.http.requests import (
    body_bytes,
    content_type_of,
    parse_body,
    parse_query,
    read_json,
    request_id_of,
    validate,
)
from shared.http.responses import json_body, json_response

__all__ = [
    "PROBLEM_JSON",
    "REQUEST_ID_HEADER",
    "EndpointContract",
    "body_bytes",
    "content_type_of",
    "contract_of",
    "endpoint",
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
