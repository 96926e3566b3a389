"""Real dependencies taken away and given back through a TCP proxy (tests/utils/proxy.py), so the
shared Azurite and PostgreSQL keep running for everyone else.

For each store, through the platform's own seam (the classifier store for blobs, the database
error mapping of the repositories for PostgreSQL): with the proxy stopped the first call fails
with a 503 and opens the store's breaker (threshold 1); the next is refused at once without
touching the store; ``GET /api/services/status``'s checks report the store down and its breaker
open; once the proxy is back and the open interval has passed, the next call succeeds and the
breaker is closed again.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from shared.config import get_settings, reset_settings
from shared.errors import ServiceUnavailableError
from shared.health.checks import DEFAULT_CHECKS, DependencyStatus, check_dependencies
from shared.resilience import BreakerState, DependencyOpenError, breaker_states
from tests.utils.breakers import breakers, timed
from tests.utils.proxy import TcpProxy

OPEN_SECONDS = 3.0  # long enough to read the open state after a slow failure, short to wait out
REFUSED_WITHIN = 0.05  # an open breaker answers without touching the store


@pytest.fixture
def breaker_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Breakers that open on the first failure; settings and breakers restored afterwards."""
    with breakers(monkeypatch, threshold=1, open_seconds=OPEN_SECONDS) as patched:
        yield patched


def _status(name: str) -> DependencyStatus:
    """``GET /api/services/status``'s entry for ``name``, from the same checks in this process
    (breakers are per process: an app host would report its own)."""
    [status] = check_dependencies([c for c in DEFAULT_CHECKS if c.name == name], timeout=1.0)
    return status


def _state(name: str) -> BreakerState:
    return breaker_states()[name].state


# -- Azure Storage (blob) --------------------------------------------------------------------------


def _endpoint_through(proxy: TcpProxy, endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy.port}"))


@pytest.fixture
def storage_proxy(breaker_env: pytest.MonkeyPatch) -> Iterator[TcpProxy]:
    """The platform's blob and queue clients pointed at a proxy in front of Azurite's blob port
    (queue traffic is not exercised; its endpoint goes to the proxy so nothing bypasses it)."""
    from shared.stores import storage

    original = get_settings().storage_connection_string
    assert original is not None, "no storage connection string in the local settings"
    fields = dict(
        part.split("=", 1) for part in original.get_secret_value().split(";") if "=" in part
    )
    blob = urlsplit(fields["BlobEndpoint"])
    assert blob.hostname is not None
    assert blob.port is not None
    with TcpProxy(blob.hostname, blob.port) as proxy:
        fields["BlobEndpoint"] = _endpoint_through(proxy, fields["BlobEndpoint"])
        fields["QueueEndpoint"] = _endpoint_through(proxy, fields["QueueEndpoint"])
        connection_string = ";".join(f"{k}={v}" for k, v in fields.items())
        breaker_env.setenv("AzureWebJobsStorage", connection_string)
        breaker_env.delenv("STORAGE_CONNECTION_STRING", raising=False)
        reset_settings()
        storage.get_blob_service.cache_clear()
        storage.get_queue_service.cache_clear()
        try:
            yield proxy
        finally:
            storage.get_blob_service.cache_clear()
            storage.get_queue_service.cache_clear()


def _head(name: str) -> object:
    from shared.classify.heads import ClassifierHead

    return ClassifierHead(
        name=name,
        labels=["a", "b"],
        coefficients=[[0.5, -0.5]],
        intercepts=[0.1],
        embedding_model="test",
        dimension=2,
        examples=4,
        train_accuracy=1.0,
        regularization=1.0,
        trained_with="test",
        created_at="2026-01-01T00:00:00Z",
    )


@pytest.fixture
def owner() -> Iterator[str]:
    """A classifier owner of this test; its blobs are deleted afterwards (straight to Azurite)."""
    from shared.classify.store import blob_name
    from shared.stores.storage import blob_service_from_settings

    owner = f"outage-{uuid.uuid4().hex[:12]}"
    yield owner
    settings = get_settings()
    container = blob_service_from_settings(settings).get_container_client(
        settings.classifier_container
    )
    with contextlib.suppress(Exception):  # nothing to delete when the save never happened
        container.delete_blob(blob_name(owner, "outage"))


