"""`python -m devhost.scale`: devhost's job scaler alone (compose's jobs-scaler service)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devhost import scale
from devhost.scaler import ScalerConfig
from tests.unit.infra.support import ROOT

# Never contacted: the scaler in the test below watches no queue.
UNREACHABLE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
    "QueueEndpoint=http://127.0.0.1:1/devstoreaccount1;"
)


@pytest.fixture
def app_root(tmp_path: Path) -> Path:
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "__main__.py").write_text("")
    return tmp_path


def test_nothing_to_scale_is_an_error(app_root: Path, monkeypatch: pytest.MonkeyPatch):
    # Every job kind's queue setting goes, whatever kinds exist by now.
    for name in [n for n in os.environ if n.upper().startswith("JOB_QUEUE_")]:
        monkeypatch.delenv(name)
    assert scale.main(["--script-root", str(app_root)]) == 1


def test_a_missing_storage_connection_is_an_error(app_root: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JOB_QUEUE_SPEECH", "jobs-speech")
    monkeypatch.setenv("JOB_MAX_EXECUTIONS_SPEECH", "1")
    monkeypatch.delenv("AzureWebJobsStorage", raising=False)
    assert scale.main(["--script-root", str(app_root)]) == 1


def test_serve_beats_until_stopped(app_root: Path, tmp_path: Path):
    # No queue to watch: a poll against a closed port would spend seconds in the SDK's retries.
    config = ScalerConfig((), polling_interval=0.05)
    heartbeat = tmp_path / "heartbeat"

    async def scenario() -> None:
        stopping = asyncio.Event()
        serving = asyncio.create_task(
            scale.serve(
                config, UNREACHABLE, app_root, grace=1.0, heartbeat=heartbeat, stopping=stopping
            )
        )
        for _ in range(100):
            if heartbeat.exists():
                break
            await asyncio.sleep(0.02)
        stopping.set()
        await asyncio.wait_for(serving, 10)

    asyncio.run(scenario())
    assert heartbeat.exists()


def test_the_scaler_alone_imports_nothing_of_the_http_host():
    probe = "import sys, devhost.scale; print(sorted({'uvicorn', 'starlette'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
