"""devhost's job scaler: Container Apps job executions started by queue length, capped at
maxExecutions, and stopped with SIGTERM when devhost stops."""

from __future__ import annotations

import os
import time
from pathlib import Path

from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from devhost.testing import start_devhost
from tests.e2e.devhost.support import APPS, unique_queue


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_executions_follow_queue_length_up_to_max_and_stop_with_devhost(
    azurite: str, tmp_path: Path
):
    # given three messages on the queue of a job kind allowed two executions at once
    queue_name = unique_queue("scaled")
    queue = QueueClient.from_connection_string(
        azurite, queue_name, message_encode_policy=TextBase64EncodePolicy()
    )
    queue.create_queue()
    record = tmp_path / "executions.txt"
    try:
        for n in range(3):
            queue.send_message(f"job-{n}")
        # Only the test's own kind runs: every job kind the app defines is switched off.
        others = {n: "0" for n in os.environ if n.upper().startswith("JOB_MAX_EXECUTIONS_")}
        env = {
            **others,
            "AzureWebJobsStorage": azurite,
            "JOB_QUEUE_SCALED": queue_name,
            "JOB_MAX_EXECUTIONS_SCALED": "2",
            "JOB_POLLING_INTERVAL_SECONDS": "0.2",
            "DEVHOST_TEST_RECORD_FILE": str(record),
        }

        # when devhost runs for a few polling intervals
        devhost = start_devhost(APPS / "jobs_app", env=env, grace_period=10)
        devhost.wait_for_log(r"started scaled execution .* running 2\)", timeout=15)
        time.sleep(1.0)  # five more polls: still two, the executions hold the messages' slots
        started = [line for line in lines(record) if line.startswith("started")]

        # then two executions run, and stopping devhost stops them (SIGTERM) before it exits
        assert len(started) == 2
        assert all(line.startswith("started scaled") for line in started)
        assert devhost.stop(timeout=30) == 0
        terminated = [line for line in lines(record) if line.startswith("terminated")]
        assert sorted(t.split()[-1] for t in terminated) == sorted(s.split()[-1] for s in started)
    finally:
        queue.delete_queue()