def test_storage_outage_opens_the_blob_breaker_and_it_closes_when_storage_returns(
    storage_proxy: TcpProxy, owner: str
) -> None:
    from shared.classify.heads import ClassifierHead
    from shared.classify.store import load_head, save_head

    head = _head("outage")
    assert isinstance(head, ClassifierHead)
    save_head(owner, head)
    assert load_head(owner, "outage") == head
    assert _state("blob") is BreakerState.CLOSED

    # Storage goes away: the call fails with a 503 (after the SDK's own retries) and opens it.
    storage_proxy.stop()
    error, _ = timed(lambda: load_head(owner, "outage"))
    assert isinstance(error, ServiceUnavailableError)
    assert not isinstance(error, DependencyOpenError)
    assert error.status == 503
    assert _state("blob") is BreakerState.OPEN

    # While open: refused at once, without a request to storage.
    error, elapsed = timed(lambda: load_head(owner, "outage"))
    assert isinstance(error, DependencyOpenError)
    assert error.status == 503
    assert error.dependency == "blob"
    assert int(error.headers["Retry-After"]) >= 1
    assert elapsed < REFUSED_WITHIN

    status = _status("blob")
    assert not status.ok
    assert status.required
    assert status.breaker == "open"
    assert status.breaker_retry_after is not None
    assert status.breaker_retry_after > 0

    # Storage is back; after the open interval the next call is the probe, and it closes it.
    storage_proxy.start()
    time.sleep(breaker_states()["blob"].retry_after)
    assert _state("blob") is BreakerState.HALF_OPEN
    assert load_head(owner, "outage") == head
    assert _state("blob") is BreakerState.CLOSED
    status = _status("blob")
    assert status.ok
    assert status.breaker == "closed"
    assert status.breaker_failures == 0


# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def postgres_proxy(breaker_env: pytest.MonkeyPatch) -> Iterator[TcpProxy]:
    """Every platform pool pointed at a proxy in front of the shared PostgreSQL (host and port
    come from ``POSTGRES_DSN`` for every service's role). The pool's wait
    (``POSTGRES_CONNECT_TIMEOUT_SECONDS``) covers its reconnection back-off (1, 2, 4 s)."""
    from shared.stores import postgres

    dsn = urlsplit(get_settings().postgres_dsn.get_secret_value())
    assert dsn.hostname is not None
    with TcpProxy(dsn.hostname, dsn.port or 5432) as proxy:
        credentials = dsn.netloc.rpartition("@")[0]
        proxied = urlunsplit(dsn._replace(netloc=f"{credentials}@127.0.0.1:{proxy.port}"))
        breaker_env.setenv("POSTGRES_DSN", proxied)
        breaker_env.setenv("POSTGRES_POOL_MIN", "1")
        breaker_env.setenv("POSTGRES_CONNECT_TIMEOUT_SECONDS", "5")
        reset_settings()
        postgres._pool.cache_clear()
        try:
            yield proxy
        finally:
            # Every pool made through the proxy (an unused one is made here, unopened: cheap).
            pools = [postgres._pool(s) for s in (None, *postgres.PostgresService)]
            postgres._pool.cache_clear()
            for pool in pools:
                pool.close(timeout=0)


def _select_one() -> object:
    """One query the way the stores make them: 503 when the database cannot be reached. The
    pool of ``POSTGRES_DSN``'s own credentials: the breaker and the pool's recovery are the same
    for every service's role, and this one needs no role set up."""
    from shared.stores.database import database_errors
    from shared.stores.postgres import get_pool

    with database_errors(), get_pool().connection() as conn:
        row = conn.execute("SELECT 1").fetchone()
    return row[0] if row else None


def _idle_connections(count: int) -> None:
    """Leave ``count`` connections idle in the pool (all opened at once, then given back)."""
    from shared.stores.postgres import get_pool

    pool = get_pool()
    with contextlib.ExitStack() as stack:
        for conn in [stack.enter_context(pool.connection()) for _ in range(count)]:
            conn.execute("SELECT 1")
    assert pool.get_stats()["pool_available"] >= count


def _outage_opens_the_breaker(proxy: TcpProxy) -> None:
    """Stop the database: 503 and the breaker opens; refused at once; the status says so."""
    proxy.stop()
    error, _ = timed(_select_one)
    assert isinstance(error, ServiceUnavailableError)
    assert not isinstance(error, DependencyOpenError)
    assert _state("postgres") is BreakerState.OPEN

    error, elapsed = timed(_select_one)
    assert isinstance(error, DependencyOpenError)
    assert error.dependency == "postgres"
    assert int(error.headers["Retry-After"]) >= 1
    assert elapsed < REFUSED_WITHIN

    status = _status("postgres")
    assert not status.ok
    assert status.breaker == "open"


