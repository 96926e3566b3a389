"""A Redis Cluster primary dies while duplicate requests arrive: still exactly one execution.

The record's primary is SIGKILLed while the one invocation that claimed the key is running, and a
dozen duplicates of the same request keep arriving (a client retrying on 409, as Retry-After
says). The cluster promotes the primary's replica after ``cluster-node-timeout`` (1 s here):

    t=0.0  caller A claims the key (the lease reaches the replica: REDIS_WAIT_REPLICAS=1), runs
    t=0.1  the primary dies; duplicates meet a refused connection and keep retrying
    t~2    the replica is promoted and holds A's lease: duplicates get 409 and retry
    t~2    A's save reaches the new primary; every later duplicate gets A's response replayed
"""

from __future__ import annotations

import threading
import time

from starlette.responses import Response

from shared.idempotency import REPLAYED_HEADER, IdempotencyConfig
from tests.utils.http_functions import declare
from tests.utils.idempotency import http_request, new_key, record_key_for
from tests.utils.redis_cluster import RedisClusterServers, app_on_cluster

CALLERS = 12
HANDLER_SECONDS = 1.0
# Generous for a loaded CI machine: a promotion takes about two seconds here.
FAILOVER_SETTINGS = {"REDIS_WAIT_REPLICAS": "1", "REDIS_FAILOVER_SECONDS": "20"}


def test_a_primary_killed_mid_request_still_runs_the_handler_once(
    redis_cluster_servers: RedisClusterServers,
) -> None:
    cluster = redis_cluster_servers
    executions: list[int] = []
    running = threading.Event()

    def create_order() -> Response:
        executions.append(1)
        running.set()
        time.sleep(HANDLER_SECONDS)
        return Response(b"order 1", status_code=201)

    key = new_key()
    outcomes: list[tuple[int, bool, bytes]] = []
    retried_statuses: list[int] = []
    victim = None
    with app_on_cluster(cluster, **FAILOVER_SETTINGS):
        # given the app's endpoint on the cluster (the platform's default idempotency store)
        endpoint = declare(create_order, idempotency=IdempotencyConfig(ttl_seconds=120))
        victim = cluster.primary_of(record_key_for(create_order, http_request(key), key))

        def caller() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                response = endpoint(http_request(key))
                if response.status_code == 409:  # in progress: retry, as a client would
                    retried_statuses.append(409)
                    time.sleep(0.1)
                    continue
                replayed = response.headers.get(REPLAYED_HEADER) == "true"
                outcomes.append((response.status_code, replayed, response.get_body()))
                return

        threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
        try:
            for thread in threads:
                thread.start()
            # when the record's primary dies while the handler runs
            assert running.wait(30), "no caller started the handler"
            victim.kill()
            for thread in threads:
                thread.join(90)
            record = record_key_for(create_order, http_request(key), key)
            assert cluster.primary_of(record) is not victim, "the replica was not promoted"
        finally:
            cluster.restart(victim)
    # then the handler ran once, and every caller got its response (no 503, no 500)
    assert executions == [1]
    assert len(outcomes) == CALLERS
    assert {(status, body) for status, _, body in outcomes} == {(201, b"order 1")}
    assert sum(not replayed for _, replayed, _ in outcomes) == 1
    assert retried_statuses, "no duplicate arrived while the first call was in progress"
