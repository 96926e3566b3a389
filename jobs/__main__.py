"""``python -m jobs run <kind>``: one execution of a Container Apps job (event-driven by the
length of the kind's queue, KEDA ``azure-queue`` scaler; locally started by devhost's scaler).

It works the kind's queue until it is empty and exits: 0 when the queue was emptied (or after a
SIGTERM, once the current job reached a checkpoint and was handed back), 1 when the job store or
storage stayed unreachable, 2 for bad arguments. Settings come from the environment, as in the
function app (``local.settings.json`` locally, through devhost or ``scripts/local_env.py``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from jobs.registry import KINDS, handler_for

logger = logging.getLogger("jobs")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m jobs", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="work a job kind's queue until it is empty")
    run.add_argument("kind", choices=KINDS)
    return parser.parse_args(argv)


def install_stop(stopping: threading.Event) -> None:
    """SIGTERM (Container Apps stopping a replica, devhost stopping) and SIGINT set ``stopping``:
    the running job stops at its next checkpoint and is handed back."""

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("received %s: stopping at the next checkpoint", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def run(kind: str, stopping: threading.Event) -> int:
    """Work ``kind``'s queue until it is empty; returns the exit status."""
    from shared.config import get_settings
    from shared.jobs.exceptions import JobStoreError
    from shared.jobs.queues import poison_name, queue_name_for
    from shared.jobs.runner import run_until_empty
    from shared.jobs.service import worker_job_repository
    from shared.stores.storage import get_queue

    settings = get_settings()
    queue_name = queue_name_for(kind, settings)
    try:
        run_until_empty(
            kind,
            handler_for(kind),
            queue_name=queue_name,
            # The runner's role; each handler's own queries use its feature's role, acting
            # for the job's owner.
            repo=worker_job_repository(),
            queue=get_queue(queue_name),
            poison=get_queue(poison_name(queue_name)),
            settings=settings,
            stopping=stopping,
        )
    except JobStoreError as exc:
        logger.error("job execution for %s failed: %s", kind, exc)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from shared.config import get_settings
    from shared.log import configure_from_settings
    from shared.telemetry import flush_telemetry, start_telemetry

    # JSON lines with trace ids at LOG_LEVEL, secrets masked; spans and metrics as configured
    # (shared/telemetry/setup.py), flushed before the execution exits.
    configure_from_settings(get_settings())
    start_telemetry("jobs")
    stopping = threading.Event()
    install_stop(stopping)
    try:
        return run(args.kind, stopping)
    finally:
        flush_telemetry()


if __name__ == "__main__":
    sys.exit(main())
