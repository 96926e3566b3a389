"""Queue triggers against the real Redis: duplicates acknowledged, failures retried, leases."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import uuid

import azure.functions as func
import pytest

from shared.idempotency import IdempotencyAlreadyInProgressError, idempotent_message

LEASE = 0.3


def _delivery(message_id: str, body: dict[str, object]) -> func.QueueMessage:
    return func.QueueMessage(id=message_id, body=json.dumps(body).encode())


def test_duplicate_delivery_is_acknowledged_and_failure_then_retry_runs_again(persistence) -> None:
    # given a handler that fails on its first attempt
    attempts: list[str] = []

    @idempotent_message(persistence=persistence, ttl_seconds=60)
    def process_order(msg: func.QueueMessage) -> None:
        attempts.append(str(msg.id))
        if len(attempts) == 1:
            raise ConnectionError("downstream unavailable")

    message = _delivery(str(uuid.uuid4()), {"order": 1})
    # when the host delivers, the handler fails, the host retries, then delivers a duplicate
    with pytest.raises(ConnectionError):
        process_order(message)
    process_order(message)
    assert process_order(message) is None
    # then it ran twice (the failure and the retry), and the duplicate was acknowledged
    assert len(attempts) == 2
    stats = persistence.stats()
    assert (stats["released_error"], stats["stored"], stats["hit"]) == (1, 1, 1)


def test_crashed_delivery_without_a_dequeue_count_blocks_until_its_lease_expires(
    persistence,
) -> None:
    # given a delivery without a dequeue count (so no takeover, see test_queue_takeover.py) whose
    # worker process died inside the handler (no release ran)
    runs: list[int] = []

    @idempotent_message(persistence=persistence, lease_seconds=LEASE, ttl_seconds=60)
    def process_order(msg: func.QueueMessage) -> None:
        if multiprocessing.parent_process() is not None:
            os._exit(17)
        runs.append(1)

    message = _delivery(str(uuid.uuid4()), {"order": 2})
    child = multiprocessing.get_context("fork").Process(target=process_order, args=(message,))
    child.start()
    child.join(10)
    assert child.exitcode == 17
    # when the host redelivers before the lease expired / then it raises to be retried later
    with pytest.raises(IdempotencyAlreadyInProgressError):
        process_order(message)
    assert runs == []
    # and a redelivery after the lease expired runs
    time.sleep(LEASE + 0.1)
    process_order(message)
    assert runs == [1]


def test_same_key_field_with_another_body_is_acknowledged_with_a_warning(persistence, caplog):
    runs: list[int] = []

    @idempotent_message("order_id", persistence=persistence, ttl_seconds=60)
    def process_order(msg: func.QueueMessage) -> None:
        runs.append(1)

    order_id = str(uuid.uuid4())
    process_order(_delivery("m1", {"order_id": order_id, "qty": 1}))
    with caplog.at_level("WARNING", logger="shared.idempotency"):
        process_order(_delivery("m2", {"order_id": order_id, "qty": 2}))
    assert runs == [1]
    assert any("mismatch" in r.getMessage() for r in caplog.records)
