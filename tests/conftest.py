"""Suite-wide set-up: the local settings in the environment, and fixtures for the real services.

The services are the ones ``scripts/services.sh`` starts (``make test`` starts them). A fixture for
a service that does not answer fails the test with a message saying so: nothing is skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis

if TYPE_CHECKING:
    from tests.utils.redis_cluster import RedisClusterServers

ROOT = Path(__file__).resolve().parent.parent


def _load_local_settings() -> None:
    # The same file the Functions host loads; variables already set win, as with the host.
    # In-process tests must not start the SDK as a side effect of calling an endpoint: it would
    # instrument this process's clients (httpx adds its own traceparent). Telemetry tests install
    # the SDK themselves; devhost tests that need it set OTEL_SDK_DISABLED=false.
    os.environ.setdefault("OTEL_SDK_DISABLED", "true")
    path = ROOT / "local.settings.json"
    if not path.exists():
        path = ROOT / "local.settings.sample.json"
    for key, value in json.loads(path.read_text())["Values"].items():
        os.environ.setdefault(key, value)
    os.environ["APP_ENVIRONMENT"] = "test"


_load_local_settings()

from shared.config import Settings, get_settings, reset_settings  # noqa: E402
from shared.stores.redis import RedisClient, redis_client_from_settings  # noqa: E402


@pytest.fixture
def settings() -> Iterator[Settings]:
    """The settings in force; any environment change a test makes is forgotten afterwards."""
    reset_settings()
    yield get_settings()
    reset_settings()


@pytest.fixture(scope="session")
def redis_client(shared_redis_client: redis.Redis) -> redis.Redis:
    """A client as ``admin`` (every key and command) for the Redis the test uses: the shared
    local one, unless a suite's conftest makes it ``redis_topology`` (single, then cluster)."""
    return shared_redis_client


@pytest.fixture(scope="session")
def shared_redis_client() -> redis.Redis:
    """A client as ``admin`` (every key and command) for the shared local Redis; fails loudly
    when it is not running or has no ACL users yet."""
    from shared.stores.redis_acl import ADMIN_USER, admin_password

    admin = Settings(redis_username=ADMIN_USER, redis_password=admin_password())
    client = redis_client_from_settings(admin)
    assert isinstance(client, redis.Redis), "REDIS_CLUSTER is set for the shared single Redis"
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable as {ADMIN_USER} ({exc}); run `make services` "
            "(scripts/services.sh start sets up the ACL users)"
        )
    return client


@pytest.fixture(scope="session")
def redis_cluster_servers() -> Iterator[RedisClusterServers]:
    """A real Redis Cluster (three primaries with a replica each) for the whole session, started
    on first use; every node is stopped at the end. Fails loudly when it cannot start."""
    from tests.utils.redis_cluster import redis_cluster

    with redis_cluster() as cluster:
        yield cluster


@pytest.fixture(params=["single", "cluster"])
def redis_topology(
    request: pytest.FixtureRequest, shared_redis_client: redis.Redis
) -> Iterator[RedisClient]:
    """Runs a test twice: on the shared single Redis, then with the app's settings pointed at a
    real Redis Cluster (``REDIS_CLUSTER=true``). Yields an admin client for the Redis in use."""
    if request.param == "single":
        yield shared_redis_client
        return
    from tests.utils.redis_cluster import app_on_cluster

    cluster: RedisClusterServers = request.getfixturevalue("redis_cluster_servers")
    admin = cluster.admin_client()
    try:
        with app_on_cluster(cluster):
            yield admin
    finally:
        admin.close()


@pytest.fixture(autouse=True)
def _fresh_circuit_breakers() -> Iterator[None]:
    """Every test starts with closed breakers: one test's stopped dependency must not leave a
    breaker open (it is per process) for the tests after it."""
    from shared.resilience import reset_breakers

    reset_breakers()
    yield
    reset_breakers()
