"""``Api``: one feature's HTTP functions, each declared once.

A blueprint module creates one ``Api`` with the feature's defaults (tags, scope) and declares each
endpoint with one decorator on one typed function::

    api = Api(tags=("things",), scope=Scope.ML)
    bp = api.blueprint

    @api.post("things", "Create a thing", status=201, errors=(409,))
    def create_thing(body: ThingIn, caller: Principal) -> ThingOut: ...

From that declaration and the handler's signature (``shared/http/params.py``) come: the Azure
function registered on the blueprint (``async def <name>(req: Request) -> Response``, the binding
signature the worker expects in HTTP streams mode), authentication and the scope check, the
request id, reading and validating the input, idempotency (on by default for every method but
GET; ``idempotency=IdempotencyConfig(...)`` tunes it, ``idempotency=None`` turns it off), errors
in the client's shape, and the entry in the OpenAPI document.

A handler may be sync (it runs in a worker thread: CPU work never blocks the event loop) or async
(it runs on the event loop and must offload blocking work itself, ``executor.run_blocking``). It
returns a pydantic model (JSON with the declared status), ``Reply`` (another status or headers),
``None`` (no body), or any Starlette ``Response``: a ``StreamedResponse`` streams.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import AsyncIterable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import azure.functions as func
from pydantic import BaseModel
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse

from shared.auth import Principal, Scope, acting_as, authenticate, authorize
from shared.config import get_settings
from shared.errors import PlatformError
from shared.http.call import Headers, HttpCall, joined_query, request_id_of
from shared.http.contract import CONTRACT_ATTRIBUTE, EndpointContract, record
from shared.http.executor import run_blocking
from shared.http.params import HandlerSignature, Inputs, read_signature
from shared.http.problems import REQUEST_ID_HEADER, error_response, unexpected_error_response
from shared.http.responses import json_response
from shared.http.streams import StreamedResponse, read_body
from shared.http.web import Request
from shared.http.web import Response as ResponseType
from shared.idempotency.config import IdempotencyConfig
from shared.idempotency.guard import UNGUARDED, Guard
from shared.idempotency.handler import HttpIdempotencyHandler
from shared.idempotency.persistence.base import BasePersistenceLayer
from shared.log import log_context
from shared.telemetry.http import note_tenant, server_span

logger = logging.getLogger(__name__)

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])
DEFAULT = IdempotencyConfig()
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Reply:
    """A result with another status than the declared one, or extra headers."""

    body: BaseModel | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class Api:
    """A blueprint and the defaults its endpoints share (tags, scope, public)."""

    def __init__(
        self,
        *,
        tags: tuple[str, ...] = (),
        scope: Scope | None = None,
        public: bool = False,
        described: bool = True,
    ) -> None:
        """``described=False`` keeps the endpoints out of the app's API description (tests)."""
        self.blueprint = func.Blueprint()  # type: ignore[no-untyped-call]
        self.functions: dict[str, Callable[..., Any]] = {}  # the Azure functions, by name
        self.tags = tags
        self.scope = scope
        self.public = public
        self.described = described

    def get(self, route: str, summary: str, **options: Any) -> Callable[[HandlerT], HandlerT]:
        """Declare a GET endpoint (see ``route``)."""
        return self.route(route, summary, methods=("GET",), **options)

    def post(self, route: str, summary: str, **options: Any) -> Callable[[HandlerT], HandlerT]:
        """Declare a POST endpoint (see ``route``)."""
        return self.route(route, summary, methods=("POST",), **options)

    def put(self, route: str, summary: str, **options: Any) -> Callable[[HandlerT], HandlerT]:
        """Declare a PUT endpoint (see ``route``)."""
        return self.route(route, summary, methods=("PUT",), **options)

    def delete(self, route: str, summary: str, **options: Any) -> Callable[[HandlerT], HandlerT]:
        """Declare a DELETE endpoint (see ``route``)."""
        return self.route(route, summary, methods=("DELETE",), **options)

    def route(
        self,
        route: str,
        summary: str,
        *,
        methods: tuple[str, ...],
        status: int = 200,
        errors: tuple[int, ...] = (),
        tags: tuple[str, ...] | None = None,
        scope: Scope | object | None = ...,
        public: bool | None = None,
        idempotency: IdempotencyConfig | object | None = ...,
        request: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        request_media_type: str = "application/json",
        response_media_type: str = "application/json",
        also: tuple[tuple[int, type[BaseModel]], ...] = (),
        also_media_types: tuple[str, ...] = (),
        streamed_body: bool = False,
        body_limit: Callable[[], int] | None = None,
        name: str | None = None,
        host_key: bool = False,
        idempotency_store: BasePersistenceLayer | None = None,
    ) -> Callable[[HandlerT], HandlerT]:
        """Declare an endpoint. ``request``/``response`` override the models read from the
        handler's ``body`` parameter and return annotation (a form body, a binary answer);
        ``streamed_body``: the handler reads the body as it arrives (``request.stream()``);
        ``body_limit``: the body's limit in bytes, read per request (413 past it);
        ``also_media_types``: other media types of the success answer (``text/event-stream``);
        ``host_key``: the host also asks for a function key (``x-functions-key``) before the app
        authenticates the caller (off: one credential, the caller's);
        ``idempotency_store`` replaces the configured Redis layer (tests)."""

        def declare(handler: HandlerT) -> HandlerT:
            signature = read_signature(handler)
            reads_only = set(methods) <= _READS
            contract = EndpointContract(
                name=name or handler.__name__,
                route=route,
                methods=methods,
                summary=summary,
                request=request or signature.body_model,
                response=response or signature.response_model,
                query=signature.query_model,
                status=status,
                errors=errors,
                tags=self.tags if tags is None else tags,
                request_media_type=request_media_type,
                response_media_type=response_media_type,
                idempotency=(None if reads_only else DEFAULT)
                if idempotency is ...
                else idempotency,  # type: ignore[arg-type]
                scope=self.scope if scope is ... else scope,  # type: ignore[arg-type]
                also=also,
                also_media_types=also_media_types,
                public=self.public if public is None else public,
                streamed_body=streamed_body,
                body_limit=body_limit,
                openai_errors=route.startswith("v1/"),
                auth_level="function" if host_key else "anonymous",
                route_types=signature.route_types(),
            )
            function = _azure_function(handler, signature, contract, idempotency_store)
            self.functions[contract.name] = function
            level = func.AuthLevel.FUNCTION if host_key else func.AuthLevel.ANONYMOUS
            self.blueprint.route(route=route, methods=list(methods), auth_level=level)(function)
            if self.described:
                record(contract)
            return handler

        return declare


