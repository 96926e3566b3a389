"""Default wiring: lazy settings and client, IDEMPOTENCY_DISABLED, the stats function, retries."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import azure.functions as func
import pytest

from shared.config import reset_settings
from shared.idempotency import REPLAYED_HEADER, configure_persistence, idempotency_stats, idempotent
from shared.idempotency import config as config_module
from shared.idempotency.keys import request_fingerprint
from shared.idempotency.persistence.base import ClaimStatus
from shared.stores.redis import get_redis
from tests.conftest import ROOT
from tests.functional.idempotency.support import http_request
from tests.integration.idempotency.conftest import client_for


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


def test_importing_and_decorating_opens_no_connection(platform_redis_on) -> None:
    # given a fresh interpreter pointed at a private Redis
    before = _connections(platform_redis_on)
    script = textwrap.dedent("""
        import azure.functions as func
        from shared.idempotency import idempotent, idempotent_message
        @idempotent(required=True)
        def a(req: func.HttpRequest) -> func.HttpResponse: ...
        @idempotent_message()
        def b(msg: func.QueueMessage) -> None: ...
    """)
    # when it imports the package and decorates handlers
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT, timeout=30)
    # then nobody connected to Redis (only our own INFO connection is counted)
    assert _connections(platform_redis_on) == before + 1


def test_default_persistence_is_the_platform_redis_resolved_at_call_time(platform_redis_on) -> None:
    runs: list[int] = []

    @idempotent(ttl_seconds=60)
    def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        runs.append(1)
        return func.HttpResponse(b"made", status_code=201)

    create_thing(http_request("default-wiring"))
    assert create_thing(http_request("default-wiring")).headers[REPLAYED_HEADER] == "true"
    assert runs == [1]
    stats = idempotency_stats()
    assert (stats["miss"], stats["hit"], stats["stored"]) == (1, 1, 1)
    assert client_for(platform_redis_on).exists("idempotency:stats") == 1


def test_configured_persistence_replaces_the_default(persistence, key) -> None:
    @idempotent()
    def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(b"made", status_code=201)

    configure_persistence(persistence)
    try:
        create_thing(http_request(key))
        assert create_thing(http_request(key)).headers[REPLAYED_HEADER] == "true"
    finally:
        configure_persistence(None)
    assert persistence.stats()["hit"] == 1


def test_disabled_locally_runs_every_call(persistence, key, monkeypatch) -> None:
    monkeypatch.setenv("IDEMPOTENCY_DISABLED", "true")
    monkeypatch.setattr(config_module, "_warned", set())
    reset_settings()
    runs: list[int] = []

    @idempotent(persistence=persistence, required=True)
    def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        runs.append(1)
        return func.HttpResponse(b"made", status_code=201)

    try:
        create_thing(http_request(key))
        create_thing(http_request(key))
        create_thing(http_request(None))  # not even the required key is checked
    finally:
        reset_settings()
    assert len(runs) == 3
    assert persistence.touched == set()


def test_claim_and_save_survive_a_client_retry_after_a_lost_reply(persistence, key) -> None:
    # given a claim whose reply was lost, so the client sends the same script again
    record = f"idempotency:test:{key}"
    persistence.touched.add(record)
    claim = persistence.claim(record, request_fingerprint("POST", "/p", b""), 5_000)
    retried = persistence._put_record(record, claim.lease[1:65].decode(), claim.lease, 5_000)
    # then the retry sees its own lease: still CLAIMED, not "in progress"
    assert retried[0] is ClaimStatus.CLAIMED
    # and a retried save reports success instead of a lost lease
    assert persistence.save(claim, b"{}\nbody", 5_000) is True
    assert persistence.save(claim, b"{}\nbody", 5_000) is True
    assert persistence.stats().get("lease_lost", 0) == 0
