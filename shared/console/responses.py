"""HTTP answers for console files: content type, caching, conditional GET, gzip, and the
security headers the page runs under."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from shared.console.assets import Asset

# The page loads only its own files and talks only to its own API. Styles may be set inline
# (Preact and PDF.js set element styles from script); workers and media come from blob: URLs
# (PDF.js's worker, audio received as a Blob).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def asset_response(asset: Asset, request_headers: Mapping[str, str]) -> Response:
    """``asset`` for a GET with ``request_headers``: 304 when the client's copy is current,
    gzipped when the client accepts it and it pays."""
    headers = {
        "Cache-Control": asset.cache_control,
        "ETag": asset.etag,
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
    }
    if asset.content_type.startswith("text/html"):
        headers.update(_PAGE_HEADERS)
    if _matches(request_headers.get("if-none-match", ""), asset.etag):
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.compressible and _accepts_gzip(request_headers.get("accept-encoding", "")):
        body = asset.gzipped()
        headers["Content-Encoding"] = "gzip"
    return Response(body, status_code=200, headers=headers, media_type=asset.content_type)


def _matches(if_none_match: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def _accepts_gzip(accept_encoding: str) -> bool:
    for coding in accept_encoding.split(","):
        name, _, params = coding.strip().partition(";")
        if name.strip().lower() in {"gzip", "*"}:
            return params.replace(" ", "").lower() not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}
    return False
