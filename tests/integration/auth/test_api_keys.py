"""Issued API keys against the real PostgreSQL (the record) and Redis (its copy)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from shared.auth.api_keys import CACHE_PREFIX, ApiKeyStore
from shared.auth.principal import AuthMethod, Scope
from shared.config import Settings
from shared.errors import NotFoundError, ServiceUnavailableError, UnauthorizedError
from shared.stores.postgres import PostgresService, get_pool
from shared.stores.redis import RedisClient, RedisService, get_redis, redis_client_from_settings


def store(settings: Settings, cache: Callable[[], RedisClient] | None = None) -> ApiKeyStore:
    """The store as the app builds it: the client comes from ``cache`` (default: the auth user's
    process-wide client) each time it is needed, inside the store's Redis error handling."""
    return ApiKeyStore(
        lambda: get_pool(PostgresService.AUTH),
        cache or (lambda: get_redis(RedisService.AUTH)),
        settings,
    )


def unreachable_redis() -> RedisClient:
    """A client of a Redis (or Redis Cluster, per the settings) where nothing listens."""
    return redis_client_from_settings(Settings(redis_host="127.0.0.1", redis_port=1))


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def issue(keys: ApiKeyStore, tenant: str, **options) -> tuple[str, str]:
    record, key = keys.issue(
        tenant=tenant,
        user=options.pop("user", "alice"),
        name="test",
        scopes=options.pop("scopes", [Scope.VOICE, Scope.PREDICT]),
        created_by=f"{tenant}/admin",
        **options,
    )
    return record.id, key


def test_an_issued_key_authenticates_as_its_user_with_its_scopes(settings, tenant) -> None:
    keys = store(settings)
    key_id, key = issue(keys, tenant)
    principal = keys.authenticate(key)
    assert principal.owner == f"{tenant}/alice"
    assert principal.scopes == {Scope.VOICE, Scope.PREDICT}
    assert principal.method is AuthMethod.API_KEY
    assert principal.credential_id == key_id
    assert key.startswith(f"mlp_{key_id}_")


def test_the_secret_is_stored_nowhere(settings, tenant, redis_client) -> None:
    keys = store(settings)
    key_id, key = issue(keys, tenant)
    keys.authenticate(key)  # fills the Redis copy
    secret = key.removeprefix(f"mlp_{key_id}_")  # the secret itself may contain "_"
    assert len(secret) == 43
    with get_pool().connection() as conn:
        row = conn.execute(
            "SELECT api_keys::text FROM api_keys WHERE id = %s", (key_id,)
        ).fetchone()
    assert row is not None
    assert secret not in row[0]
    cached = redis_client.get(CACHE_PREFIX + key_id)
    assert cached is not None
    assert secret.encode() not in cached


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # wrong secret
        lambda key: "mlp_" + "0" * 12 + key[16:],  # unknown id
        lambda key: key[:-2],  # malformed
        lambda key: key.replace("mlp_", "sk_"),
    ],
)
def test_a_wrong_key_is_refused_with_one_answer(settings, tenant, mangle) -> None:
    keys = store(settings)
    _, key = issue(keys, tenant)
    keys.authenticate(key)  # cached: the wrong secret is judged against the copy too
    with pytest.raises(UnauthorizedError) as raised:
        keys.authenticate(mangle(key))
    assert raised.value.detail == "invalid, expired or revoked API key"


def test_revocation_is_seen_at_once_by_every_process(settings, tenant) -> None:
    # two stores share nothing but Redis and PostgreSQL, as two function instances
    instance_a, instance_b = store(settings), store(settings)
    key_id, key = issue(instance_a, tenant)
    assert instance_a.authenticate(key).user == "alice"  # A has it cached
    revoked = instance_b.revoke(tenant, key_id)
    assert revoked.revoked_at is not None
    with pytest.raises(UnauthorizedError):
        instance_a.authenticate(key)
    # and after the Redis copy is gone, the record still says no
    get_redis(RedisService.AUTH).delete(CACHE_PREFIX + key_id)
    with pytest.raises(UnauthorizedError):
        instance_a.authenticate(key)


def test_another_tenant_cannot_revoke_or_list_a_key(settings, tenant) -> None:
    keys = store(settings)
    key_id, key = issue(keys, tenant)
    with pytest.raises(NotFoundError):
        keys.revoke("someone-else", key_id)
    assert key_id not in {k.id for k in keys.list_keys("someone-else")}
    assert keys.authenticate(key).user == "alice"
    with pytest.raises(NotFoundError):
        keys.revoke(tenant, "not-an-id")


def test_listing_shows_use_and_revocation(settings, tenant) -> None:
    keys = store(settings)
    used_id, used = issue(keys, tenant, user="bob")
    revoked_id, _ = issue(keys, tenant, user="carol")
    keys.authenticate(used)
    keys.revoke(tenant, revoked_id)
    listed = {k.id: k for k in keys.list_keys(tenant)}
    assert set(listed) == {used_id, revoked_id}
    assert listed[used_id].last_used_at is not None
    assert listed[used_id].revoked_at is None
    assert listed[revoked_id].revoked_at is not None
    assert listed[revoked_id].last_used_at is None


def test_an_expired_key_is_refused(settings, tenant) -> None:
    keys = store(settings)
    _, key = issue(keys, tenant, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(UnauthorizedError):
        keys.authenticate(key)
    _, fresh = issue(keys, tenant, expires_at=datetime.now(UTC) + timedelta(days=1))
    assert keys.authenticate(fresh).user == "alice"


def test_with_redis_down_keys_are_judged_by_the_record(settings, tenant) -> None:
    keys = store(settings)
    key_id, key = issue(keys, tenant)
    blind = store(settings, cache=unreachable_redis)
    assert blind.authenticate(key).user == "alice"
    keys.revoke(tenant, key_id)
    with pytest.raises(UnauthorizedError):
        blind.authenticate(key)


def test_revoking_with_redis_down_is_503_and_changes_nothing(settings, tenant) -> None:
    keys = store(settings)
    key_id, key = issue(keys, tenant)
    keys.authenticate(key)  # a valid copy is cached
    with pytest.raises(ServiceUnavailableError):
        store(settings, cache=unreachable_redis).revoke(tenant, key_id)
    # not half-revoked: the record and the copy agree that the key is valid; a retry revokes it
    assert next(k for k in keys.list_keys(tenant) if k.id == key_id).revoked_at is None
    assert keys.authenticate(key).user == "alice"
    keys.revoke(tenant, key_id)
    with pytest.raises(UnauthorizedError):
        keys.authenticate(key)
