"""Store clients against the real services: queue messages are base64 on the wire."""

from __future__ import annotations

import base64
import uuid

from azure.storage.queue import QueueClient

from shared.config import Settings
from shared.stores.storage import (
    base64_queue,
    blob_service_from_settings,
    queue_service_from_settings,
)


def test_queue_producer_writes_base64_that_the_host_trigger_can_decode():
    settings = Settings()
    name = f"store-test-{uuid.uuid4().hex[:8]}"
    producer = base64_queue(queue_service_from_settings(settings), name)
    producer.create_queue()
    try:
        producer.send_message('{"job_id": "42"}')
        # Read it with no decode policy: what the Functions host sees on the wire.
        assert settings.storage_connection_string is not None
        raw = QueueClient.from_connection_string(
            settings.storage_connection_string.get_secret_value(), name
        )
        [peeked] = raw.peek_messages(max_messages=1)
        assert base64.b64decode(peeked.content) == b'{"job_id": "42"}'
        # And our own consumer reads back the bytes that were sent.
        [message] = producer.receive_messages(max_messages=1)
        assert message.content == b'{"job_id": "42"}'
    finally:
        producer.delete_queue()


def test_blob_round_trip():
    service = blob_service_from_settings(Settings())
    container = service.get_container_client(f"store-test-{uuid.uuid4().hex[:8]}")
    container.create_container()
    try:
        container.upload_blob("a/b.bin", b"\x00\x01payload")
        assert container.download_blob("a/b.bin").readall() == b"\x00\x01payload"
    finally:
        container.delete_container()
