"""Who is calling, as the id every feature stores with what the caller creates.

- ``current_owner()``: the authenticated principal's owner id (``<tenant>/<user>``, set by
  ``@endpoint`` from an API key or a JWT; see ``shared.auth``). Features use it for ownership of
  rows, files, jobs, sessions and rate limits. Outside an authenticated call it raises 401: a
  feature never acts for an unknown caller.
- ``caller_identity(req)``: the scope of ``@idempotent`` records. The principal's owner id when
  the call was authenticated; else (a function using ``@idempotent`` without ``@endpoint``) a
  non-secret hash of the first credential presented: the ``x-functions-key`` header, the ``code``
  query parameter, ``X-API-Key``, an ``Authorization: Bearer`` token (``key:<16 hex>``), else
  ``anonymous``. Two callers sending the same idempotency key never see each other's responses.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from shared.auth.principal import current_principal, require_principal

if TYPE_CHECKING:
    from shared.http.call import HttpCall

ANONYMOUS = "anonymous"


def current_owner() -> str:
    """The owner id of the authenticated caller; 401 when there is none."""
    return require_principal().owner


def caller_identity(req: HttpCall) -> str:
    """The idempotency scope of ``req``'s caller (see the module docstring)."""
    principal = current_principal()
    if principal is not None:
        return principal.owner
    credential = _presented_credential(req)
    if credential:
        return "key:" + hashlib.sha256(credential.encode()).hexdigest()[:16]
    return ANONYMOUS


def _presented_credential(req: HttpCall) -> str:
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
