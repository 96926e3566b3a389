"""Factories shared by the idempotency tests: requests, record keys, a round-trip counter."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shared.http.call import Headers, HttpCall
from shared.idempotency.keys import record_key, scoped_key_hash
from shared.idempotency.persistence.redis import RedisPersistenceLayer
from shared.identity import caller_identity
from tests.utils.http_functions import TestRequest
from tests.utils.servers import RedisServer

URL = "http://localhost:7071/api/things"
BODY = b'{"name": "widget", "size": 3}'


def new_key() -> str:
    """A fresh idempotency key (tests never share one)."""
    return str(uuid.uuid4())


def new_record_key() -> str:
    """A fresh record key in the layout the app uses (with its hash tag)."""
    return record_key(hashlib.sha256(new_key().encode()).hexdigest())


def http_request(
    key: str | None,
    body: bytes = BODY,
    *,
    credential: str = "client-a",
    method: str = "POST",
    url: str = URL,
    headers: dict[str, str] | None = None,
) -> TestRequest:
    """A POST as a client sends it; ``key`` is sent as an sf-string."""
    all_headers = {"content-type": "application/json", "x-functions-key": credential}
    if key is not None:
        all_headers["Idempotency-Key"] = f'"{key}"'
    all_headers.update(headers or {})
    return TestRequest(method, url, headers=all_headers, body=body)


def record_key_for(handler: Callable[..., Any], req: TestRequest, key: str) -> str:
    """The Redis key the endpoint uses for ``key`` sent to ``handler`` by ``req``'s caller."""
    name = f"{handler.__module__}.{handler.__qualname__}"
    view = HttpCall(req.method, req.url, Headers(dict(req.headers)))
    return record_key(scoped_key_hash(caller_identity(view), name, key))


class CountingConnection(redis.Connection):
    """A redis-py connection recording every command it writes (one round trip each)."""

    sent: ClassVar[list[bytes]] = []

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        first = command if isinstance(command, bytes) else b"".join(command)
        CountingConnection.sent.append(first.split(b"\r\n")[2])  # the command name
        super().send_packed_command(command, check_health)


def counting_client(port: int = 6379) -> redis.Redis:
    """A client on 127.0.0.1:port, as the idempotency user, whose connections record the
    commands they send."""
    from shared.config import Settings

    username, password = Settings().redis_credentials("idempotency")
    pool = redis.ConnectionPool(
        host="127.0.0.1",
        port=port,
        username=username,
        password=password.get_secret_value() if password else None,
        connection_class=CountingConnection,
    )
    return redis.Redis(connection_pool=pool)


class CountingClient:
    """A minimal ``RedisClientProtocol`` implementation (no redis-py pool): forwards to a real
    client and records the calls it receives."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[str] = []

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: str | bytes | int) -> Any:
        self.calls.append("EVALSHA")
        return self.client.evalsha(sha, numkeys, *keys_and_args)

    def script_load(self, script: str) -> Any:
        self.calls.append("SCRIPT LOAD")
        return self.client.script_load(script)

    def hgetall(self, name: str) -> Any:
        self.calls.append("HGETALL")
        return self.client.hgetall(name)


class TrackingPersistence(RedisPersistenceLayer):
    """The real Redis layer, remembering every record key it claimed so a test can clean up."""

    def __init__(
        self,
        client: Any,
        *,
        stats_key: str,
        dedicated_connections: bool = True,
        wait_replicas: int = 0,
    ) -> None:
        super().__init__(
            client,
            stats_key=stats_key,
            dedicated_connections=dedicated_connections,
            wait_replicas=wait_replicas,
        )
        self.touched: set[str] = set()

    def claim(
        self, record_key: str, fingerprint: str, lease_ms: int, *, delivery: int | None = None
    ) -> Any:
        self.touched.add(record_key)
        return super().claim(record_key, fingerprint, lease_ms, delivery=delivery)


def client_for(server: RedisServer, **kwargs: object) -> redis.Redis:
    """A client as admin with short timeouts and no retries, so a stopped server fails at once."""
    return server.admin_client(
        socket_timeout=1,
        socket_connect_timeout=1,
        retry=Retry(NoBackoff(), 0),
        **kwargs,
    )
