"""``scripts/services.sh`` never adopts or reconfigures a server it did not start (issue #18).

A foreign server on a configured port makes ``start`` fail with a message naming the port and the
setting to change, and leaves that server as it was; the settings' addresses follow the chosen
ports (``scripts/local_env.py``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.servers import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from local_env import follow_ports  # noqa: E402


def run_services(state: Path, **ports: int) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LOCAL_STATE_DIR": str(state),
        **{name: str(port) for name, port in ports.items()},
    }
    return subprocess.run(
        [str(ROOT / "scripts" / "services.sh"), "start"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # the failure is what is asserted
    )


@pytest.fixture
def foreign_redis() -> Iterator[RedisServer]:
    """A redis-server this script did not start, with its own users (no ACL of ours)."""
    server = RedisServer(acl=False)
    with server:
        client = server.admin_client()
        client.execute_command("ACL", "SETUSER", "someone", "on", ">their-secret", "~*", "+get")
        client.execute_command("CONFIG", "SET", "requirepass", "their-default-password")
        yield server


def test_a_foreign_redis_on_the_port_stops_start_and_keeps_its_users(foreign_redis, tmp_path):
    import redis

    client = redis.Redis(
        host="127.0.0.1", port=foreign_redis.port, password="their-default-password"
    )
    users_before = client.execute_command("ACL", "LIST")

    result = run_services(tmp_path / "state", REDIS_PORT=foreign_redis.port)

    assert result.returncode != 0
    assert f"port {foreign_redis.port} is taken by another process" in result.stderr
    assert "REDIS_PORT" in result.stderr
    assert client.execute_command("ACL", "LIST") == users_before
    assert client.config_get("requirepass")["requirepass"] == "their-default-password"


def test_a_foreign_listener_on_the_postgres_port_stops_start(tmp_path):
    # Given: our own Redis (started by the script, on a free port) and a foreign listener where
    # PostgreSQL should go.
    listener = socket.create_server(("127.0.0.1", 0))
    pg_port = listener.getsockname()[1]
    state = tmp_path / "state"
    try:
        result = run_services(state, REDIS_PORT=free_port(), POSTGRES_PORT=pg_port)
    finally:
        listener.close()
        stop = subprocess.run(
            [str(ROOT / "scripts" / "services.sh"), "stop"],
            cwd=ROOT,
            env={**os.environ, "LOCAL_STATE_DIR": str(state)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0, result.stdout
    assert f"port {pg_port} is taken by another process" in result.stderr
    assert "POSTGRES_PORT" in result.stderr
    assert "redis    stopped" in stop.stdout  # only the server it started


def test_every_local_address_follows_the_chosen_ports():
    values = {
        "REDIS_PORT": "6379",
        "POSTGRES_DSN": "postgresql://postgres:pw@127.0.0.1:5432/mlplatform",
        "AzureWebJobsStorage": "AccountName=a;BlobEndpoint=http://127.0.0.1:10000/a;"
        "QueueEndpoint=http://127.0.0.1:10001/a;TableEndpoint=http://127.0.0.1:10002/a;",
    }
    env = {
        "REDIS_PORT": "7379",
        "POSTGRES_PORT": "6432",
        "AZURITE_BLOB_PORT": "11000",
        "AZURITE_QUEUE_PORT": "11001",
        "AZURITE_TABLE_PORT": "11002",
    }

    moved = follow_ports(values, env)

    assert moved["REDIS_PORT"] == "7379"
    assert moved["POSTGRES_DSN"] == "postgresql://postgres:pw@127.0.0.1:6432/mlplatform"
    assert moved["AzureWebJobsStorage"] == (
        "AccountName=a;BlobEndpoint=http://127.0.0.1:11000/a;"
        "QueueEndpoint=http://127.0.0.1:11001/a;TableEndpoint=http://127.0.0.1:11002/a;"
    )
    remote = {"POSTGRES_DSN": "postgresql://u:p@db.example.com:5432/x"}
    assert follow_ports(remote, env)["POSTGRES_DSN"] == remote["POSTGRES_DSN"]
