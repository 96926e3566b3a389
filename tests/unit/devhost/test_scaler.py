"""devhost's job scaler decisions (no processes, no storage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devhost.scaler import JobDefinition, ScalerConfig, executions_to_start


@pytest.mark.parametrize(
    ("length", "running", "maximum", "expected"),
    [(0, 0, 2, 0), (1, 0, 2, 1), (5, 0, 2, 2), (5, 1, 2, 1), (1, 1, 2, 0), (3, 3, 2, 0)],
)
def test_executions_to_start_follows_keda_scaled_job_default_strategy(
    length, running, maximum, expected
):
    assert executions_to_start(length, running, maximum) == expected


@pytest.fixture
def app_root(tmp_path: Path) -> Path:
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "__main__.py").write_text("")
    return tmp_path


def test_jobs_come_from_the_app_settings(app_root: Path):
    config = ScalerConfig.from_settings(
        {
            "JOB_QUEUE_SPEECH": "jobs-speech",
            "JOB_MAX_EXECUTIONS_SPEECH": "2",
            "JOB_QUEUE_EXTRACT": "jobs-extract",
            "JOB_MAX_EXECUTIONS_EXTRACT": "0",  # runs as a queue-triggered function instead
            "JOB_POLLING_INTERVAL_SECONDS": "1.5",
        },
        app_root,
    )
    assert config == ScalerConfig((JobDefinition("speech", "jobs-speech", 2),), 1.5)


def test_no_scaler_without_the_job_entry_point_or_when_disabled(tmp_path: Path, app_root: Path):
    settings = {"JOB_QUEUE_SPEECH": "q", "JOB_MAX_EXECUTIONS_SPEECH": "1"}
    assert ScalerConfig.from_settings(settings, tmp_path / "elsewhere") is None
    assert (
        ScalerConfig.from_settings({**settings, "DEVHOST_JOBS_ENABLED": "false"}, app_root) is None
    )
    assert ScalerConfig.from_settings({"JOB_QUEUE_SPEECH": "q"}, app_root) is None
