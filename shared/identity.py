"""Who is calling: a stable, non-secret identifier derived from the request's credentials.

Contract of ``caller_identity`` (a pure function; security issue 11 will replace it):

- ``principal:<id>`` from ``x-ms-client-principal-id`` (set by App Service authentication, which
  strips any value a client sends itself);
- else ``key:<first 16 hex of sha256(credential)>`` for the first credential presented, in order:
  the ``x-functions-key`` header, the ``code`` query parameter, the ``X-API-Key`` header, an
  ``Authorization: Bearer`` token. Only a hash prefix is kept: the id can be logged and stored;
- else ``anonymous``.

It identifies; it does not authenticate. Callers use it to keep per-client state apart (e.g. two
clients sending the same idempotency key never see each other's responses).
"""

from __future__ import annotations

import hashlib

import azure.functions as func

ANONYMOUS = "anonymous"
PRINCIPAL_HEADER = "x-ms-client-principal-id"


def caller_identity(req: func.HttpRequest) -> str:
    """``principal:<id>``, ``key:<16 hex>`` or ``anonymous`` (see the module docstring)."""
    principal = req.headers.get(PRINCIPAL_HEADER, "").strip()
    if principal:
        return f"principal:{principal}"
    credential = _presented_credential(req)
    if credential:
        return "key:" + hashlib.sha256(credential.encode()).hexdigest()[:16]
    return ANONYMOUS


def _presented_credential(req: func.HttpRequest) -> str:
    headers = req.headers
    for candidate in (
        headers.get("x-functions-key", ""),
        req.params.get("code", ""),
        headers.get("x-api-key", ""),
        _bearer_token(headers.get("authorization", "")),
    ):
        if candidate := candidate.strip():
            return candidate
    return ""


def _bearer_token(authorization: str) -> str:
    scheme, _, token = authorization.strip().partition(" ")
    return token if scheme.lower() == "bearer" else ""
