"""Every error the idempotency package raises, with one common base.

Each error is also a ``PlatformError`` with the HTTP status the client should see, so the HTTP
decorator renders it with ``shared.http.error_response`` (problem+json) and queue triggers raise it
to the host, which retries the message later.
"""

from __future__ import annotations

from typing import Any

from shared.errors import (
    BadRequestError,
    ConflictError,
    PlatformError,
    ServiceUnavailableError,
    UnprocessableContentError,
)


class IdempotencyError(PlatformError):
    """Base class of every idempotency error."""

    def __init__(self, detail: str, *args: Any, headers: dict[str, str] | None = None) -> None:
        # ``args`` carries the wrapped third-party error, as in ``XError("what failed", exc)``.
        super().__init__(detail, headers=headers)
        self.args = (detail, *args)


class IdempotencyKeyMissingError(IdempotencyError, BadRequestError):
    """The endpoint requires an ``Idempotency-Key`` header (or a message has no key); none came."""


class IdempotencyKeyInvalidError(IdempotencyError, BadRequestError):
    """The ``Idempotency-Key`` header is not a valid sf-string of 1 to 255 characters."""


class IdempotencyAlreadyInProgressError(IdempotencyError, ConflictError):
    """Another invocation holds the key's lease; retry after the ``Retry-After`` delay."""


class IdempotencyResponseNotReplayableError(IdempotencyError, ConflictError):
    """The key's first response was streamed and too large to keep: it cannot be replayed."""

    type_uri = "idempotency-response-not-replayable"


class IdempotencyKeyReusedError(IdempotencyError, UnprocessableContentError):
    """The key was used before with a different request (its fingerprint differs)."""


class IdempotencyStoreUnavailableError(IdempotencyError, ServiceUnavailableError):
    """Redis cannot be reached (connection refused, timeout, read-only replica)."""


class IdempotencyPersistenceError(IdempotencyError):
    """Redis answered with an error that retrying will not fix (permissions, bad script)."""


class IdempotencyConfigurationError(IdempotencyError):
    """The decorator was configured or applied in a way that cannot work."""
