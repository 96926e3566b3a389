"""Helpers for the devhost end-to-end tests (real subprocesses, real Azurite)."""

import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

REPO_ROOT = Path(__file__).resolve().parents[3]
APPS = Path(__file__).resolve().parent / "apps"
T = TypeVar("T")

FUNCTION_KEY = "test-function-key"
MASTER_KEY = "test-master-key"


def storage_connection_string() -> str:
    """AzureWebJobsStorage from the environment, else the repo's local settings sample."""
    configured = os.environ.get("AzureWebJobsStorage")  # noqa: SIM112 - the host's own name
    if configured:
        return configured
    sample = json.loads((REPO_ROOT / "local.settings.sample.json").read_text(encoding="utf-8"))
    return str(sample["Values"]["AzureWebJobsStorage"])


def _queue_endpoint(connection: str) -> tuple[str, int]:
    parts = dict(p.split("=", 1) for p in connection.split(";") if "=" in p)
    url = urlsplit(parts["QueueEndpoint"])
    return url.hostname or "127.0.0.1", url.port or 10001


def queue_endpoint_reachable(connection: str) -> str | None:
    """None when Azurite's queue port accepts connections, else why not."""
    host, port = _queue_endpoint(connection)
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        return f"Azurite queue service is not reachable on {host}:{port} ({exc})"
    return None


def unique_queue(label: str) -> str:
    """A queue name no other test run uses (lowercase, <= 63 chars)."""
    return f"dh-{uuid.uuid4().hex[:12]}-{label}"


def base64_client(connection: str, queue: str) -> QueueClient:
    """A client that sends messages base64-encoded, as the host's default expects."""
    return QueueClient.from_connection_string(
        connection, queue, message_encode_policy=TextBase64EncodePolicy()
    )


def raw_client(connection: str, queue: str) -> QueueClient:
    """A client that reads and writes message text as stored."""
    return QueueClient.from_connection_string(connection, queue)


def queue_length(connection: str, queue: str) -> int:
    """Approximate message count, including invisible (leased) messages."""
    with raw_client(connection, queue) as client:
        return int(client.get_queue_properties().approximate_message_count or 0)


def read_records(path: Path) -> list[dict[str, Any]]:
    """Lines written by the queue test app's _record()."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def wait_until(condition: Callable[[], T], timeout: float, what: str) -> T:
    """Poll ``condition`` every 50 ms until it returns a truthy value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
