"""Queue-trigger listener with the Functions host's Azure Storage queue semantics.

Contract, per queue-triggered function (host.json ``extensions.queues`` in :class:`QueueOptions`):

* :meth:`QueueListener.prepare` creates the queue and its ``<queue>-poison`` queue if missing.
* :meth:`QueueListener.start` polls: it fetches up to ``batchSize`` messages, keeping them
  invisible for a lease (10 min, renewed at half-time while an invocation runs, as the host
  does), and fetches again once the number in flight drops to ``newBatchThreshold``. An empty
  queue is polled with exponential back-off from 100 ms up to ``maxPollingInterval``; any
  message resets it to fast polling.
* Each message is decoded (``messageEncoding`` base64 or none) and passed to the function as an
  ``azure.functions.QueueMessage`` (or ``str``/``bytes`` when so annotated). Success deletes
  it. Failure makes it visible again after ``visibilityTimeout``; a failure at
  ``dequeue_count >= maxDequeueCount`` (or a message already past it, or one that cannot be
  decoded) moves the original message text to ``<queue>-poison`` and deletes it.
* :meth:`QueueListener.stop` stops fetching, releases messages whose invocation has not begun,
  lets running invocations finish within the grace period and then makes every unfinished
  message visible again, so nothing is lost (delivery is at-least-once, as in the host).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.functions.queue import QueueMessage as FunctionQueueMessage
from azure.storage.queue import ExponentialRetry, QueueClient
from azure.storage.queue import QueueMessage as StorageMessage

from devhost.indexing import QueueFunction
from devhost.invocation import Invocation, InvocationContext, Invoker
from devhost.settings import QueueOptions

logger = logging.getLogger(__name__)

T = TypeVar("T")

MIN_POLLING_INTERVAL = 0.1
DEFAULT_LEASE_SECONDS = 600  # the host fetches with a 10-minute visibility timeout


class _Phase:
    WAITING = "waiting"  # fetched, invocation not begun
    RUNNING = "running"
    SETTLING = "settling"  # invocation over: deleting, releasing or poisoning


@dataclass
class _Delivery:
    """One fetched message and the lease devhost holds on it."""

    message: StorageMessage
    pop_receipt: str
    phase: str = _Phase.WAITING
    invocation: Invocation | None = None

    @property
    def dequeue_count(self) -> int:
        return int(self.message.dequeue_count or 0)


def decode_body(content: str, encoding: str) -> bytes:
    """Message text as stored in the queue -> body bytes; ValueError if not valid base64."""
    if encoding == "none":
        return content.encode("utf-8")
    try:
        return base64.b64decode("".join(content.split()), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"message is not valid base64: {exc}") from None


def connection_string_for(setting: str, environ: dict[str, str] | Any) -> str | None:
    """The storage connection string for a binding's ``connection`` setting name.

    Like the host, looks up the setting itself, then ``AzureWebJobs<setting>``.
    """
    value = environ.get(setting) or environ.get(f"AzureWebJobs{setting}")
    return str(value) if value else None


class QueueListener:
    """Polls one queue for one function; see the module docstring for the semantics."""

    def __init__(
        self,
        function: QueueFunction,
        options: QueueOptions,
        connection_string: str,
        invoker: Invoker,
        io_pool: Executor,
        *,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self._function = function
        self._options = options
        self._invoker = invoker
        self._io_pool = io_pool
        self._lease = max(lease_seconds, 1)
        self._queue = function.queue_name
        self._poison_name = f"{function.queue_name}-poison"
        # Short retries: a stopped Azurite should show up in the log in seconds, not minutes.
        client_options: dict[str, Any] = {
            "retry_policy": ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=2),
            "connection_timeout": 5,
            "read_timeout": 30,
        }
        self._client = QueueClient.from_connection_string(
            connection_string, self._queue, **client_options
        )
        self._poison = QueueClient.from_connection_string(
            connection_string, self._poison_name, **client_options
        )
        self._deliveries: dict[asyncio.Task[None], _Delivery] = {}
        self._stopping = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    @property
    def queue_name(self) -> str:
        """The queue this listener polls."""
        return self._queue

    async def _io(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._io_pool, call)

    async def prepare(self) -> None:
        """Create the queue and its poison queue when missing; raises AzureError if unreachable."""
        for client in (self._client, self._poison):
            with contextlib.suppress(ResourceExistsError):
                await self._io(client.create_queue)

    def start(self) -> None:
        """Begin polling in a background task."""
        self._poller = asyncio.create_task(self._poll(), name=f"poll {self._queue}")

    async def _poll(self) -> None:
        delay = MIN_POLLING_INTERVAL
        while not self._stopping.is_set():
            if len(self._deliveries) > self._options.new_batch_threshold:
                self._slot_free.clear()
                await _wait_any(self._slot_free, self._stopping)
                continue
            try:
                messages = await self._io(self._receive)
            except AzureError as exc:
                logger.warning("Polling queue '%s' failed: %s", self._queue, exc)
                messages = []
            if self._stopping.is_set():
                for message in messages:
                    await self._release(_Delivery(message, str(message.pop_receipt)), 0)
                return
            if messages:
                delay = MIN_POLLING_INTERVAL
                for message in messages:
                    self._spawn(message)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            delay = min(delay * 2, self._options.max_polling_interval)

    def _receive(self) -> list[StorageMessage]:
        try:
            return list(
                self._client.receive_messages(
                    messages_per_page=self._options.batch_size,
                    max_messages=self._options.batch_size,
                    visibility_timeout=self._lease,
                )
            )
        except ResourceNotFoundError:
            logger.warning("Queue '%s' does not exist (deleted while running?)", self._queue)
            return []

    def _spawn(self, message: StorageMessage) -> None:
        delivery = _Delivery(message, str(message.pop_receipt))
        task = asyncio.create_task(self._process(delivery), name=f"message {message.id}")
        self._deliveries[task] = delivery
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._deliveries.pop(task, None)
        self._slot_free.set()
        if not task.cancelled() and task.exception() is not None:
            logger.error("Message handling failed on '%s'", self._queue, exc_info=task.exception())

    async def _process(self, delivery: _Delivery) -> None:
        try:
            await self._handle(delivery)
        except asyncio.CancelledError:
            # Shut down before the invocation finished: hand the message back right away.
            if delivery.phase != _Phase.SETTLING:
                await self._release(delivery, 0)
            raise

    async def _handle(self, delivery: _Delivery) -> None:
        options = self._options
        if self._stopping.is_set():
            await self._release(delivery, 0)
            return
        if delivery.dequeue_count > options.max_dequeue_count:
            delivery.phase = _Phase.SETTLING
            await self._to_poison(delivery)
            return
        try:
            value = self._trigger_value(delivery)
        except ValueError as exc:
            logger.error("Message %s on '%s': %s", delivery.message.id, self._queue, exc)
            delivery.phase = _Phase.SETTLING
            await self._to_poison(delivery)
            return
        succeeded = await self._invoke(delivery, value)
        delivery.phase = _Phase.SETTLING
        if succeeded:
            await self._delete(delivery)
        elif delivery.dequeue_count >= options.max_dequeue_count:
            await self._to_poison(delivery)
        else:
            await self._release(delivery, int(options.visibility_timeout))

    def _trigger_value(self, delivery: _Delivery) -> Any:
        message = delivery.message
        body = decode_body(str(message.content or ""), self._options.message_encoding)
        if self._function.body_type == "bytes":
            return body
        if self._function.body_type == "str":
            return body.decode("utf-8", errors="replace")
        return FunctionQueueMessage(  # type: ignore[no-untyped-call]
            id=message.id,
            body=body,
            dequeue_count=delivery.dequeue_count,
            expiration_time=message.expires_on,
            insertion_time=message.inserted_on,
            time_next_visible=message.next_visible_on,
            pop_receipt=delivery.pop_receipt,
        )

    async def _invoke(self, delivery: _Delivery, value: Any) -> bool:
        """Run the function while keeping the message leased; True when it succeeded."""
        invocation = Invocation(InvocationContext(self._function))
        delivery.invocation = invocation
        delivery.phase = _Phase.RUNNING
        done = asyncio.Event()
        renewer = asyncio.create_task(self._keep_leased(delivery, done))
        reason = f"New queue message detected on '{self._queue}'."
        try:
            await self._invoker.invoke(self._function, value, invocation, reason)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception(
                "Function '%s' failed for message %s (dequeue count %d)",
                self._function.name,
                delivery.message.id,
                delivery.dequeue_count,
            )
            return False
        finally:
            done.set()
            # Let an in-flight renewal land so the pop receipt used next is the current one.
            await renewer
        return True

    async def _keep_leased(self, delivery: _Delivery, done: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=self._lease / 2)
            if done.is_set():
                return
            try:
                updated = await self._io(lambda: self._update(delivery, self._lease))
            except AzureError as exc:
                logger.warning(
                    "Renewing the lease of message %s failed: %s", delivery.message.id, exc
                )
                continue
            delivery.pop_receipt = str(updated.pop_receipt)

    def _update(self, delivery: _Delivery, visibility: int) -> StorageMessage:
        # Pass the id, not the message: with a message object the SDK rewrites the content too.
        return self._client.update_message(
            str(delivery.message.id), delivery.pop_receipt, visibility_timeout=visibility
        )

    async def _delete(self, delivery: _Delivery) -> None:
        try:
            await self._io(
                lambda: self._client.delete_message(str(delivery.message.id), delivery.pop_receipt)
            )
        except AzureError as exc:
            logger.warning("Deleting message %s failed: %s", delivery.message.id, exc)

    async def _release(self, delivery: _Delivery, visibility: int) -> None:
        try:
            await self._io(lambda: self._update(delivery, visibility))
        except AzureError as exc:
            logger.warning("Releasing message %s failed: %s", delivery.message.id, exc)

    async def _to_poison(self, delivery: _Delivery) -> None:
        message = delivery.message
        logger.warning(
            "Message %s has reached MaxDequeueCount of %d. Moving message to queue '%s'.",
            message.id,
            self._options.max_dequeue_count,
            self._poison_name,
        )
        try:
            # The stored text, untouched: same encoding as the original message.
            await self._io(lambda: self._poison.send_message(message.content))
        except AzureError as exc:
            logger.error("Moving message %s to '%s' failed: %s", message.id, self._poison_name, exc)
            await self._release(delivery, int(self._options.visibility_timeout))
            return
        await self._delete(delivery)

    def stop_fetching(self) -> None:
        """Fetch no more messages (a fetch already under way is handed back)."""
        self._stopping.set()

    async def stop(self, grace: float, force: asyncio.Event) -> None:
        """Stop fetching and settle every message; returns when none is held any more.

        Running invocations get ``grace`` seconds (less if ``force`` is set); messages whose
        invocation did not finish are made visible again.
        """
        self._stopping.set()
        if self._poller is not None:
            await self._poller
        # Sync calls still queued for a pool thread never start: give their messages back now.
        for task, delivery in list(self._deliveries.items()):
            if delivery.phase == _Phase.RUNNING and _abandon(delivery):
                task.cancel()
        if self._deliveries:
            logger.info(
                "Waiting up to %.0f s for %d invocation(s) of '%s'",
                grace,
                len(self._deliveries),
                self._function.name,
            )
            await _wait_tasks(set(self._deliveries), grace, force)
        for task, delivery in list(self._deliveries.items()):
            if delivery.phase != _Phase.SETTLING:
                logger.warning(
                    "Invocation for message %s did not finish in time: it will be redelivered",
                    delivery.message.id,
                )
                task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        self._client.close()
        self._poison.close()


async def _wait_tasks(tasks: set[asyncio.Task[None]], grace: float, force: asyncio.Event) -> None:
    """Wait until ``tasks`` are done, ``grace`` seconds have passed or ``force`` is set."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    forced = asyncio.create_task(force.wait())
    pending: set[asyncio.Task[Any]] = set(tasks)
    try:
        while pending and not force.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            done, _ = await asyncio.wait(
                pending | {forced}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            pending -= done
    finally:
        forced.cancel()


def _abandon(delivery: _Delivery) -> bool:
    """Withdraw a sync invocation still waiting for a pool thread; True if it was withdrawn."""
    invocation = delivery.invocation
    return invocation is not None and invocation.abandon_if_not_started()


async def _wait_any(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
