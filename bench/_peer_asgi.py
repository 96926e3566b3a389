"""The peer for HTTP latency: the same health answer from a bare Starlette app on uvicorn.

``python -m bench._peer_asgi PORT``. It is the floor any Python ASGI host pays; devhost adds
route matching, key checks, HttpRequest/HttpResponse conversion and the handler's wrapper.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "version": "0.1.0"})


app = Starlette(routes=[Route("/api/health", health)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
