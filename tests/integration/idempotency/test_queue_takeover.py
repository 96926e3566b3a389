"""A queue redelivery takes over the lease of an earlier delivery that lost its message.

The queue redelivers a message only after the previous delivery's visibility expired, so a delivery
with a higher dequeue count than the in-progress record's may run at once instead of waiting for
the dead holder's lease. Real Redis, real forked workers that die inside the handler.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from azure.functions.queue import QueueMessage

from shared.idempotency import IdempotencyAlreadyInProgressError, idempotent_message
from shared.idempotency.keys import message_fingerprint, record_key, scoped_key_hash
from shared.idempotency.message import MESSAGE_SCOPE
from shared.idempotency.persistence import ClaimStatus
from tests.utils.idempotency import (
    CountingConnection,
    TrackingPersistence,
    counting_client,
    new_key,
    new_record_key,
)

LONG_LEASE = 300.0  # the platform default: a takeover must not wait for it
CRASHED = 17


def _delivery(message_id: str, body: Mapping[str, object], dequeue_count: int) -> QueueMessage:
    """A delivery as the Functions worker builds it, with the host's dequeue count."""
    return QueueMessage(id=message_id, body=json.dumps(body).encode(), dequeue_count=dequeue_count)


def _crash_in_a_worker(handler: Callable[..., Any], message: QueueMessage) -> None:
    """Run ``handler`` in a forked worker that dies inside it (no save, no release)."""
    child = multiprocessing.get_context("fork").Process(target=handler, args=(message,))
    child.start()
    child.join(10)
    assert child.exitcode == CRASHED


def _record_of(handler: Callable[..., Any], message_id: str) -> str:
    """The Redis key of a message id's record (as the decorator scopes it)."""
    target = handler.__wrapped__  # type: ignore[attr-defined]
    name = f"{target.__module__}.{target.__qualname__}"
    return record_key(scoped_key_hash(MESSAGE_SCOPE, name, message_id))


def test_redelivery_after_a_crash_runs_at_once_and_a_later_duplicate_is_acknowledged(
    persistence, redis_client
) -> None:
    # given delivery 1 of a message whose worker died inside the handler (lease: 300 s)
    runs: list[int] = []

    @idempotent_message(persistence=persistence, lease_seconds=LONG_LEASE, ttl_seconds=60)
    def process_order(msg: QueueMessage) -> None:
        if multiprocessing.parent_process() is not None:
            os._exit(CRASHED)
        runs.append(int(msg.dequeue_count or 0))

    message_id = str(uuid.uuid4())
    _crash_in_a_worker(process_order, _delivery(message_id, {"order": 1}, 1))
    record = _record_of(process_order, message_id)
    persistence.touched.add(record)  # claimed in the dead worker: clean it up here
    assert redis_client.get(record).startswith(b"P")
    assert redis_client.pttl(record) > (LONG_LEASE - 10) * 1000
    # when the host redelivers it (dequeue count 2)
    started = time.monotonic()
    process_order(_delivery(message_id, {"order": 1}, 2))
    # then the handler ran at once, without waiting for the dead worker's lease
    assert runs == [2]
    assert time.monotonic() - started < 5
    assert redis_client.get(record).startswith(b"C")
    # and a duplicate delivery of the finished message is still acknowledged without running
    assert process_order(_delivery(message_id, {"order": 1}, 3)) is None
    assert runs == [2]
    stats = persistence.stats()
    assert (stats["takeover"], stats["stored"], stats["hit"]) == (1, 1, 1)
    assert stats.get("conflict", 0) == 0


def test_stale_holder_that_is_still_alive_loses_its_save(persistence, redis_client, caplog) -> None:
    # given delivery 1 still running after it lost its message, and delivery 2 arriving meanwhile
    message_id = str(uuid.uuid4())
    runs: list[int] = []
    completed: list[bytes] = []

    @idempotent_message(persistence=persistence, lease_seconds=LONG_LEASE, ttl_seconds=60)
    def process_order(msg: QueueMessage) -> None:
        runs.append(int(msg.dequeue_count or 0))
        if msg.dequeue_count == 1:
            # the redelivery takes over, runs and completes while delivery 1 is still working
            process_order(_delivery(message_id, {"order": 2}, 2))
            completed.append(redis_client.get(_record_of(process_order, message_id)))

    # when delivery 1 finishes last
    with caplog.at_level("WARNING", logger="shared.idempotency"):
        process_order(_delivery(message_id, {"order": 2}, 1))
    # then its late save was refused, and delivery 2's completed record is kept as it was
    assert runs == [1, 2]
    assert completed[0].startswith(b"C")
    assert redis_client.get(_record_of(process_order, message_id)) == completed[0]
    stats = persistence.stats()
    assert (stats["takeover"], stats["stored"], stats["lease_lost"]) == (1, 1, 1)
    messages = [r.getMessage() for r in caplog.records]
    assert any("takeover" in m for m in messages)
    assert any("lease lost before save" in m for m in messages)


