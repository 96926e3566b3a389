"""The app's API description as the running app serves it, for tests that enumerate endpoints."""

from __future__ import annotations

from typing import Any


def app_document() -> dict[str, Any]:
    """``GET /api/openapi.json`` of the app, built in this process.

    The description lists what the blueprints declared, so the app module (which imports every
    blueprint, as the worker does at indexing) is imported first.
    """
    import function_app  # noqa: F401 - declares every endpoint
    from functions.discovery import openapi_document

    return openapi_document()
