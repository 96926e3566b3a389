"""The worker threads that blocking work runs in, so that it never blocks the event loop.

Sized like the Python worker's pool (``PYTHON_THREADPOOL_THREAD_COUNT``, else
``min(32, cpu_count + 4)``). Each call runs in a copy of the caller's context: the authenticated
principal and the log fields travel with it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

ResultT = TypeVar("ResultT")

THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"


@functools.cache
def _executor() -> ThreadPoolExecutor:
    raw = os.environ.get(THREAD_COUNT_SETTING, "").strip()
    size = int(raw) if raw.isdigit() and int(raw) > 0 else min(32, (os.cpu_count() or 1) + 4)
    return ThreadPoolExecutor(max_workers=size, thread_name_prefix="http-work")


async def run_blocking(function: Callable[..., ResultT], *args: Any, **kwargs: Any) -> ResultT:
    """``function(*args, **kwargs)`` in a worker thread, in a copy of the current context."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(), call)