def test_stale_holder_late_save_and_release_return_lost(persistence, redis_client) -> None:
    # given delivery 1's claim, taken over by delivery 2
    record = new_record_key()
    persistence.touched.add(record)
    fingerprint = message_fingerprint(b'{"order": 3}')
    first = persistence.claim(record, fingerprint, 60_000, delivery=1)
    second = persistence.claim(record, fingerprint, 60_000, delivery=2)
    assert (first.status, first.taken_over) == (ClaimStatus.CLAIMED, False)
    assert (second.status, second.taken_over) == (ClaimStatus.CLAIMED, True)
    assert first.lease != second.lease
    assert redis_client.get(record) == second.lease
    # when delivery 1 saves or releases late / then both report the lease lost and change nothing
    assert persistence.save(first, b"stale", 60_000) is False
    assert persistence.release(first, "released_error") is False
    assert redis_client.get(record) == second.lease
    # and delivery 2 still saves its own outcome
    assert persistence.save(second, b"", 60_000) is True
    assert persistence.save(first, b"stale", 60_000) is False
    assert redis_client.get(record).startswith(b"C")
    assert not redis_client.get(record).endswith(b"stale")
    assert persistence.stats()["lease_lost"] == 3


@pytest.mark.parametrize(
    ("held_by", "claimed_by"),
    [(2, 2), (3, 2), (None, 5), (2, None), (None, None)],
    ids=["same-delivery", "lower-delivery", "holder-without-count", "no-count", "neither"],
)
def test_only_a_higher_dequeue_count_takes_over(
    persistence, held_by: int | None, claimed_by: int | None
) -> None:
    record = new_record_key()
    persistence.touched.add(record)
    fingerprint = message_fingerprint(b"{}")
    persistence.claim(record, fingerprint, 60_000, delivery=held_by)
    found = persistence.claim(record, fingerprint, 60_000, delivery=claimed_by)
    assert found.status is ClaimStatus.IN_PROGRESS
    assert 0 < found.lease_remaining_ms <= 60_000
    assert persistence.stats().get("takeover", 0) == 0


def test_with_a_key_field_a_crashed_delivery_still_blocks_until_its_lease_expires(
    persistence,
) -> None:
    # given a business key shared by messages, and delivery 1 whose worker died in the handler
    runs: list[str] = []

    @idempotent_message("order_id", persistence=persistence, lease_seconds=1.0, ttl_seconds=60)
    def process_order(msg: QueueMessage) -> None:
        if multiprocessing.parent_process() is not None:
            os._exit(CRASHED)
        runs.append(str(msg.id))

    order = {"order_id": str(uuid.uuid4())}
    _crash_in_a_worker(process_order, _delivery("m-1", order, 1))
    # when the same message comes back (count 2), or another message with the same key (count 5)
    # then neither takes over: both raise so the host retries later
    with pytest.raises(IdempotencyAlreadyInProgressError):
        process_order(_delivery("m-1", order, 2))
    with pytest.raises(IdempotencyAlreadyInProgressError):
        process_order(_delivery("m-2", order, 5))
    assert runs == []
    stats = persistence.stats()
    assert (stats.get("takeover", 0), stats["conflict"]) == (0, 2)
    # and once the lease expired, the next delivery runs
    time.sleep(1.1)
    process_order(_delivery("m-1", order, 3))
    assert runs == ["m-1"]


def test_takeover_costs_one_round_trip(shared_redis_client) -> None:
    layer = TrackingPersistence(counting_client(), stats_key=f"idempotency:stats:test:{new_key()}")
    record = new_record_key()
    layer.touched.add(record)
    fingerprint = message_fingerprint(b"{}")
    try:
        layer.claim(f"{record}:warm-up", fingerprint, 1_000)  # connects, loads the script
        layer.touched.add(f"{record}:warm-up")
        layer.claim(record, fingerprint, 60_000, delivery=1)
        CountingConnection.sent.clear()
        assert layer.claim(record, fingerprint, 60_000, delivery=2).taken_over is True
        assert CountingConnection.sent == [b"EVALSHA"]
    finally:
        shared_redis_client.delete(*layer.stats_keys(), *layer.touched)
