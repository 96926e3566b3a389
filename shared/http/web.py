"""The HTTP types of Azure Functions' HTTP streams mode, imported in one place.

Importing ``azurefunctions.extensions.http.fastapi`` is what switches the Python worker to HTTP
streams: the worker serves HTTP itself (uvicorn) and the host forwards each request to it. Every
HTTP function of the app then takes a FastAPI/Starlette ``Request`` and returns a ``Response``;
the classic ``func.HttpRequest`` stops working in that app. Only one web extension may be imported
per app, so nothing else in the project imports another. The extension re-exports FastAPI's own
classes, which are imported from FastAPI here for their type information.
"""

from __future__ import annotations

import azurefunctions.extensions.http.fastapi  # noqa: F401 - turns HTTP streams mode on
from fastapi import Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

__all__ = ["JSONResponse", "Request", "Response", "StreamingResponse"]
