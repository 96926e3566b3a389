"""Default wiring: lazy settings and client, IDEMPOTENCY_DISABLED, the stats function, retries."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from starlette.responses import Response

from devhost.testing import PROJECT_ROOT as ROOT
from shared.config import reset_settings
from shared.idempotency import (
    REPLAYED_HEADER,
    IdempotencyConfig,
    configure_persistence,
    idempotency_stats,
)
from shared.idempotency import config as config_module
from shared.idempotency.keys import request_fingerprint
from shared.idempotency.persistence.base import ClaimStatus
from shared.stores.redis import get_redis
from tests.utils.http_functions import declare
from tests.utils.idempotency import client_for, http_request, new_record_key


@pytest.fixture
def platform_redis_on(private_redis, monkeypatch) -> Iterator[object]:
    """Point the platform settings (and get_redis) at a private server for one test."""
    monkeypatch.setenv("REDIS_PORT", str(private_redis.port))
    reset_settings()
    get_redis.cache_clear()
    yield private_redis
    reset_settings()
    get_redis.cache_clear()


def _connections(server) -> int:
    return int(client_for(server).info("stats")["total_connections_received"])


def test_importing_and_declaring_opens_no_connection(platform_redis_on) -> None:
    # given a fresh interpreter pointed at a private Redis
    before = _connections(platform_redis_on)
    script = textwrap.dedent("""
        import azure.functions as func
        from shared.http.api import Api
        from shared.http.contract import contract_of
        from shared.idempotency import IdempotencyConfig, idempotent_message
        api = Api(described=False)
        @api.post("things", "Create a thing", idempotency=IdempotencyConfig(required=True))
        def a() -> None: ...
        @idempotent_message()
        def b(msg: func.QueueMessage) -> None: ...
        assert contract_of(api.functions["a"]).idempotent
    """)
    # when it imports the packages, declares an idempotent endpoint and decorates a queue handler
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT, timeout=30)
    # then nobody connected to Redis (only our own INFO connection is counted)
    assert _connections(platform_redis_on) == before + 1


def test_default_persistence_is_the_platform_redis_resolved_at_call_time(platform_redis_on) -> None:
    runs: list[int] = []

    def create_thing() -> Response:
        runs.append(1)
        return Response(b"made", status_code=201)

    # (declared without a store: the layer is the platform's, found when a request arrives)
    endpoint = declare(create_thing, idempotency=IdempotencyConfig(ttl_seconds=60))
    endpoint(http_request("default-wiring"))
    assert endpoint(http_request("default-wiring")).headers[REPLAYED_HEADER] == "true"
    assert runs == [1]
    stats = idempotency_stats()
    assert (stats["miss"], stats["hit"], stats["stored"]) == (1, 1, 1)
    # (the counters live beside the record, under its hash tag, on the platform's Redis)
    assert client_for(platform_redis_on).keys("idempotency:stats:{*}") != []


def test_configured_persistence_replaces_the_default(persistence, key) -> None:
    def create_thing() -> Response:
        return Response(b"made", status_code=201)

    endpoint = declare(create_thing)  # idempotent by default (POST), no store of its own
    configure_persistence(persistence)
    try:
        endpoint(http_request(key))
        assert endpoint(http_request(key)).headers[REPLAYED_HEADER] == "true"
    finally:
        configure_persistence(None)
    assert persistence.stats()["hit"] == 1


def test_disabled_locally_runs_every_call(persistence, key, monkeypatch) -> None:
    monkeypatch.setenv("IDEMPOTENCY_DISABLED", "true")
    monkeypatch.setattr(config_module, "_warned", set())
    reset_settings()
    runs: list[int] = []

    def create_thing() -> Response:
        runs.append(1)
        return Response(b"made", status_code=201)

    endpoint = declare(
        create_thing,
        idempotency=IdempotencyConfig(required=True),
        idempotency_store=persistence,
    )
    try:
        assert endpoint(http_request(key)).status_code == 201
        assert REPLAYED_HEADER not in endpoint(http_request(key)).headers
        # not even the required key is checked
        assert endpoint(http_request(None)).status_code == 201
    finally:
        reset_settings()
    assert len(runs) == 3
    assert persistence.touched == set()


def test_claim_and_save_survive_a_client_retry_after_a_lost_reply(persistence, key) -> None:
    # given a claim whose reply was lost, so the client sends the same script again
    record = new_record_key()
    persistence.touched.add(record)
    claim = persistence.claim(record, request_fingerprint("POST", "/p", b""), 5_000)
    retried = persistence._put_record(record, claim.lease[1:65].decode(), claim.lease, 5_000)
    # then the retry sees its own lease: still CLAIMED, not "in progress"
    assert retried[0] is ClaimStatus.CLAIMED
    # and a retried save reports success instead of a lost lease
    assert persistence.save(claim, b"{}\nbody", 5_000) is True
    assert persistence.save(claim, b"{}\nbody", 5_000) is True
    assert persistence.stats().get("lease_lost", 0) == 0
