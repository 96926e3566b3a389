"""A real Redis Cluster on 127.0.0.1 for tests: three primaries, one replica each, free ports.

Every node is a :class:`RedisServer` with the project's ACL users (``shared.stores.redis_acl``),
so the app's per-feature credentials work on the cluster exactly as on the single server. The
replicas authenticate to their primary as ``admin``. ``cluster-node-timeout`` is short so that a
killed primary is replaced by its replica within about two seconds.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from redis.cluster import ClusterNode, RedisCluster

from tests.utils.servers import RedisServer, free_port

NODE_TIMEOUT_MS = 1000
PRIMARIES = 3


def _cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free and valid too."""
    for _ in range(100):
        port = free_port()
        if port < 55_000 and _is_free(port + 10_000):
            return port
    raise AssertionError("no free port pair for a Redis Cluster node")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class RedisClusterServers:
    """Six ``redis-server`` processes joined into one cluster (``start``/``stop``)."""

    nodes: list[RedisServer] = field(default_factory=list)

    @property
    def port(self) -> int:
        """The seed node's port: a client finds the others from it."""
        return self.nodes[0].port

    def start(self) -> None:
        from shared.stores import redis_acl

        cluster_args = (
            "--cluster-enabled",
            "yes",
            "--cluster-node-timeout",
            str(NODE_TIMEOUT_MS),
            "--masteruser",
            redis_acl.ADMIN_USER,
            "--masterauth",
            redis_acl.admin_password(),
        )
        for _ in range(PRIMARIES * 2):
            node = RedisServer(port=_cluster_port(), extra_args=cluster_args)
            node.start()
            self.nodes.append(node)
        self._create()
        self._wait_until_ready()

    def _create(self) -> None:
        from shared.stores import redis_acl

        binary = shutil.which("redis-cli")
        if binary is None:
            raise AssertionError("redis-cli is not installed (Debian package redis-tools)")
        result = subprocess.run(
            [
                binary,
                "--user",
                redis_acl.ADMIN_USER,
                "--pass",
                redis_acl.admin_password(),
                "--no-auth-warning",
                "--cluster",
                "create",
                *(f"127.0.0.1:{node.port}" for node in self.nodes),
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"redis-cli --cluster create failed: {result.stdout[-2000:]}")

    def _wait_until_ready(self, timeout: float = 30.0) -> None:
        """Every node sees a healthy cluster and every replica is in sync with its primary."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._ready(node) for node in self.nodes):
                return
            time.sleep(0.1)
        raise AssertionError(f"the test Redis Cluster is not ready after {timeout} s")

    @staticmethod
    def _ready(node: RedisServer) -> bool:
        client = node.admin_client(socket_timeout=2)
        try:
            state = client.execute_command("CLUSTER", "INFO")
            text = state.decode() if isinstance(state, bytes) else str(state)
            if "cluster_state:ok" not in text:
                return False
            replication = client.info("replication")
            return replication["role"] == "master" or replication["master_link_status"] == "up"
        except redis.RedisError:
            return False
        finally:
            client.close()

    def primary_of(self, key: str) -> RedisServer:
        """The node that serves ``key``'s slot now."""
        client = self.admin_client()
        try:
            node = client.get_node_from_key(key)
            return next(n for n in self.nodes if n.port == node.port)
        finally:
            client.close()

    def restart(self, node: RedisServer) -> None:
        """Start a killed ``node`` again (same port and cluster state): it rejoins as a replica
        of the primary that replaced it; wait until the whole cluster is in sync."""
        node.start()
        self._wait_until_ready()

    def admin_client(self, **kwargs: Any) -> RedisCluster:
        """A cluster client as ``admin`` (every key and command), seeded by every live node."""
        from shared.stores import redis_acl

        live = [ClusterNode("127.0.0.1", n.port) for n in self.nodes if n._process is not None]
        return RedisCluster(
            startup_nodes=live,
            username=redis_acl.ADMIN_USER,
            password=redis_acl.admin_password(),
            **kwargs,
        )

    def stop(self) -> None:
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.__exit__()
        self.nodes.clear()


@contextlib.contextmanager
def redis_cluster() -> Iterator[RedisClusterServers]:
    """A started cluster for the block; every node is gone afterwards, even on failure."""
    cluster = RedisClusterServers()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@contextlib.contextmanager
def app_on_cluster(cluster: RedisClusterServers, **settings: str) -> Iterator[None]:
    """The app's settings point at ``cluster`` (``REDIS_CLUSTER=true``, its seed node) for the
    block: every client from ``get_redis`` is a cluster client, as on Azure with OSS clustering.
    ``settings``: more app settings for the block (``REDIS_WAIT_REPLICAS="1"``)."""
    from shared.config import reset_settings
    from shared.stores.redis import get_redis

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REDIS_CLUSTER", "true")
        patch.setenv("REDIS_HOST", "127.0.0.1")
        patch.setenv("REDIS_PORT", str(cluster.port))
        patch.delenv("REDIS_URL", raising=False)
        for name, value in settings.items():
            patch.setenv(name, value)
        reset_settings()
        get_redis.cache_clear()
        try:
            yield
        finally:
            reset_settings()
            get_redis.cache_clear()
    reset_settings()
    get_redis.cache_clear()
