"""The OpenAPI 3.1 document, built from every endpoint's declared contract.

Nothing here is written by hand per endpoint: a feature adds itself to the document by declaring
the endpoint (``shared.http.api.Api``); its models, statuses, scope and idempotency come from that
one declaration.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

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

# What a handler converts a route value to, as the constraint that would check it in the host.
_CONVERTED_TYPES: dict[type | None, str] = {uuid.UUID: "guid", int: "long"}
_REF_TEMPLATE = "#/components/schemas/{model}"

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


SSE = "text/event-stream"
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "one Server-Sent Event (data: JSON text)",
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}


def openapi_path(
    route: str, route_prefix: str, types: Mapping[str, type] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The OpenAPI path for a host route template, and its path parameters: typed by the
    template's constraint, else by ``types`` (what the handler converts the value to)."""
    parameters: list[dict[str, Any]] = []

    def replace(match: re.Match[str]) -> str:
        catch_all, name, optional, constraint = match.groups()
        kind = (constraint or "").split("(", 1)[0].lower() or _CONVERTED_TYPES.get(
            (types or {}).get(name), ""
        )
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
    """Every model of the contracts in ``components.schemas``, each under a name of its own.

    All models are generated together, so two models that share a class name (a ``SpeechRequest``
    of two features) get distinct, module-qualified components instead of one replacing the other.
    A query model becomes parameters, not a component.
    """

    def __init__(self, contracts: Iterable[EndpointContract]) -> None:
        contracts = list(contracts)
        bodies = [m for c in contracts for m in (c.request, c.response, *(m for _, m in c.also))]
        queries = [c.query for c in contracts]
        models = list(dict.fromkeys(m for m in (*bodies, *queries) if m is not None))
        refs, top = models_json_schema(
            [(model, "validation") for model in models], ref_template=_REF_TEMPLATE
        )
        self.components: dict[str, Any] = {
            "Problem": PROBLEM_SCHEMA,
            "OpenAIError": OPENAI_ERROR_SCHEMA,
            **top.get("$defs", {}),
        }
        self._refs = {model: refs[(model, "validation")]["$ref"] for model in models}
        self._queries = {
            model: self.components.pop(self._component(model))
            for model in dict.fromkeys(queries)
            if model is not None and model not in bodies
        }

    def _component(self, model: type[BaseModel]) -> str:
        return str(self._refs[model]).removeprefix(_REF_TEMPLATE.format(model=""))

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": self._refs[model]}

    def query_parameters(self, model: type[BaseModel]) -> list[dict[str, Any]]:
        schema = self._queries.get(model) or self.components[self._component(model)]
        required = set(schema.get("required", []))
        return [
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]


def _error_statuses(contract: EndpointContract) -> set[int]:
    """Every error status the endpoint can answer: the declared ones, and those that the
    declaration implies (``shared.http.api``'s handling of every request)."""
    statuses = set(contract.errors)
    if not contract.public:
        # 503: the credential could not be checked (the key store or the JWKS is unreachable).
        statuses.update({401, 503})
    if contract.scope is not None:
        statuses.add(403)
    if not contract.streamed_body:
        statuses.add(413)  # any body, whatever the method, is read within the limit first
    if contract.request is not None:
        statuses.update({400, 413, 415, 422})
    if contract.route_types:
        statuses.add(404)  # a route value that does not convert names no resource
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
        content |= {
            media_type: {"schema": SSE_EVENT_SCHEMA if media_type == SSE else {"type": "string"}}
            for media_type in contract.also_media_types
        }
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
    ordered = sorted(contracts, key=lambda c: c.route)
    schemas = _Schemas(ordered)
    paths: dict[str, dict[str, Any]] = {}
    for contract in ordered:
        path, parameters = openapi_path(contract.route, route_prefix, dict(contract.route_types))
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
