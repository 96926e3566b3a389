"""``@idempotent_message`` (queue triggers): a thin wrapper.

HTTP endpoints get idempotency from their declaration (``shared.http.api.Api``: on by default for
every method but GET), which calls ``handler.HttpIdempotencyHandler`` around the handler.

The wrapper keeps the handler's exact signature (``functools.wraps``; the Functions worker binds
arguments by parameter name through ``inspect.signature``), adds no parameters, and has an
``async`` twin for coroutine handlers. In the async twin the Redis calls run in a worker thread
(``asyncio.to_thread``) so a Redis timeout never blocks the event loop of the Functions worker.

Placement: below ``@bp.queue_trigger``, directly above the handler.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

import azure.functions as func

from shared.idempotency.config import IdempotencyConfig, OnRedisError
from shared.idempotency.exceptions import IdempotencyConfigurationError
from shared.idempotency.message import DUPLICATE, MessageIdempotencyHandler
from shared.idempotency.persistence.base import BasePersistenceLayer

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])
MARKER = "__idempotent__"


def idempotent_message(
    key_field: str | None = None,
    *,
    on_redis_error: OnRedisError = "fail_closed",
    lease_seconds: float | None = None,
    ttl_seconds: float | None = None,
    persistence: BasePersistenceLayer | None = None,
) -> Callable[[HandlerT], HandlerT]:
    """Process each queue message key once: the message id, or the JSON body's ``key_field``.

    A duplicate of a completed message returns None without running the handler; see
    ``shared/idempotency/message.py`` for the full contract. Sets ``__idempotent__ = True``.
    """
    config = IdempotencyConfig(
        on_redis_error=on_redis_error, lease_seconds=lease_seconds, ttl_seconds=ttl_seconds
    )

    def decorate(handler: HandlerT) -> HandlerT:
        queue = MessageIdempotencyHandler(_function_name(handler), key_field, config, persistence)
        if inspect.iscoroutinefunction(handler):
            wrapper: Any = _async_message(queue, handler)
        else:
            wrapper = _sync_message(queue, handler)
        setattr(wrapper, MARKER, True)
        return cast(HandlerT, wrapper)

    return decorate


def _sync_message(
    queue: MessageIdempotencyHandler, handler: Callable[..., Any]
) -> Callable[..., Any]:
    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        guard = queue.begin(_find(func.QueueMessage, args, kwargs))
        if guard is DUPLICATE:
            return None
        try:
            result = handler(*args, **kwargs)
        except BaseException:
            queue.fail(guard)
            raise
        queue.finish(guard)
        return result

    return wrapper


def _async_message(
    queue: MessageIdempotencyHandler, handler: Callable[..., Any]
) -> Callable[..., Any]:
    coroutine = cast(Callable[..., Awaitable[Any]], handler)

    @functools.wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        guard = await asyncio.to_thread(queue.begin, _find(func.QueueMessage, args, kwargs))
        if guard is DUPLICATE:
            return None
        try:
            result = await coroutine(*args, **kwargs)
        except BaseException:
            if guard.claim is not None:
                await asyncio.to_thread(queue.fail, guard)
            raise
        if guard.claim is not None:
            await asyncio.to_thread(queue.finish, guard)
        return result

    return wrapper


def _function_name(handler: Callable[..., Any]) -> str:
    # Part of every key's scope: the same key sent to two functions never collides.
    return f"{handler.__module__}.{handler.__qualname__}"


def _find(kind: type[Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    for value in (*args, *kwargs.values()):
        if isinstance(value, kind):
            return value
    raise IdempotencyConfigurationError(
        f"the decorated function received no azure.functions.{kind.__name__} argument"
    )
