"""The OpenAPI 3.1 document, built from every endpoint's declared contract.

Nothing here is written by hand per endpoint: a feature adds itself to the document by declaring
the endpoint (``shared.http.api.Api``); its models, statuses, scope and idempotency come from that
one declaration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

from shared.http.contract import EndpointContract
from shared.http.problems import PROBLEM_JSON

# {name}, {name?}, {*name}, {name:int}, {name:regex(...)}: the host's route parameter syntax.
_PARAMETER = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(\?)?(?::([^}]*))?\}")
_CONSTRAINT_TYPES = {
    "int": {"type": "integer", "format": "int32"},
    "long": {"type": "integer", "format": "int64"},
    "double": {"type": "number"},
    "float": {"type": "number"},
    "decimal": {"type": "number"},
    "bool": {"type": "boolean"},
    "guid": {"type": "string", "format": "uuid"},
    "alpha": {"type": "string", "pattern": "^[A-Za-z]+$"},
    "datetime": {"type": "string", "format": "date-time"},
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status", "detail"],
}


def openapi_path(route: str, route_prefix: str) -> tuple[str, list[dict[str, Any]]]:
    """The OpenAPI path for a host route template, and its path parameters."""
    parameters: list[dict[str, Any]] = []

    def replace(match: re.Match[str]) -> str:
        catch_all, name, optional, constraint = match.groups()
        kind = (constraint or "").split("(", 1)[0].lower()
        parameter: dict[str, Any] = {
            "name": name,
            "in": "path",
            "required": True,  # OpenAPI has no optional path parameters
            "schema": dict(_CONSTRAINT_TYPES.get(kind, {"type": "string"})),
        }
        if optional or catch_all:
            parameter["description"] = (
                "may be omitted (the route also matches without it)"
                if optional
                else "the rest of the path"
            )
        parameters.append(parameter)
        return "{" + name + "}"

    path = _PARAMETER.sub(replace, route.strip("/"))
    prefix = route_prefix.strip("/")
    return "/" + "/".join(part for part in (prefix, path) if part), parameters


class _Schemas:
    """Collects model schemas into ``components.schemas`` and hands out ``$ref``s."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {
            "Problem": PROBLEM_SCHEMA,
            "OpenAIError": OPENAI_ERROR_SCHEMA,
        }

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        self.components.update(schema.pop("$defs", {}))
        self.components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def query_parameters(self, model: type[BaseModel]) -> list[dict[str, Any]]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        self.components.update(schema.pop("$defs", {}))
        required = set(schema.get("required", []))
        return [
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]


OPENAI_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "OpenAI's error object (routes under /v1)",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
            "required": ["message", "type"],
        }
    },
    "required": ["error"],
}


def _error_statuses(contract: EndpointContract) -> set[int]:
    statuses = set(contract.errors)
    if not contract.public:
        statuses.add(401)
    if contract.scope is not None:
        statuses.add(403)
    if contract.request is not None:
        statuses.update({400, 413, 415, 422})
    if contract.idempotent:
        statuses.update({400, 409, 422, 503})
    if not contract.public or contract.request is not None or contract.query is not None:
        statuses.add(400)  # an unreadable body, query or header
    return statuses


def _operation_object(
    contract: EndpointContract, method: str, schemas: _Schemas, parameters: list[dict[str, Any]]
) -> dict[str, Any]:
    success = contract.status
    content: dict[str, Any] = {}
    if contract.response is not None:
        content = {contract.response_media_type: {"schema": schemas.ref(contract.response)}}
    responses: dict[str, Any] = {
        str(success): {
            "description": HTTPStatus(success).phrase,
            **({"content": content} if content else {}),
        }
    }
    for status, model in contract.also:
        responses[str(status)] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"schema": schemas.ref(model)}},
        }
    error_content = (
        {"application/json": {"schema": {"$ref": "#/components/schemas/OpenAIError"}}}
        if contract.openai_errors
        else {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    )
    for status in sorted(_error_statuses(contract)):
        responses[str(status)] = {
            "description": HTTPStatus(status).phrase,
            "content": error_content,
        }
    item: dict[str, Any] = {
        "operationId": contract.name if len(contract.methods) == 1 else f"{contract.name}_{method}",
        "summary": contract.summary,
        "responses": responses,
    }
    if contract.tags:
        item["tags"] = list(contract.tags)
    params = list(parameters)
    if contract.query is not None:
        params += schemas.query_parameters(contract.query)
    if contract.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "a unique sf-string; a retry with the same key replays the response",
                "schema": {"type": "string", "maxLength": 255},
            }
        )
    if params:
        item["parameters"] = params
    if contract.request is not None and method in {"POST", "PUT", "PATCH"}:
        item["requestBody"] = {
            "required": True,
            "content": {contract.request_media_type: {"schema": schemas.ref(contract.request)}},
        }
    item["security"] = _security(contract.auth_level, contract)
    return item


def _security(auth_level: str, contract: EndpointContract) -> list[dict[str, list[str]]]:
    """Alternatives, each a set of schemes that must all be present: the host's function key
    (unless anonymous) and the caller's credential (unless public), which names its scope."""
    host = [] if auth_level == "anonymous" else ["functionKey", "functionKeyQuery"]
    scopes = [contract.scope.value] if contract.scope else []
    caller = [] if contract.public else ["bearer", "apiKey"]
    if not host and not caller:
        return []
    return [
        {**({h: []} if h else {}), **({c: scopes} if c else {})}
        for h in host or [""]
        for c in caller or [""]
    ]


def build_openapi(
    contracts: Iterable[EndpointContract],
    *,
    title: str,
    version: str,
    route_prefix: str = "api",
) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for ``contracts``."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for contract in sorted(contracts, key=lambda c: c.route):
        path, parameters = openapi_path(contract.route, route_prefix)
        for method in contract.methods:
            paths.setdefault(path, {})[method.lower()] = _operation_object(
                contract, method, schemas, parameters
            )
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key"},
                "functionKeyQuery": {"type": "apiKey", "in": "query", "name": "code"},
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an issued API key (mlp_...) or a JWT",
                },
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