def _azure_function(
    handler: Callable[..., Any],
    signature: HandlerSignature,
    contract: EndpointContract,
    store: BasePersistenceLayer | None,
) -> Callable[..., Any]:
    """The function the worker calls: ``(req: Request) -> Response``, named like the handler."""
    idempotency = (
        HttpIdempotencyHandler(
            f"{handler.__module__}.{handler.__qualname__}", contract.idempotency, store
        )
        if contract.idempotency is not None
        else None
    )

    async def function(req: Request) -> Response:
        return await _Invocation(handler, signature, contract, idempotency, req).run()

    function.__name__ = contract.name
    function.__qualname__ = contract.name
    function.__module__ = handler.__module__
    function.__doc__ = handler.__doc__
    function.__annotations__ = {"req": Request, "return": ResponseType}
    function.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("req", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)],
        return_annotation=ResponseType,
    )
    setattr(function, CONTRACT_ATTRIBUTE, contract)
    return function


class _Invocation:
    """One request through one endpoint."""

    def __init__(
        self,
        handler: Callable[..., Any],
        signature: HandlerSignature,
        contract: EndpointContract,
        idempotency: HttpIdempotencyHandler | None,
        request: Request,
    ) -> None:
        self.handler = handler
        self.signature = signature
        self.contract = contract
        self.idempotency = idempotency
        self.request = request
        self.request_id = request_id_of(request.headers)
        self.path = request.url.path

    async def run(self) -> Response:
        fields = {
            "request_id": self.request_id,
            "function": self.contract.name,
            "error_shape": "openai" if self.contract.openai_errors else "problem",
        }
        span = server_span(
            self.request.method, self.contract.route, self.request.headers, self.request_id
        )
        with span as call, log_context(**fields):
            try:
                response = await self._authenticated()
            except ClientDisconnect:
                # The client went away while sending its body: nobody reads an answer. What the
                # request started was undone on the way out (key released, nothing committed).
                logger.info("%s %s: the client disconnected", self.request.method, self.path)
                call.status = 400
                return Response(status_code=400)
            except PlatformError as exc:
                logger.info("%s %s -> %d %s", self.request.method, self.path, exc.status, exc.title)
                response = error_response(
                    exc,
                    instance=self.path,
                    request_id=self.request_id,
                    openai_shape=self.contract.openai_errors,
                )
            except Exception:
                logger.exception("unhandled error in %s", self.contract.name)
                response = unexpected_error_response(
                    instance=self.path,
                    request_id=self.request_id,
                    openai_shape=self.contract.openai_errors,
                )
            if REQUEST_ID_HEADER not in response.headers:
                response.headers[REQUEST_ID_HEADER] = self.request_id
            call.answered(response)
            return response

    async def _authenticated(self) -> Response:
        headers = Headers(list(self.request.headers.items()))
        view = HttpCall(
            method=self.request.method,
            url=str(self.request.url),
            headers=headers,
            params=joined_query(self.request.query_params.multi_items()),
            route_params={k: str(v) for k, v in self.request.path_params.items()},
            body=None,
        )
        caller = None if self.contract.public else await run_blocking(self._caller, view)
        with _acting(caller):
            if not self.contract.streamed_body:
                limit = (self.contract.body_limit or _default_limit)()
                view = HttpCall(
                    view.method,
                    view.url,
                    view.headers,
                    view.params,
                    view.route_params,
                    body=await read_body(self.request, limit),
                )
            return await self._guarded(Inputs(view, self.request, caller))

    def _caller(self, view: HttpCall) -> Principal:
        principal = authenticate(view)
        if self.contract.scope is not None:
            authorize(principal, self.contract.scope)
        return principal

    async def _guarded(self, inputs: Inputs) -> Response:
        guard: Guard = UNGUARDED
        if self.idempotency is not None:
            guard = await run_blocking(self.idempotency.begin, inputs.call)
            if guard.response is not None:
                return guard.response
        try:
            response = _rendered(await self._handled(inputs), self.contract)
        except BaseException as exc:
            if self.idempotency is None or guard.claim is None:
                raise
            if (stored := await run_blocking(self.idempotency.fail, guard, exc)) is None:
                raise
            return stored
        if self.idempotency is None or guard.claim is None:
            return response
        return await run_blocking(self.idempotency.finish, guard, response)

    async def _handled(self, inputs: Inputs) -> Any:
        if self.signature.is_async:
            return await self.handler(**self.signature.arguments(inputs))
        return await run_blocking(lambda: self.handler(**self.signature.arguments(inputs)))


def _default_limit() -> int:
    return get_settings().max_request_bytes


def _rendered(result: Any, contract: EndpointContract) -> Response:
    """The handler's result as a response (see the module docstring)."""
    if isinstance(result, StreamingResponse) and not isinstance(result, StreamedResponse):
        body = cast(AsyncIterable[bytes], result.body_iterator)
        streamed = StreamedResponse(body, status_code=result.status_code)
        streamed.raw_headers = result.raw_headers
        return streamed
    if isinstance(result, Response):
        return result
    if isinstance(result, Reply):
        if result.body is None:
            return Response(status_code=result.status, headers=result.headers)
        return json_response(result.body, status=result.status, headers=result.headers)
    if result is None:
        return Response(status_code=contract.status)
    return json_response(result, status=contract.status)


@contextlib.contextmanager
def _acting(principal: Principal | None) -> Iterator[None]:
    """Make ``principal`` current, and name it (never its credential) in every log record."""
    if principal is None:
        yield
        return
    note_tenant(principal.owner)
    with (
        acting_as(principal),
        log_context(caller=principal.owner, credential=principal.credential_id or None),
    ):
        yield
