"""Calling user functions the way the Python worker does.

Contract: :meth:`Invoker.invoke` calls one function with its trigger value under the trigger's
parameter name (plus ``context`` when the function declares it), logs the host's
"Executing ..." / "Executed ..." lines, and returns the function's result or re-raises its
exception. Sync functions run in a shared thread pool sized like the worker's
(``PYTHON_THREADPOOL_THREAD_COUNT``, default ``min(32, cpu_count + 4)``); async functions run on
the event loop, so blocking code in them blocks devhost as it blocks the worker.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from azure.functions._abc import RetryContext, RpcException, TraceContext

from devhost.indexing import FunctionDescriptor

logger = logging.getLogger(__name__)

THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"


def thread_pool_size(environ: Mapping[str, str]) -> int | None:
    """Worker pool size from PYTHON_THREADPOOL_THREAD_COUNT; None means the Python default.

    The worker treats invalid values as unset (with a warning); so does devhost.
    """
    raw = environ.get(THREAD_COUNT_SETTING, "").strip()
    if not raw:
        return None
    if raw.isdigit() and int(raw) >= 1:
        return int(raw)
    logger.warning("Ignoring %s=%r: expected a positive integer", THREAD_COUNT_SETTING, raw)
    return None


class _TraceContext(TraceContext):
    def __init__(self, trace_parent: str, trace_state: str) -> None:
        self._trace_parent = trace_parent
        self._trace_state = trace_state

    @property
    def trace_parent(self) -> str:
        return self._trace_parent

    @property
    def trace_state(self) -> str:
        return self._trace_state

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _NoException(RpcException):
    @property
    def source(self) -> str:
        return ""

    @property
    def stack_trace(self) -> str:
        return ""

    @property
    def message(self) -> str:
        return ""


class _RetryContext(RetryContext):
    """No retry policy is configured: first and only attempt."""

    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> RpcException:
        return _NoException()


def new_trace_parent() -> str:
    """A fresh W3C ``traceparent`` value (version 00, sampled)."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


class InvocationContext(func.Context):
    """``func.Context`` for one invocation: a fresh uuid4 id, the function name and directory."""

    def __init__(
        self,
        function: FunctionDescriptor,
        *,
        trace_parent: str | None = None,
        trace_state: str = "",
    ) -> None:
        self._invocation_id = str(uuid.uuid4())
        self._function_name = function.name
        self._function_directory = str(function.directory)
        self._thread_local_storage = threading.local()
        self._trace_context = _TraceContext(trace_parent or new_trace_parent(), trace_state)
        self._retry_context = _RetryContext()

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> threading.local:  # type: ignore[override]
        return self._thread_local_storage

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> TraceContext:
        return self._trace_context

    @property
    def retry_context(self) -> RetryContext:
        return self._retry_context


class InvocationAbandoned(Exception):
    """Raised in place of a sync call that was withdrawn before a pool thread picked it up."""


@dataclass
class Invocation:
    """Progress of one call.

    ``started`` turns true when user code begins to run. A sync call still waiting for a pool
    thread can be withdrawn with :meth:`abandon_if_not_started` (used at shutdown); the lock
    makes "start" and "withdraw" mutually exclusive, so a withdrawn call never runs.
    """

    context: InvocationContext
    started: bool = False
    abandoned: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def claim_start(self) -> bool:
        """Mark the call as started unless it was withdrawn; True when it may run."""
        with self._lock:
            if self.abandoned:
                return False
            self.started = True
            return True

    def abandon_if_not_started(self) -> bool:
        """Withdraw the call if user code has not begun; True when withdrawn."""
        with self._lock:
            if self.started:
                return False
            self.abandoned = True
            return True


class Invoker:
    """Runs user functions; shared by the HTTP server and the queue listeners."""

    def __init__(self, pool_size: int | None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="devhost-fn")
        self._lock = threading.Lock()
        self._running_sync = 0

    @property
    def running_sync(self) -> int:
        """Sync functions currently executing in pool threads."""
        with self._lock:
            return self._running_sync

    async def invoke(
        self,
        function: FunctionDescriptor,
        trigger_value: Any,
        invocation: Invocation,
        reason: str,
    ) -> Any:
        """Call ``function``; returns its result or raises what it raised."""
        context = invocation.context
        kwargs: dict[str, Any] = {function.trigger_param: trigger_value}
        if function.pass_context:
            kwargs["context"] = context
        logger.info(
            "Executing 'Functions.%s' (Reason='%s', Id=%s)",
            function.name,
            reason,
            context.invocation_id,
        )
        began = time.perf_counter()
        outcome = "Failed"
        try:
            if function.is_async:
                if not invocation.claim_start():
                    raise InvocationAbandoned(context.invocation_id)
                result = await function.func(**kwargs)
            else:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(
                    self._pool, self._run_sync, function, kwargs, invocation
                )
            outcome = "Succeeded"
            return result
        except asyncio.CancelledError:
            outcome = "Cancelled"
            raise
        finally:
            logger.info(
                "Executed 'Functions.%s' (%s, Id=%s, Duration=%dms)",
                function.name,
                outcome,
                context.invocation_id,
                (time.perf_counter() - began) * 1000,
            )

    def _run_sync(
        self, function: FunctionDescriptor, kwargs: dict[str, Any], invocation: Invocation
    ) -> Any:
        if not invocation.claim_start():
            raise InvocationAbandoned(invocation.context.invocation_id)
        with self._lock:
            self._running_sync += 1
        # The worker sets this so that logging from user-created threads can be correlated.
        invocation.context.thread_local_storage.invocation_id = invocation.context.invocation_id
        try:
            return function.func(**kwargs)
        finally:
            with self._lock:
                self._running_sync -= 1

    def shutdown(self, *, wait: bool) -> None:
        """Stop the pool; queued calls that have not started are cancelled."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
