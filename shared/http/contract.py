"""``EndpointContract``: everything one HTTP function promises, declared once.

Parsing, authentication, idempotency, error rendering and the OpenAPI document all read the same
contract, which ``Api`` builds from the declaration and the handler's signature
(``shared/http/api.py``). Every contract of the app is recorded here, so the API description is
built without importing the function app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from shared.auth import Scope
from shared.idempotency.config import IdempotencyConfig

CONTRACT_ATTRIBUTE = "__api_contract__"


@dataclass(frozen=True)
class EndpointContract:
    """What an HTTP function accepts and answers."""

    name: str
    route: str
    methods: tuple[str, ...]
    summary: str
    request: type[BaseModel] | None = None  # the JSON (or form) body
    response: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    request_media_type: str = "application/json"
    response_media_type: str = "application/json"
    idempotency: IdempotencyConfig | None = None  # None: not idempotent (reads)
    scope: Scope | None = None  # needed by the caller; None: any authenticated caller
    also: tuple[tuple[int, type[BaseModel]], ...] = ()  # other success answers (e.g. 202 + job)
    # Other media types the success answer may have: a stream ("stream": true), another format.
    also_media_types: tuple[str, ...] = ()
    public: bool = False  # no credentials needed (health checks, the API description)
    streamed_body: bool = False  # the handler reads the body as it arrives (uploads)
    body_limit: Callable[[], int] | None = None  # bytes, read per request; None: MAX_REQUEST_BYTES
    openai_errors: bool = False  # errors in OpenAI's shape (routes under v1/)
    auth_level: str = "anonymous"  # the host's key check; the app authenticates by itself
    # Route parameters the handler converts itself (``uuid.UUID``, ``int``; a value that does not
    # convert is the app's 404), by name: the document types them as the route constraint would.
    route_types: tuple[tuple[str, type], ...] = ()

    @property
    def idempotent(self) -> bool:
        """Whether ``Idempotency-Key`` is honoured."""
        return self.idempotency is not None


_CONTRACTS: list[EndpointContract] = []


def record(contract: EndpointContract) -> None:
    """Remember ``contract`` for the API description."""
    _CONTRACTS.append(contract)


def registered_contracts() -> tuple[EndpointContract, ...]:
    """Every contract declared in this process, in declaration order."""
    return tuple(_CONTRACTS)


def contract_of(function: Callable[..., Any]) -> EndpointContract | None:
    """The contract of an HTTP function built by ``Api`` (or of a function wrapping one)."""
    target: Any = function
    while target is not None:
        if isinstance(contract := getattr(target, CONTRACT_ATTRIBUTE, None), EndpointContract):
            return contract
        target = getattr(target, "__wrapped__", None)
    return None
