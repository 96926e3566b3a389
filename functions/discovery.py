"""``GET /api/openapi.json``: the OpenAPI document of every HTTP function in the app."""

from __future__ import annotations

import functools
from typing import Any

import azure.functions as func

from shared import __version__
from shared.hostconfig import route_prefix
from shared.http import endpoint, json_response
from shared.openapi import build_openapi, operations_from_functions

bp = func.Blueprint()  # type: ignore[no-untyped-call]


def _indexed_functions() -> list[Any]:
    # Imported at call time: the app module imports this blueprint. The worker has already called
    # app.get_functions(), which refuses a second call (it re-checks name uniqueness against its
    # own record), so each registered builder is built directly; building is repeatable.
    from function_app import app

    return [builder.build(app.auth_level) for builder in app._function_builders]


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The document, built once per process from the function index."""
    return build_openapi(
        operations_from_functions(_indexed_functions()),
        title="ML service platform",
        version=__version__,
        route_prefix=route_prefix(),
    )


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@endpoint("OpenAPI 3.1 document", tags=("discovery",), public=True)
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(openapi_document())