def _return_closes_the_breaker(proxy: TcpProxy) -> None:
    """Start the database again: after the open interval the next call (the probe) succeeds
    and closes the breaker."""
    proxy.start()
    time.sleep(breaker_states()["postgres"].retry_after)
    assert _state("postgres") is BreakerState.HALF_OPEN
    assert _select_one() == 1
    assert _state("postgres") is BreakerState.CLOSED
    assert _select_one() == 1  # and stays so
    assert _state("postgres") is BreakerState.CLOSED


def test_postgres_outage_opens_the_breaker_and_the_pool_recovers_when_it_returns(
    postgres_proxy: TcpProxy, breaker_env: pytest.MonkeyPatch
) -> None:
    # One connection at most: the one in use when the database went away is the one that
    # failed, so the pool holds no connection from before the outage.
    breaker_env.setenv("POSTGRES_POOL_MAX", "1")
    reset_settings()
    assert _select_one() == 1
    assert _state("postgres") is BreakerState.CLOSED
    _outage_opens_the_breaker(postgres_proxy)
    _return_closes_the_breaker(postgres_proxy)


def test_postgres_probe_after_an_outage_is_not_spent_on_a_dead_pooled_connection(
    postgres_proxy: TcpProxy,
) -> None:
    """Connections that sat idle in the pool through the outage are dead once the database is
    back; the probe must get a live one, or the breaker stays open for another interval (and
    one more per dead connection)."""
    _idle_connections(3)
    assert _state("postgres") is BreakerState.CLOSED
    _outage_opens_the_breaker(postgres_proxy)
    _return_closes_the_breaker(postgres_proxy)


# -- What the soak found (bench/soak.py): stores that answered 500, a slot left behind ----------


def test_media_and_job_reads_are_503_not_500_while_postgres_is_down(
    postgres_proxy: TcpProxy,
) -> None:
    """An upload (its hash lookup) and a job's status read while PostgreSQL is away: 503s with
    Retry-After through the breaker, as every other store's queries are."""
    from shared.jobs.repository import JobRepository
    from shared.media.repository import MediaRepository
    from shared.stores.postgres import get_pool

    postgres_proxy.stop()
    calls = (
        lambda: MediaRepository(get_pool()).file_by_hash("soak-owner", "0" * 64),
        lambda: JobRepository(get_pool()).get(uuid.uuid4(), "soak-owner"),
    )
    for call in calls:
        error, _ = timed(call)
        assert isinstance(error, ServiceUnavailableError), error
        assert int(error.headers["Retry-After"]) >= 1


def test_a_submission_that_fails_while_postgres_is_down_frees_its_job_slot(
    postgres_proxy: TcpProxy,
) -> None:
    """The slot taken before the row is written is freed even though removing the row fails too
    (the database is down): the owner's concurrency is not eaten by submissions that never ran."""
    from shared.jobs.limits import active_slots
    from shared.jobs.service import submit_job
    from shared.stores.redis import RedisService, get_redis

    owner = f"slot-{uuid.uuid4().hex[:8]}"
    postgres_proxy.stop()
    with pytest.raises(ServiceUnavailableError):
        submit_job(owner, "speech", {"file_id": str(uuid.uuid4())})
    assert active_slots(get_redis(RedisService.JOBS), owner) == []


def test_an_upload_while_storage_is_down_is_503_not_500(storage_proxy: TcpProxy) -> None:
    """A streamed upload's blocks cannot be staged: 503 with Retry-After through the blob
    breaker (the soak's Azurite restart answered 500 here)."""
    from shared.media.blobs import media_container
    from shared.media.uploads import StagedFile

    container = media_container()
    staged = StagedFile(blob=container.get_blob_client(f"outage-{uuid.uuid4()}"), limit=1024)
    staged.write(b"%PDF-1.4 a small file")
    storage_proxy.stop()
    error, _ = timed(staged.finish)
    assert isinstance(error, ServiceUnavailableError), error
    assert int(error.headers["Retry-After"]) >= 1
    assert _state("blob") is BreakerState.OPEN


def test_the_pool_stops_backing_off_within_one_breaker_interval(
    breaker_env: pytest.MonkeyPatch,
) -> None:
    """The pool's reconnection back-off doubles (1, 2, 4, 8 s ...) until ``reconnect_timeout``:
    bounded by the breaker's interval, a database that is back is tried again by the next
    request instead of up to 16 s later (the soak's PostgreSQL restart recovered in two
    intervals, its first probe spent waiting on the back-off)."""
    from shared.stores.postgres import pool_from_settings

    settings = get_settings()
    pool = pool_from_settings(settings)
    assert pool.reconnect_timeout <= max(
        settings.breaker_open_seconds, settings.postgres_connect_timeout_seconds
    )
