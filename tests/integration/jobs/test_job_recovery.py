"""Workers that die or lose storage mid-job: the job still completes, exactly once.

The workers are real subprocesses running the Container Apps job loop
(``tests/integration/jobs/worker.py``), with a 3 s visibility timeout renewed every second.
"""

from __future__ import annotations

import signal
import time
import uuid

from shared.jobs.models import JobStatus
from shared.jobs.queues import decode_job_id
from tests.integration.jobs.conftest import JobQueue
from tests.utils.servers import AzuriteServer


def job_row(job_id: uuid.UUID):
    from shared.jobs.service import worker_job_repository

    found = worker_job_repository().get(job_id)
    assert found is not None
    return found


def test_a_worker_killed_mid_job_completes_it_exactly_once_after_the_visibility_timeout(
    job_queue: JobQueue,
):
    from shared.jobs.results import read_result

    # given a worker in the middle of a job
    job_id = job_queue.create_job()
    first = job_queue.start_worker("slow", {"JOB_TEST_STEPS": "6", "JOB_TEST_STEP_SECONDS": "0.3"})
    job_queue.wait_for_record("started")
    time.sleep(0.5)

    # when it is killed without a chance to clean up
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert job_row(job_id).status is JobStatus.RUNNING

    # then a worker started after the visibility timeout (3 s) takes the job over and finishes it
    time.sleep(3.5)
    second = job_queue.start_worker("slow", {"JOB_TEST_STEPS": "2", "JOB_TEST_STEP_SECONDS": "0.1"})
    output, _ = second.communicate(timeout=30)
    assert second.returncode == 0, output
    done = job_row(job_id)
    assert done.status is JobStatus.SUCCEEDED, output
    assert done.attempts == 2
    completions = [r for r in job_queue.records() if r["event"] == "completed"]
    assert [c["attempt"] for c in completions] == [2]
    assert read_result(job_id, "out.txt") == b"done by attempt 2"


def test_a_worker_stopped_with_sigterm_hands_the_job_back_at_its_next_checkpoint(
    job_queue: JobQueue,
):
    from shared.stores.storage import get_queue

    job_id = job_queue.create_job()
    worker = job_queue.start_worker(
        "slow", {"JOB_TEST_STEPS": "50", "JOB_TEST_STEP_SECONDS": "0.1"}
    )
    job_queue.wait_for_record("started")

    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=10)

    assert worker.returncode == 0, output
    handed_back = job_row(job_id)
    assert handed_back.status is JobStatus.PENDING
    assert handed_back.attempts == 0  # being stopped is not a failed attempt
    # the message is visible again at once
    [message] = get_queue(job_queue.name).receive_messages(max_messages=1)
    assert decode_job_id(message.content) == job_id


def test_a_worker_rides_out_an_azurite_restart(job_queue: JobQueue):
    from shared.jobs.queues import ensure_queue, send_job_message
    from shared.jobs.service import job_repository
    from shared.stores.storage import base64_queue, queue_service_from_settings

    with AzuriteServer() as azurite:
        # given a job on a private Azurite, and a worker running it
        from shared.config import Settings

        settings = Settings(AzureWebJobsStorage=azurite.connection_string)
        queue = base64_queue(queue_service_from_settings(settings), job_queue.name)
        ensure_queue(queue)
        job, _ = job_repository().create(uuid.uuid4(), job_queue.owner, "test", {}, None)
        send_job_message(queue, job.id)
        worker = job_queue.start_worker(
            "slow",
            {
                "AzureWebJobsStorage": azurite.connection_string,
                "JOB_TEST_STEPS": "10",
                "JOB_TEST_STEP_SECONDS": "0.5",
            },
        )
        job_queue.wait_for_record("started")

        # when Azurite goes away for a few seconds (renewals fail) and comes back
        azurite.stop()
        time.sleep(2.5)
        azurite.start()
        restarted = time.time()

        # then the worker finishes the job, settles its message and exits normally
        output, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, output
        assert job_row(job.id).status is JobStatus.SUCCEEDED, output
        [completed] = [r for r in job_queue.records() if r["event"] == "completed"]
        assert completed["at"] > restarted  # the outage fell inside the job
        assert int(queue.get_queue_properties().approximate_message_count or 0) == 0
