"""``GET /api/jobs/queues`` over HTTP: each job kind's waiting and poison messages, as storage
counts them (a devhost of its own, on a queue of its own, with no workers to drain it)."""

from __future__ import annotations

import uuid

import httpx

from shared.jobs.queues import poison_name
from shared.stores.storage import get_queue
from tests.utils.app_host import start_app_host
from tests.utils.auth import new_caller


def test_queue_depths_count_waiting_and_poison_messages():
    queue = f"console-depth-{uuid.uuid4().hex[:8]}"
    work, poison = get_queue(queue), get_queue(poison_name(queue))
    work.create_queue()
    poison.create_queue()
    try:
        # given two messages waiting on the ml kind's queue and one given up on
        for _ in range(2):
            work.send_message(str(uuid.uuid4()))
        poison.send_message(str(uuid.uuid4()))
        env = {"JOB_QUEUE_ML": queue, "DEVHOST_JOBS_ENABLED": "false"}
        with start_app_host(env) as url:
            anonymous = httpx.get(f"{url}/jobs/queues")
            answered = httpx.get(f"{url}/jobs/queues", headers=new_caller("ops"), timeout=15)
    finally:
        work.delete_queue()
        poison.delete_queue()

    assert anonymous.status_code == 401
    assert answered.status_code == 200, answered.text
    depths = {q["kind"]: q for q in answered.json()["queues"]}
    assert {"speech", "extract", "transcribe", "ml", "analyze"} <= depths.keys()
    assert depths["ml"] == {"kind": "ml", "queue": queue, "waiting": 2, "poison": 1}
    assert all(q["waiting"] >= 0 and q["poison"] >= 0 for q in depths.values())
