"""Declaring test endpoints through the platform's own ``Api`` and calling them in-process.

``declare`` turns a test handler into an endpoint (so it gets the same parsing, authentication,
idempotency and error rendering as the app's endpoints); calls go through
``devhost.inprocess.send``, as the host would make them in HTTP streams mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from devhost.inprocess import URL, ClientRequest, Sent, send
from shared.http.api import Api

__all__ = ["URL", "Endpoint", "Sent", "TestRequest", "declare", "send"]

TestRequest = ClientRequest  # what a test client sends
TestRequest.__test__ = False  # type: ignore[attr-defined]  # not a pytest test class


class Endpoint:
    """A declared test endpoint, callable synchronously with a ``TestRequest``."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, request: TestRequest) -> Sent:
        return asyncio.run(send(self.function, request))

    async def send(self, request: TestRequest) -> Sent:
        return await send(self.function, request)


def declare(
    handler: Callable[..., Any],
    *,
    route: str = "things",
    methods: tuple[str, ...] = ("POST",),
    public: bool = True,
    **options: Any,
) -> Endpoint:
    """``handler`` declared as an endpoint of a fresh ``Api`` (public unless told otherwise)."""
    api = Api(tags=("tests",), public=public, described=False)
    api.route(route, handler.__name__, methods=methods, **options)(handler)
    return Endpoint(api.functions[handler.__name__])
