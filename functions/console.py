"""``GET /api/console``: the web console, and its files under ``/api/console/...``.

Public like a login page: the HTML, scripts and styles hold no data and no secret. Everything
the console shows comes from API calls that carry the signed-in caller's credential.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from shared.console import console_bundle
from shared.console.assets import INDEX
from shared.console.responses import asset_response
from shared.errors import NotFoundError, ServiceUnavailableError
from shared.http.api import Api
from shared.http.call import HttpCall

api = Api(tags=("console",), public=True)
bp = api.blueprint


@api.get(
    "console",
    "The web console (HTML; its API calls authenticate)",
    response_media_type="text/html",
    errors=(503,),
)
def console_page(call: HttpCall) -> Response:
    if call.path.endswith("/"):  # the host routes ".../console/" here too
        return _to_page(call.path)
    bundle = console_bundle()
    asset = bundle.get(INDEX) if bundle is not None else None
    if asset is None:
        raise ServiceUnavailableError("the console is not built: run `make console`")
    return asset_response(asset, call.headers)


@api.get(
    "console/{*path}",
    "A file of the web console (content-hashed names, cached for a year)",
    response_media_type="application/octet-stream",
    errors=(404,),
)
def console_file(path: str, call: HttpCall) -> Response:
    if path in {"", INDEX}:
        return _to_page(call.path)
    bundle = console_bundle()
    asset = bundle.get(path) if bundle is not None else None
    if asset is None:
        raise NotFoundError(f"no console file named {path!r}")
    return asset_response(asset, call.headers)


def _to_page(path: str) -> Response:
    """Redirect to ``<prefix>/console`` itself: the page's ``<base href="console/">`` resolves
    its files against that URL, and would miss them from ``.../console/``."""
    return RedirectResponse(path.rstrip("/").removesuffix(f"/{INDEX}"), status_code=308)
