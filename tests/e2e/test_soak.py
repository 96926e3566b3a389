"""The soak's short form (issue #21; the long form is ``python -m bench soak``).

A mixed workload over HTTP through a real devhost (embeddings, ``/api/predict`` with idempotency
keys and deliberate retries, chat, speech, uploads, speech jobs), offered by locust at a fixed
rate, while the soak's own Redis, PostgreSQL and Azurite (free ports, a temporary state folder:
the shared services are never touched) are each stopped and started again, the job execution is
SIGKILLed mid-job and devhost is SIGTERMed and started again. Only the invariants are asserted,
never timings: no 5xx but documented 503s while something is down, every job completed exactly
once, every idempotent retry answered with the first answer, no lease or slot left behind, each
store recovered within the breaker's interval of coming back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devhost.testing import PROJECT_ROOT

FAULTS = ["redis", "postgres", "azurite", "worker", "host"]


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_invariants_hold_while_stores_workers_and_the_host_fail(tmp_path: Path) -> None:
    # Given/when: the short soak, as a user runs it, with devhost's log kept for the message.
    log, out = tmp_path / "devhost.log", tmp_path / "soak.json"
    command = [sys.executable, "-m", "bench", "soak", "--short", "--log", str(log)]
    done = subprocess.run(
        [*command, "--json", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=1100,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    results = json.loads(out.read_text())

    # Then: every fault really happened, under load ...
    assert [fault["name"] for fault in results["faults"]] == FAULTS
    [worker] = [fault for fault in results["faults"] if fault["name"] == "worker"]
    assert worker["details"]["killed"], "no job execution was running to be killed"
    assert worker["details"]["attempts"] == 2  # the killed attempt, then the one that finished
    assert results["jobs"] > 0
    assert results["predict_retries"] > 0
    # ... and nothing the invariants guard was broken.
    invariants = results["invariants"]
    assert invariants["held"], f"{invariants}\n--- devhost log (end) ---\n{log.read_text()[-8000:]}"
