"""The peer for the console benchmark: the same built files from a plain static server, and a
minimal page, on Starlette + uvicorn.

``python -m bench._console_peer PORT DIST``. ``/api/console`` answers ``DIST/index.html`` and
``/api/console/...`` the files (Starlette's ``StaticFiles``, gzip on the fly by ``GZipMiddleware``):
the same page as the function app serves, without devhost, the endpoint layer or our caching
headers. ``/minimal`` is a page with the same sign-in form and no script at all: the floor of
"time until a person can type a key" in this browser on this machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

MINIMAL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>ML platform console</h1>
<form><label for="credential">API key or bearer token</label>
<input id="credential" type="password" autocomplete="off" required>
<button type="submit">Sign in</button></form></main></body></html>
"""


def build(dist: Path) -> Starlette:
    async def index(request: Request) -> FileResponse:
        return FileResponse(dist / "index.html")

    async def minimal(request: Request) -> HTMLResponse:
        return HTMLResponse(MINIMAL_PAGE)

    return Starlette(
        routes=[
            Route("/api/console", index),
            Route("/minimal", minimal),
            Mount("/api/console", StaticFiles(directory=dist)),
        ],
        middleware=[Middleware(GZipMiddleware, minimum_size=1024)],
    )


if __name__ == "__main__":
    uvicorn.run(
        build(Path(sys.argv[2])), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning"
    )
