"""Who is calling, once authenticated: a ``Principal`` and the per-request context that holds it.

A principal is a user of a tenant with a set of scopes. Its ``owner`` id (``<tenant>/<user>``)
is what every feature stores with the rows, blobs, jobs and cache entries it creates, so two
tenants (or two users of one tenant) never see each other's data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

from shared.errors import UnauthorizedError


class Scope(StrEnum):
    """What a credential may do. A function declares the one scope it needs (``@endpoint``)."""

    VOICE = "voice"  # speech-to-text, text-to-speech, voices, voice samples
    CHAT = "chat"  # chat, sessions, documents, reasoning, OpenAI-style chat completions
    ML = "ml"  # classical ML, embeddings, rerank, classification, vectors, the AI core
    PREDICT = "predict"  # the trading decision endpoint
    FILES = "files"  # media uploads, collections, extraction, documents read aloud
    ADMIN = "admin"  # issuing, listing and revoking the tenant's API keys


class AuthMethod(StrEnum):
    API_KEY = "api_key"
    JWT = "jwt"


# A tenant id is part of every owner id and of Redis keys: keep it to a safe alphabet.
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_MAX_USER_CHARS = 256


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``credential_id`` is the API key id or the token's ``jti`` (may
    be empty); it is safe to log, unlike the credential itself."""

    tenant: str
    user: str
    scopes: frozenset[Scope]
    method: AuthMethod
    credential_id: str = ""

    @property
    def owner(self) -> str:
        """The id stored with everything this caller creates: ``<tenant>/<user>``."""
        return f"{self.tenant}/{self.user}"

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes


def checked_identity(tenant: object, user: object) -> tuple[str, str]:
    """``(tenant, user)`` when both are well formed, else 401 (a credential naming no valid
    caller is a bad credential, whatever signed it)."""
    if not isinstance(tenant, str) or not _TENANT.match(tenant):
        raise UnauthorizedError("the credential names no valid tenant")
    if (
        not isinstance(user, str)
        or not user.strip()
        or len(user) > _MAX_USER_CHARS
        or any(ord(c) < 32 or ord(c) == 127 for c in user)
    ):
        raise UnauthorizedError("the credential names no valid user")
    return tenant, user


def known_scopes(names: Iterable[str]) -> frozenset[Scope]:
    """The names that are scopes of this platform; others (another API's scopes) are ignored."""
    values = {scope.value for scope in Scope}
    return frozenset(Scope(name) for name in names if name in values)


_current: ContextVar[Principal | None] = ContextVar("principal", default=None)


def current_principal() -> Principal | None:
    """The principal of the request being handled (None outside an authenticated call)."""
    return _current.get()


def require_principal() -> Principal:
    """The current principal; 401 outside an authenticated call (a feature never acts for an
    unknown caller)."""
    principal = _current.get()
    if principal is None:
        raise UnauthorizedError("credentials are required")
    return principal


@contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    """Make ``principal`` the current caller for the duration of the block."""
    token = _current.set(principal)
    try:
        yield principal
    finally:
        _current.reset(token)
