"""A job worker for tests: ``python -m tests.integration.jobs.worker QUEUE BEHAVIOUR``.

It is ``shared.jobs.runner.run_until_empty`` (what ``python -m jobs run <kind>`` runs) with a
test handler instead of a feature's, so tests can kill it mid-job or pull storage from under it.
Every start and completion of the handler is appended to ``$JOB_TEST_RECORD`` (JSON lines).

Behaviours: ``slow`` (``$JOB_TEST_STEPS`` steps of ``$JOB_TEST_STEP_SECONDS``, a checkpoint
after each, then a result file), ``fail`` (always raises).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from typing import Any

from shared.jobs.context import JobContext


def record(event: str, ctx: JobContext) -> None:
    line = {
        "event": event,
        "job": str(ctx.job_id),
        "attempt": ctx.job.attempts,
        "pid": os.getpid(),
        "at": time.time(),
    }
    with open(os.environ["JOB_TEST_RECORD"], "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def slow(ctx: JobContext) -> dict[str, Any]:
    record("started", ctx)
    steps = int(os.environ.get("JOB_TEST_STEPS", "6"))
    for step in range(1, steps + 1):
        time.sleep(float(os.environ.get("JOB_TEST_STEP_SECONDS", "0.5")))
        ctx.checkpoint(step * 100 // (steps + 1))
    ctx.store_result("out.txt", f"done by attempt {ctx.job.attempts}".encode(), "text/plain")
    record("completed", ctx)
    return {"steps": steps}


def fail(ctx: JobContext) -> dict[str, Any]:
    record("started", ctx)
    raise RuntimeError("deliberate failure for the test")


HANDLERS = {"slow": slow, "fail": fail}


def main(queue_name: str, behaviour: str) -> int:
    from jobs.__main__ import install_stop
    from shared.jobs.queues import poison_name
    from shared.jobs.runner import run_until_empty
    from shared.jobs.service import worker_job_repository
    from shared.stores.storage import get_queue

    logging.basicConfig(level=logging.INFO, format="worker %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)
    stopping = threading.Event()
    install_stop(stopping)  # SIGTERM as in `python -m jobs run`
    summary = run_until_empty(
        "test",
        HANDLERS[behaviour],
        queue_name=queue_name,
        repo=worker_job_repository(),
        queue=get_queue(queue_name),
        poison=get_queue(poison_name(queue_name)),
        stopping=stopping,
    )
    print(json.dumps(dict(summary.outcomes)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
