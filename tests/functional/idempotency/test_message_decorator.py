"""@idempotent_message on real queue handlers with real func.QueueMessage objects."""

from __future__ import annotations

import asyncio
import inspect
import json
import uuid

import azure.functions as func
import pytest

from shared.idempotency import (
    IdempotencyAlreadyInProgressError,
    IdempotencyKeyMissingError,
    idempotent_message,
)


def _message(body: bytes = b'{"order": "o-1"}', message_id: str | None = None) -> func.QueueMessage:
    return func.QueueMessage(id=message_id or str(uuid.uuid4()), body=body)


def test_duplicate_delivery_of_a_completed_message_is_acknowledged(persistence) -> None:
    # given a processed message
    seen: list[str] = []

    @idempotent_message(persistence=persistence, ttl_seconds=60)
    def work(msg: func.QueueMessage) -> None:
        seen.append(str(msg.id))

    message = _message()
    work(message)
    # when the host delivers it again / then it returns normally without running
    assert work(msg=message) is None
    assert seen == [message.id]
    assert list(inspect.signature(work).parameters) == ["msg"]
    assert getattr(work, "__idempotent__", False) is True


def test_failure_releases_the_message_so_the_retry_runs(persistence) -> None:
    # given a handler that fails on the first delivery
    attempts: list[int] = []

    @idempotent_message(persistence=persistence, ttl_seconds=60)
    def flaky(msg: func.QueueMessage) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("transient")

    message = _message()
    with pytest.raises(RuntimeError, match="transient"):
        flaky(message)
    # when the host retries / then it runs again, and a third delivery is a duplicate
    flaky(message)
    flaky(message)
    assert len(attempts) == 2


def test_key_field_makes_different_message_ids_duplicates(persistence) -> None:
    seen: list[str] = []
    order = f"order-{uuid.uuid4()}"

    @idempotent_message("order", persistence=persistence, ttl_seconds=60)
    def work(msg: func.QueueMessage) -> None:
        seen.append(str(msg.id))

    body = json.dumps({"order": order}).encode()
    work(_message(body))
    work(_message(body))  # another id, same order
    assert len(seen) == 1


def test_message_without_the_key_field_is_refused(persistence) -> None:
    @idempotent_message("order", persistence=persistence)
    def work(msg: func.QueueMessage) -> None:
        raise AssertionError("must not run")

    with pytest.raises(IdempotencyKeyMissingError):
        work(_message(b'{"other": 1}'))
    with pytest.raises(IdempotencyKeyMissingError):
        work(_message(b"not json"))


def test_delivery_while_another_is_in_progress_raises_for_a_host_retry(persistence) -> None:
    # given a handler that receives a second delivery of its message while running
    errors: list[IdempotencyAlreadyInProgressError] = []

    @idempotent_message(persistence=persistence, lease_seconds=3)
    def work(msg: func.QueueMessage) -> None:
        if not errors:
            try:
                work(msg)
            except IdempotencyAlreadyInProgressError as exc:
                errors.append(exc)

    work(_message())
    assert len(errors) == 1
    assert errors[0].status == 409


def test_async_queue_handler_acknowledges_duplicates(persistence) -> None:
    seen: list[str] = []

    @idempotent_message(persistence=persistence, ttl_seconds=60)
    async def work(msg: func.QueueMessage) -> None:
        await asyncio.sleep(0)
        seen.append(str(msg.id))

    message = _message()

    async def deliver_twice() -> None:
        await work(message)
        await work(message)

    asyncio.run(deliver_twice())
    assert seen == [message.id]
