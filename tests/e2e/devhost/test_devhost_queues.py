"""devhost queue triggers against Azurite: decoding, deletion, retries, poison queue, lease."""

import base64
import json

import httpx
import pytest

from devhost.testing import start_devhost
from tests.e2e.devhost.support import (
    APPS,
    base64_client,
    queue_length,
    raw_client,
    read_records,
    wait_until,
)

QUEUE_APP = APPS / "queue_app"


@pytest.fixture
def devhost(queue_env):
    # Short lease so that the lease-renewal test does not take minutes.
    process = start_devhost(QUEUE_APP, env={**queue_env, "DEVHOST_QUEUE_LEASE_SECONDS": "2"})
    yield process
    code = process.stop()
    assert code == 0, process.output()


def test_empty_route_prefix_serves_http_at_root(devhost):
    response = httpx.get(f"{devhost.base_url}/status")
    assert response.status_code == 200
    assert response.text == "up"


def test_queues_and_poison_queues_are_created(devhost, queue_env, azurite):
    for name in ("RECORD_QUEUE", "FAIL_QUEUE", "SLEEP_QUEUE"):
        assert queue_length(azurite, queue_env[name]) == 0
        assert queue_length(azurite, queue_env[name] + "-poison") == 0


def test_base64_message_is_delivered_decoded_once_and_deleted(
    devhost, queue_env, azurite, tmp_path
):
    queue = queue_env["RECORD_QUEUE"]
    body = "héllo from the queue ✓"
    with base64_client(azurite, queue) as client:
        sent = client.send_message(body)
    records = wait_until(
        lambda: read_records(tmp_path / "records.jsonl"), timeout=10, what="the delivery"
    )
    assert records[0]["id"] == sent.id
    assert records[0]["body"] == body
    assert records[0]["dequeue_count"] == 1
    assert records[0]["has_times"] is True
    assert records[0]["pop_receipt"] is True
    wait_until(lambda: queue_length(azurite, queue) == 0, timeout=10, what="the message deleted")
    assert len(read_records(tmp_path / "records.jsonl")) == 1


def test_failing_message_is_retried_then_moved_to_poison(devhost, queue_env, azurite, tmp_path):
    queue = queue_env["FAIL_QUEUE"]
    poison = queue + "-poison"
    with base64_client(azurite, queue) as client:
        sent = client.send_message(json.dumps({"n": 1}))
    wait_until(lambda: queue_length(azurite, poison) == 1, timeout=20, what="the poison message")
    wait_until(lambda: queue_length(azurite, queue) == 0, timeout=5, what="the source deleted")
    records = [r for r in read_records(tmp_path / "records.jsonl") if r["id"] == sent.id]
    assert [r["dequeue_count"] for r in records] == [1, 2, 3]  # maxDequeueCount is 3
    with raw_client(azurite, poison) as client:
        (poisoned,) = client.peek_messages(max_messages=5)
    # Same encoding as the original: the poison message is the base64 text that was sent.
    assert base64.b64decode(poisoned.content) == json.dumps({"n": 1}).encode()
    assert "has reached MaxDequeueCount of 3" in devhost.output()


def test_lease_is_renewed_while_the_invocation_runs(devhost, queue_env, azurite, tmp_path):
    queue = queue_env["SLEEP_QUEUE"]
    with base64_client(azurite, queue) as client:
        client.send_message(json.dumps({"seconds": 3}))
    records_file = tmp_path / "records.jsonl"
    wait_until(
        lambda: any(r["event"] == "end" for r in read_records(records_file)),
        timeout=15,
        what="the slow invocation to end",
    )
    wait_until(lambda: queue_length(azurite, queue) == 0, timeout=10, what="the message deleted")
    # With a 2 s lease and no renewal, the message would have been delivered a second time.
    starts = [r for r in read_records(records_file) if r["event"] == "start"]
    assert [r["dequeue_count"] for r in starts] == [1]


def test_undecodable_message_goes_to_poison(devhost, queue_env, azurite, tmp_path):
    queue = queue_env["RECORD_QUEUE"]
    with raw_client(azurite, queue) as client:
        client.send_message("this is not base64!")
    wait_until(
        lambda: queue_length(azurite, queue + "-poison") == 1, timeout=10, what="the poison message"
    )
    assert read_records(tmp_path / "records.jsonl") == []
