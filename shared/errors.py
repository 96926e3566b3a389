"""The platform's exceptions. Each one knows the HTTP problem it becomes.

Every error a client can cause or must react to is a ``PlatformError`` subclass with a fixed status,
so HTTP glue never guesses a status code. ``shared/http/problems.py`` renders them as RFC 9457
``application/problem+json``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PlatformError(Exception):
    """Base class: an error with an HTTP status, a short title and a human-readable detail."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    type_uri: ClassVar[str] = "about:blank"

    def __init__(
        self,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


class BadRequestError(PlatformError):
    """The request is malformed (unparseable JSON, a bad header)."""

    status = 400
    title = "Bad Request"


class UnauthorizedError(PlatformError):
    """No valid credentials were presented."""

    status = 401
    title = "Unauthorized"


class ForbiddenError(PlatformError):
    """The credentials are valid but lack the needed permission."""

    status = 403
    title = "Forbidden"


class NotFoundError(PlatformError):
    """The resource does not exist, or belongs to someone else."""

    status = 404
    title = "Not Found"


class ConflictError(PlatformError):
    """The request conflicts with the current state (e.g. the same key is still in progress)."""

    status = 409
    title = "Conflict"


class PayloadTooLargeError(PlatformError):
    """The body exceeds the configured size limit."""

    status = 413
    title = "Content Too Large"


class UnsupportedMediaTypeError(PlatformError):
    """The body's content type is not one this endpoint reads."""

    status = 415
    title = "Unsupported Media Type"


class RangeNotSatisfiableError(PlatformError):
    """The requested byte range lies outside the resource."""

    status = 416
    title = "Range Not Satisfiable"


class UnprocessableContentError(PlatformError):
    """The body parsed but its content is invalid."""

    status = 422
    title = "Unprocessable Content"


class RateLimitedError(PlatformError):
    """The caller exceeded a rate or concurrency limit; retry after the given delay."""

    status = 429
    title = "Too Many Requests"


class ServiceUnavailableError(PlatformError):
    """A backing service the request needs is down; retrying later may succeed. Always carries
    ``Retry-After`` (``DEFAULT_RETRY_AFTER`` seconds unless the raiser knows better): a 503
    without it leaves clients guessing (the soak found the speech rate limit's without one)."""

    status = 503
    title = "Service Unavailable"
    DEFAULT_RETRY_AFTER: ClassVar[str] = "5"

    def __init__(
        self, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail, headers=headers, **extensions)
        if not any(name.lower() == "retry-after" for name in self.headers):
            self.headers = {**self.headers, "Retry-After": self.DEFAULT_RETRY_AFTER}
