"""How scripts reach Redis: a dedicated connection per thread, or the client's own calls.

A HIT must cost one round trip and as little else as possible. Through ``redis.Redis`` each
command also pays for checking a connection out of the pool (with a readiness poll), the retry
wrapper and the response-callback lookup: about as much again as the loopback round trip itself.
So when the injected client exposes a standard redis-py pool, each thread gets one connection of
its own, built from the pool's settings (host, credentials, TLS, timeouts, protocol), and sends
EVALSHA on it directly.

Failure policy of the dedicated connections: no backoff retries (an outage must be reported within
one connect timeout, so ``fail_closed`` answers 503 promptly and ``fail_open`` runs promptly) but
one immediate retry on a fresh socket after a connection error, which covers a server that closed
an idle connection. Retrying is safe because every script recognises its own earlier effect.

A thread's connection is closed when the thread ends (the connection is garbage collected) and is
rebuilt after a fork. Clients without a standard pool (custom ``RedisClientProtocol``
implementations) are called through ``evalsha`` as usual.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from redis import exceptions as redis_errors
from redis.backoff import NoBackoff
from redis.retry import Retry


class ThreadConnections:
    """One redis-py connection per thread, configured like the given pool's connections."""

    def __init__(self, pool: Any) -> None:
        self._connection_class = pool.connection_class
        self._kwargs = {**pool.connection_kwargs, "retry": Retry(NoBackoff(), 0)}
        self._local = threading.local()

    @classmethod
    def for_client(cls, client: Any) -> ThreadConnections | None:
        """Dedicated connections for ``client``, or None when it has no standard pool."""
        pool = getattr(client, "connection_pool", None)
        if pool is None or not hasattr(pool, "connection_class"):
            return None
        if not isinstance(getattr(pool, "connection_kwargs", None), dict):
            return None
        return cls(pool)

    def execute(self, *args: str | bytes | int, retry: bool = True) -> Any:
        """Send one command and return its raw reply (one round trip). ``retry=False`` for a
        command that must run on the connection of the previous one (WAIT counts the replicas
        that acknowledged *this connection's* writes: on a fresh socket it would count any)."""
        try:
            return self._round_trip(self._connection(), args)
        except redis_errors.ConnectionError:
            if not retry:
                raise
            # A socket the server closed while idle fails on first use; one retry reconnects.
            return self._round_trip(self._connection(), args)

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.pid != os.getpid():
            connection = self._connection_class(**self._kwargs)
            self._local.connection = connection
        return connection

    @staticmethod
    def _round_trip(connection: Any, args: tuple[str | bytes | int, ...]) -> Any:
        try:
            connection.send_command(*args)
            return connection.read_response()
        except redis_errors.ResponseError:
            raise  # an error reply (e.g. NOSCRIPT): the connection is in a clean state
        except BaseException:
            # Anything else (I/O error, timeout, interrupt mid-reply) may leave a half-read
            # reply on the socket: never reuse it.
            connection.disconnect()
            raise
