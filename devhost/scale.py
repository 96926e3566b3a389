"""``python -m devhost.scale``: devhost's job scaler alone, without the HTTP host.

Starts job executions the way Container Apps does (KEDA ``azure-queue`` rule, see
:mod:`devhost.scaler`) for a Functions host that runs elsewhere, e.g. the official Functions
container in ``compose.yaml``. Configuration comes from the environment only (the same app
settings: ``JOB_QUEUE_<KIND>``, ``JOB_MAX_EXECUTIONS_<KIND>``, ``JOB_POLLING_INTERVAL_SECONDS``,
``AzureWebJobsStorage``); it imports nothing of devhost's HTTP side, so the jobs image needs no
uvicorn.

Usage: ``python -m devhost.scale [--script-root DIR] [--grace-period 30] [--heartbeat FILE]``.
``--heartbeat`` touches FILE every few seconds while the scaler runs (a container health check
reads its age). Exit status: 0 after SIGINT/SIGTERM (running executions were asked to stop and
given the grace period), 1 when there is nothing to scale or no storage connection, 2 for bad
arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devhost.scaler import JobScaler, ScalerConfig

logger = logging.getLogger("devhost.scale")

HEARTBEAT_SECONDS = 5.0
STORAGE_SETTING = "AzureWebJobsStorage"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devhost.scale", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--script-root",
        type=Path,
        default=Path.cwd(),
        help="folder with jobs/__main__.py (default: current directory)",
    )
    parser.add_argument(
        "--grace-period",
        type=float,
        default=30.0,
        help="seconds running executions get after SIGTERM before SIGKILL (default 30)",
    )
    parser.add_argument("--heartbeat", type=Path, default=None, help="file touched while alive")
    return parser.parse_args(argv)


async def _heartbeat(path: Path, stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        path.touch()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), HEARTBEAT_SECONDS)


async def serve(
    config: ScalerConfig,
    connection_string: str,
    script_root: Path,
    *,
    grace: float,
    heartbeat: Path | None = None,
    stopping: asyncio.Event | None = None,
) -> None:
    """Run the scaler until ``stopping`` is set (by default: until SIGINT/SIGTERM), then stop it
    with ``grace`` seconds for the running executions."""
    if stopping is None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="scale-io") as io_pool:
        scaler = JobScaler(config, connection_string, script_root, io_pool)
        scaler.start()
        beating = asyncio.create_task(_heartbeat(heartbeat, stopping)) if heartbeat else None
        await stopping.wait()
        logger.info("Stopping: running executions get up to %.0f s", grace)
        await scaler.stop(grace)
        if beating is not None:
            await beating


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    logging.getLogger("azure").setLevel(logging.WARNING)
    root = args.script_root.resolve()
    config = ScalerConfig.from_settings(os.environ, root)
    if config is None:
        logger.error(
            "nothing to scale: no JOB_QUEUE_<KIND> with JOB_MAX_EXECUTIONS_<KIND> > 0, "
            "no %s, or DEVHOST_JOBS_ENABLED is false",
            root / "jobs" / "__main__.py",
        )
        return 1
    connection = os.environ.get(STORAGE_SETTING, "")
    if not connection:
        logger.error("%s is not set: the scaler reads queue lengths with it", STORAGE_SETTING)
        return 1
    asyncio.run(serve(config, connection, root, grace=args.grace_period, heartbeat=args.heartbeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
