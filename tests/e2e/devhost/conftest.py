"""Fixtures for the devhost end-to-end tests: Azurite (required, never skipped), fresh queues."""

from pathlib import Path

import pytest

from tests.e2e.devhost.support import (
    queue_endpoint_reachable,
    storage_connection_string,
    unique_queue,
)


@pytest.fixture(scope="session")
def azurite() -> str:
    """The storage connection string; FAILS (never skips) when Azurite's queue port is closed."""
    connection = storage_connection_string()
    problem = queue_endpoint_reachable(connection)
    if problem is not None:
        pytest.fail(f"{problem}; start it with: scripts/services.sh start")
    return connection


@pytest.fixture
def queue_env(azurite: str, tmp_path: Path) -> dict[str, str]:
    """Settings for the queue test app: fresh queue names and a fresh record file."""
    return {
        "AzureWebJobsStorage": azurite,
        "RECORD_QUEUE": unique_queue("record"),
        "FAIL_QUEUE": unique_queue("fail"),
        "SLEEP_QUEUE": unique_queue("sleep"),
        "DEVHOST_TEST_RECORD_FILE": str(tmp_path / "records.jsonl"),
    }
