"""``GET /api/openapi.json``: the OpenAPI document of every HTTP function in the app."""

from __future__ import annotations

import functools
from typing import Any

from shared import __version__
from shared.hostconfig import route_prefix
from shared.http.api import Api
from shared.http.contract import registered_contracts
from shared.openapi import build_openapi

api = Api(tags=("discovery",), public=True)
bp = api.blueprint


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The document, built once per process from every declared endpoint."""
    return build_openapi(
        registered_contracts(),
        title="ML service platform",
        version=__version__,
        route_prefix=route_prefix(),
    )


@api.get("openapi.json", "OpenAPI 3.1 document")
def openapi() -> dict[str, Any]:
    return openapi_document()
