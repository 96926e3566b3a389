"""Leases: a crashed invocation frees its key when the lease expires; a late finisher loses."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import time

from starlette.responses import Response

from shared.http import executor
from shared.http.call import HttpCall
from shared.idempotency import REPLAYED_HEADER, IdempotencyConfig
from tests.utils.http_functions import Endpoint, Sent, declare
from tests.utils.idempotency import http_request, record_key_for

LEASE = 0.4


def _call_in_fresh_pool(endpoint: Endpoint, key: str) -> None:
    executor._executor.cache_clear()  # fork does not carry the parent's worker threads over
    endpoint(http_request(key))


def _crash_in_child(endpoint: Endpoint, key: str) -> None:
    # The handler calls os._exit mid-run: no finally block, no release. Exactly what a killed
    # worker leaves behind: an in-progress record that only its lease can clear.
    context = multiprocessing.get_context("fork")
    child = context.Process(target=_call_in_fresh_pool, args=(endpoint, key))
    child.start()
    child.join(10)
    assert child.exitcode == 17


def test_crashed_invocation_blocks_until_its_lease_expires_then_retry_runs(
    persistence, redis_client, key
) -> None:
    # given an invocation that died while holding the key
    runs: list[int] = []

    def create_thing() -> Response:
        if multiprocessing.parent_process() is not None:
            os._exit(17)
        runs.append(1)
        return Response(b"made", status_code=201)

    config = IdempotencyConfig(lease_seconds=LEASE, ttl_seconds=60)
    endpoint = declare(create_thing, idempotency=config, idempotency_store=persistence)
    _crash_in_child(endpoint, key)
    record = record_key_for(create_thing, http_request(key), key)
    persistence.touched.add(record)  # claimed in the child: clean it up here
    assert redis_client.get(record).startswith(b"P")
    # when a retry comes before the lease expired / then it is told to wait
    early = endpoint(http_request(key))
    assert early.status_code == 409
    assert early.headers["Retry-After"] == "1"
    # when it comes after the lease expired / then it runs and its result is stored
    time.sleep(LEASE + 0.1)
    assert endpoint(http_request(key)).status_code == 201
    assert endpoint(http_request(key)).headers[REPLAYED_HEADER] == "true"
    assert runs == [1]


def test_late_finisher_does_not_overwrite_the_record_that_took_over(persistence, key) -> None:
    # Timeline (lease 0.4 s):
    #   t=0.0  A claims, starts a slow run (0.9 s)
    #   t=0.4  A's lease expires
    #   t=0.5  B claims the same key, runs fast, stores "B"
    #   t=0.9  A finishes: its lease token no longer matches, so "A" is NOT stored
    a_may_finish = threading.Event()

    def create_thing(call: HttpCall) -> Response:
        who = call.headers["x-caller"]
        if who == "A":
            a_may_finish.wait(5)
        return Response(json.dumps({"made_by": who}), status_code=201)

    config = IdempotencyConfig(lease_seconds=LEASE, ttl_seconds=60)
    endpoint = declare(create_thing, idempotency=config, idempotency_store=persistence)
    results: dict[str, Sent] = {}
    a = threading.Thread(
        target=lambda: results.setdefault(
            "A", endpoint(http_request(key, headers={"x-caller": "A"}))
        )
    )
    a.start()
    time.sleep(LEASE + 0.1)
    results["B"] = endpoint(http_request(key, headers={"x-caller": "B"}))
    a_may_finish.set()
    a.join(5)
    # then both callers got their own response, and the stored one is B's
    assert json.loads(results["A"].get_body()) == {"made_by": "A"}
    assert json.loads(results["B"].get_body()) == {"made_by": "B"}
    replay = endpoint(http_request(key, headers={"x-caller": "C"}))
    assert json.loads(replay.get_body()) == {"made_by": "B"}
    assert replay.headers[REPLAYED_HEADER] == "true"
    assert persistence.stats()["lease_lost"] == 1


def test_crash_inside_the_handler_releases_the_key_and_answers_500(
    persistence, key, caplog
) -> None:
    # given a handler that fails once
    attempts: list[int] = []
    failure = RuntimeError("database down")

    def create_thing() -> Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise failure
        return Response(b"ok", status_code=201)

    config = IdempotencyConfig(ttl_seconds=60)
    endpoint = declare(create_thing, idempotency=config, idempotency_store=persistence)
    # when it raises / then the client gets a 500 and the very same exception is logged
    with caplog.at_level(logging.ERROR):
        response = endpoint(http_request(key))
    assert response.status_code == 500
    assert any(r.exc_info and r.exc_info[1] is failure for r in caplog.records)
    # and the retry runs again (nothing was stored), after which it replays
    assert endpoint(http_request(key)).status_code == 201
    assert endpoint(http_request(key)).headers[REPLAYED_HEADER] == "true"
    assert len(attempts) == 2
    assert persistence.stats()["released_error"] == 1
