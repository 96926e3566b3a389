"""A Redis user limited to ~idempotency:* and the commands the scripts need is enough."""

from __future__ import annotations

import json
import logging

import pytest
import redis
from starlette.responses import Response

from shared.http.call import HttpCall
from shared.idempotency import (
    REPLAYED_HEADER,
    IdempotencyConfig,
    RedisPersistenceLayer,
    idempotency_stats,
)
from tests.utils.auth import auth_headers
from tests.utils.http_functions import Sent, declare
from tests.utils.idempotency import client_for, http_request

PASSWORD = "idem-test-password"
NEEDED = ["+evalsha", "+script|load", "+get", "+set", "+del", "+hincrby", "+pttl", "+hgetall"]


def _create_user(server, commands: list[str]) -> redis.Redis:
    admin = client_for(server)
    admin.execute_command(
        "ACL",
        "SETUSER",
        "idempotency",
        "reset",
        "on",
        f">{PASSWORD}",
        "~idempotency:*",
        "resetchannels",
        "-@all",
        *commands,
    )
    return client_for(server, username="idempotency", password=PASSWORD)


def test_least_privilege_user_runs_every_path(private_redis, key, caplog) -> None:
    # given a user that may touch only idempotency:* with the needed commands
    client = _create_user(private_redis, NEEDED)
    layer = RedisPersistenceLayer(client)
    nested: list[Sent] = []

    def create_thing(call: HttpCall) -> Response:
        if not nested:
            nested.append(endpoint(http_request(key)))  # in progress -> 409
        if call.get_body() == b"fail":
            raise RuntimeError("release path")
        return Response(b"made", status_code=201)

    config = IdempotencyConfig(ttl_seconds=60)
    endpoint = declare(create_thing, idempotency=config, idempotency_store=layer)

    # when every path runs (miss+save, conflict, hit, mismatch, release, stats)
    assert endpoint(http_request(key)).status_code == 201
    assert nested[0].status_code == 409
    assert endpoint(http_request(key)).headers[REPLAYED_HEADER] == "true"
    assert endpoint(http_request(key, b"other")).status_code == 422
    with caplog.at_level(logging.ERROR):
        assert endpoint(http_request("another-key", b"fail")).status_code == 500
    assert any(r.exc_info and "release path" in str(r.exc_info[1]) for r in caplog.records)
    stats = idempotency_stats(client)
    # then all of it worked with those permissions
    assert stats["stored"] == 1
    assert stats["released_error"] == 1
    # and the user really is limited
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.get("not-idempotency")


def test_missing_permission_is_a_500_never_a_silent_fail_open(private_redis, key) -> None:
    # given a user without HINCRBY (a misconfigured ACL), on a fail_open endpoint
    client = _create_user(private_redis, [c for c in NEEDED if c != "+hincrby"])
    runs: list[int] = []

    def create_thing(call: HttpCall) -> Response:
        runs.append(1)
        return Response(b"made", status_code=201)

    endpoint = declare(
        create_thing,
        public=False,
        status=201,
        idempotency=IdempotencyConfig(on_redis_error="fail_open"),
        idempotency_store=RedisPersistenceLayer(client),
    )
    # when called / then it fails loudly: a configuration bug must not drop the guarantee
    response = endpoint(http_request(key, headers=auth_headers("acl-test")))
    assert response.status_code == 500
    assert json.loads(response.get_body())["status"] == 500
    assert runs == []
