"""``@endpoint``: the wrapper every HTTP function shares.

It authenticates the caller (``shared.auth``: 401 without valid credentials, 403 without the
function's ``scope``; only ``public=True`` health and discovery functions skip it) and makes the
principal current for the handler (``shared.identity.current_owner``), gives each request an id
(echoed in ``X-Request-Id`` and bound to every log record), turns ``PlatformError`` into
problem+json, turns anything unexpected into a logged 500 problem without
internals, and records the endpoint's contract (models, statuses) for the OpenAPI document.

Place it directly below the blueprint's ``@bp.route`` and above ``@idempotent``::

    @bp.route(route="things", methods=["POST"])
    @endpoint("Create a thing", request=ThingIn, response=ThingOut, status=201, scope=Scope.ML)
    @idempotent()
    def create_thing(req: func.HttpRequest) -> func.HttpResponse: ...

The wrapper keeps the handler's exact signature (the worker binds arguments by parameter name).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import azure.functions as func
from pydantic import BaseModel

from shared.auth import Principal, Scope, acting_as, authenticate, authorize
from shared.errors import PlatformError
from shared.http.problems import REQUEST_ID_HEADER, error_response, problem_response
from shared.http.requests import request_id_of
from shared.log import log_context

logger = logging.getLogger(__name__)

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

CONTRACT_ATTRIBUTE = "__api_contract__"


@dataclass(frozen=True)
class EndpointContract:
    """What an HTTP function accepts and answers; the OpenAPI document is built from it."""

    summary: str
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    request_media_type: str = "application/json"
    response_media_type: str = "application/json"
    idempotent: bool = False
    scope: Scope | None = None  # needed by the caller; None: any authenticated caller
    also: tuple[tuple[int, type[BaseModel]], ...] = ()  # other success answers (e.g. 202 + job)
    public: bool = False  # no credentials needed (health checks, the API description)


def contract_of(handler: Callable[..., Any]) -> EndpointContract | None:
    """The contract declared with ``@endpoint`` on ``handler`` (or on a function it wraps)."""
    target: Any = handler
    while target is not None:
        if isinstance(contract := getattr(target, CONTRACT_ATTRIBUTE, None), EndpointContract):
            return contract
        target = getattr(target, "__wrapped__", None)
    return None


def _find(kind: type[Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    for value in (*args, *kwargs.values()):
        if isinstance(value, kind):
            return value
    return None


class _Invocation:
    """Per-call state: request id, log context, error mapping."""

    def __init__(self, function_name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]):
        self.request: func.HttpRequest | None = _find(func.HttpRequest, args, kwargs)
        context: func.Context | None = _find(func.Context, args, kwargs)
        self.request_id = request_id_of(self.request) if self.request else None
        self.fields = {
            "request_id": self.request_id,
            "invocation_id": context.invocation_id if context else None,
            "function": function_name,
        }

    def caller(self, contract: EndpointContract) -> Principal | None:
        """The authenticated caller (None for a public function); raises 401 or 403."""
        if contract.public:
            return None
        if self.request is None:
            raise PlatformError("an HTTP function was called without its request")
        principal = authenticate(self.request)
        if contract.scope is not None:
            authorize(principal, contract.scope)
        return principal

    def on_error(self, exc: BaseException) -> func.HttpResponse:
        instance = _path_of(self.request)
        if isinstance(exc, PlatformError):
            logger.info("%s %s -> %d %s", _method_of(self.request), instance, exc.status, exc.title)
            return error_response(exc, instance=instance, request_id=self.request_id)
        logger.error("unhandled error in %s", self.fields["function"], exc_info=exc)
        return problem_response(
            500,
            "the server failed to handle the request; it has been logged",
            instance=instance,
            headers={REQUEST_ID_HEADER: self.request_id or ""},
            request_id=self.request_id,
        )

    def finish(self, response: func.HttpResponse) -> func.HttpResponse:
        if self.request_id and REQUEST_ID_HEADER not in response.headers:
            response.headers[REQUEST_ID_HEADER] = self.request_id
        return response


@contextlib.contextmanager
def _acting(principal: Principal | None) -> Iterator[None]:
    """Make ``principal`` current, and name it (never its credential) in every log record."""
    if principal is None:
        yield
        return
    with (
        acting_as(principal),
        log_context(caller=principal.owner, credential=principal.credential_id or None),
    ):
        yield


def _path_of(req: func.HttpRequest | None) -> str | None:
    if req is None:
        return None
    url = req.url
    start = url.find("/", url.find("://") + 3) if "://" in url else 0
    return url[start:].split("?", 1)[0] if start >= 0 else None


def _method_of(req: func.HttpRequest | None) -> str:
    return req.method if req is not None else "-"


def endpoint(
    summary: str,
    *,
    request: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
    request_media_type: str = "application/json",
    response_media_type: str = "application/json",
    scope: Scope | None = None,
    public: bool = False,
    also: tuple[tuple[int, type[BaseModel]], ...] = (),
) -> Callable[[HandlerT], HandlerT]:
    """Wrap an HTTP handler (sync or async) with authentication, request ids, logging context
    and problem+json. ``scope``: what the caller's credential must allow (None: any valid
    credential); ``public``: no credential at all (health checks only); ``also``: other success
    statuses with their bodies, for the API description."""

    def decorate(handler: HandlerT) -> HandlerT:
        contract = EndpointContract(
            summary=summary,
            request=request,
            response=response,
            query=query,
            status=status,
            errors=errors,
            tags=tags,
            request_media_type=request_media_type,
            response_media_type=response_media_type,
            idempotent=getattr(handler, "__idempotent__", False),
            scope=scope,
            public=public,
            also=also,
        )
        name = handler.__name__

        if inspect.iscoroutinefunction(handler):
            async_handler = cast(Callable[..., Awaitable[func.HttpResponse]], handler)

            @functools.wraps(handler)
            async def async_wrapper(*args: Any, **kwargs: Any) -> func.HttpResponse:
                call = _Invocation(name, args, kwargs)
                with log_context(**call.fields):
                    try:
                        # Key lookups may wait on Redis or PostgreSQL: off the event loop.
                        principal = await asyncio.to_thread(call.caller, contract)
                        with _acting(principal):
                            result = await async_handler(*args, **kwargs)
                    except Exception as exc:
                        result = call.on_error(exc)
                    return call.finish(result)

            wrapper: Any = async_wrapper
        else:

            @functools.wraps(handler)
            def sync_wrapper(*args: Any, **kwargs: Any) -> func.HttpResponse:
                call = _Invocation(name, args, kwargs)
                with log_context(**call.fields):
                    try:
                        with _acting(call.caller(contract)):
                            result = handler(*args, **kwargs)
                    except Exception as exc:
                        result = call.on_error(exc)
                    return call.finish(result)

            wrapper = sync_wrapper

        setattr(wrapper, CONTRACT_ATTRIBUTE, contract)
        return cast(HandlerT, wrapper)

    return decorate
