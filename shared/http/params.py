"""What a handler asks for, read from its signature, and how each argument is produced.

A handler names what it needs, FastAPI-style, and gets it validated and typed:

- ``body: SomeModel``: the JSON body validated against the model (413, 415, 400, 422);
- ``query: SomeModel``: the query string validated against the model (400);
- ``caller: Principal``: the authenticated caller;
- ``request: Request``: the Starlette request itself (a body read as it arrives);
- ``call: HttpCall``: the server-neutral view of the request (headers, query, route values);
- ``idempotency_key: str | None``: the request's ``Idempotency-Key`` (already validated);
- any other name: the route parameter of that name, converted to its annotation (``str``,
  ``int``, ``uuid.UUID``: a value that does not convert is 404, as no such resource exists).
"""

from __future__ import annotations

import inspect
import sys
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request

from shared.auth import Principal
from shared.errors import NotFoundError
from shared.http.call import HttpCall
from shared.http.requests import parse_body, parse_query
from shared.idempotency.keys import request_key

SPECIAL = frozenset({"body", "query", "caller", "request", "call", "idempotency_key"})
CONVERTED: tuple[type, ...] = (uuid.UUID, int)  # route values converted by ``route_value``


@dataclass(frozen=True)
class Inputs:
    """Everything a handler argument can come from, for one request."""

    call: HttpCall
    request: Request
    caller: Principal | None


@dataclass(frozen=True)
class HandlerSignature:
    """The handler's parameters and what each is produced from."""

    parameters: tuple[tuple[str, Any], ...]  # (name, resolved annotation)
    body_model: type[BaseModel] | None
    query_model: type[BaseModel] | None
    response_model: type[BaseModel] | None
    is_async: bool

    def arguments(self, inputs: Inputs) -> dict[str, Any]:
        """The keyword arguments for one call; raises the 4xx a bad input deserves."""
        values: dict[str, Any] = {}
        for name, annotation in self.parameters:
            if name == "body":
                assert self.body_model is not None
                # The body was read within the endpoint's limit already (413 there).
                values[name] = parse_body(inputs.call, self.body_model, sys.maxsize)
            elif name == "query":
                assert self.query_model is not None
                values[name] = parse_query(inputs.call, self.query_model)
            elif name == "caller":
                values[name] = inputs.caller
            elif name == "request":
                values[name] = inputs.request
            elif name == "call":
                values[name] = inputs.call
            elif name == "idempotency_key":
                values[name] = request_key(inputs.call)
            else:
                values[name] = route_value(inputs.call.route_params.get(name, ""), annotation)
        return values

    def route_types(self) -> tuple[tuple[str, type], ...]:
        """The route parameters converted to something else than ``str``, with their type."""
        return tuple(
            (name, annotation)
            for name, annotation in self.parameters
            if name not in SPECIAL and annotation in CONVERTED
        )


def read_signature(handler: Callable[..., Any]) -> HandlerSignature:
    """Inspect ``handler`` once, at declaration time."""
    hints = typing.get_type_hints(handler)
    parameters = tuple(
        (name, hints.get(name, str)) for name in inspect.signature(handler).parameters
    )
    returned = hints.get("return")
    return HandlerSignature(
        parameters=parameters,
        body_model=_model(hints.get("body")),
        query_model=_model(hints.get("query")),
        response_model=_model(returned),
        is_async=inspect.iscoroutinefunction(handler),
    )


def route_names(signature: HandlerSignature) -> set[str]:
    """The parameters that come from the route."""
    return {name for name, _ in signature.parameters if name not in SPECIAL}


def route_value(raw: str, annotation: Any) -> Any:
    """A route value as the handler's annotation asks; 404 when it cannot be one."""
    if "\x00" in raw:  # no resource has NUL in its name (PostgreSQL cannot even store one)
        raise NotFoundError("no resource has the NUL character in its name")
    if annotation is uuid.UUID:
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise NotFoundError(f"no resource {raw[:64]!r}") from None
    if annotation is int:
        try:
            return int(raw)
        except ValueError:
            raise NotFoundError(f"no resource {raw[:64]!r}") from None
    return raw


def _model(annotation: Any) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    return None
