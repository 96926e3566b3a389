"""SIGTERM while work is in flight: requests complete, messages are never lost, exit status 0."""

import json
import signal
import threading

import httpx
import pytest

from devhost.testing import start_devhost
from tests.e2e.devhost.support import APPS, base64_client, queue_length, read_records, wait_until

HTTP_APP = APPS / "http_app"
QUEUE_APP = APPS / "queue_app"


def test_sigterm_lets_an_in_flight_request_finish():
    devhost = start_devhost(HTTP_APP)
    result: dict[str, object] = {}

    def call() -> None:
        try:
            result["response"] = httpx.get(f"{devhost.base_url}/api/slow?seconds=1.5", timeout=10)
        except httpx.HTTPError as exc:  # pragma: no cover - reported by the assertion below
            result["error"] = exc

    caller = threading.Thread(target=call)
    caller.start()
    devhost.wait_for_log(r"Executing 'Functions\.slow'", timeout=5)
    devhost.send_signal(signal.SIGTERM)
    devhost.wait_for_log("Stopped accepting requests", timeout=5)
    # New connections are refused while the in-flight request is still running.
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{devhost.base_url}/api/health", timeout=2)
    caller.join(timeout=10)
    assert "error" not in result, result
    response = result["response"]
    assert isinstance(response, httpx.Response)
    assert response.status_code == 200
    assert response.json() == {"slept": 1.5}
    assert devhost.wait(timeout=15) == 0, devhost.output()


def test_sigterm_lets_an_in_flight_queue_invocation_finish(queue_env, azurite, tmp_path):
    devhost = start_devhost(QUEUE_APP, env=queue_env)
    queue = queue_env["SLEEP_QUEUE"]
    records_file = tmp_path / "records.jsonl"
    with base64_client(azurite, queue) as client:
        client.send_message(json.dumps({"seconds": 1.5}))
    wait_until(lambda: read_records(records_file), timeout=10, what="the invocation to start")
    devhost.send_signal(signal.SIGTERM)
    assert devhost.wait(timeout=15) == 0, devhost.output()
    assert [r["event"] for r in read_records(records_file)] == ["start", "end"]
    assert queue_length(azurite, queue) == 0  # finished, so deleted


def test_unfinished_queue_invocation_is_redelivered_after_restart(queue_env, azurite, tmp_path):
    queue = queue_env["SLEEP_QUEUE"]
    records_file = tmp_path / "records.jsonl"
    devhost = start_devhost(QUEUE_APP, env=queue_env, grace_period=0.5)
    with base64_client(azurite, queue) as client:
        client.send_message(json.dumps({"seconds": 4, "first_only": True}))
    wait_until(lambda: read_records(records_file), timeout=10, what="the invocation to start")
    devhost.send_signal(signal.SIGTERM)
    assert devhost.wait(timeout=15) == 0, devhost.output()
    assert "will be redelivered" in devhost.output()
    assert queue_length(azurite, queue) == 1  # handed back, not lost

    again = start_devhost(QUEUE_APP, env=queue_env)
    try:
        wait_until(
            lambda: any(r["event"] == "end" for r in read_records(records_file)),
            timeout=10,
            what="the redelivered message",
        )
        wait_until(lambda: queue_length(azurite, queue) == 0, timeout=10, what="the deletion")
    finally:
        assert again.stop() == 0, again.output()
    starts = [r["dequeue_count"] for r in read_records(records_file) if r["event"] == "start"]
    assert starts == [1, 2]
