"""``X-API-Key`` on top of the function key: compared in constant time with ML_SERVICE_API_KEY."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any, TypeVar, cast

import azure.functions as func

from shared.config import get_settings
from shared.errors import UnauthorizedError

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])
API_KEY_HEADER = "x-api-key"


def check_api_key(req: func.HttpRequest) -> None:
    """Raise 401 unless the request carries the configured API key."""
    presented = str(req.headers.get(API_KEY_HEADER, "")).encode()
    expected = get_settings().ml_service_api_key.get_secret_value().encode()
    if not presented or not hmac.compare_digest(presented, expected):
        raise UnauthorizedError(
            "a valid X-API-Key header is required", headers={"WWW-Authenticate": "ApiKey"}
        )


def api_key_required(handler: HandlerT) -> HandlerT:
    """Check the key before anything else runs (place it above ``@idempotent()``, so a refused
    call never touches the idempotency store)."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if isinstance(value, func.HttpRequest):
                check_api_key(value)
                break
        else:
            raise UnauthorizedError("a valid X-API-Key header is required")
        return handler(*args, **kwargs)

    return cast(HandlerT, wrapper)
