"""Suite-wide set-up: the local settings in the environment, and fixtures for the real services.

The services are the ones ``scripts/services.sh`` starts (``make test`` starts them). A fixture for
a service that does not answer fails the test with a message saying so: nothing is skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

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
from shared.stores.redis import redis_client_from_settings  # noqa: E402


@pytest.fixture
def settings() -> Iterator[Settings]:
    """The settings in force; any environment change a test makes is forgotten afterwards."""
    reset_settings()
    yield get_settings()
    reset_settings()


@pytest.fixture(scope="session")
def redis_client() -> redis.Redis:
    """A client as ``admin`` (every key and command) for the shared local Redis; fails loudly
    when it is not running or has no ACL users yet."""
    from shared.stores.redis_acl import ADMIN_USER, admin_password

    admin = Settings(redis_username=ADMIN_USER, redis_password=admin_password())
    client = redis_client_from_settings(admin)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable as {ADMIN_USER} ({exc}); run `make services` "
            "(scripts/services.sh start sets up the ACL users)"
        )
    return client


@pytest.fixture(autouse=True)
def _fresh_circuit_breakers() -> Iterator[None]:
    """Every test starts with closed breakers: one test's stopped dependency must not leave a
    breaker open (it is per process) for the tests after it."""
    from shared.resilience import reset_breakers

    reset_breakers()
    yield
    reset_breakers()
