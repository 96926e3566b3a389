"""Redis ACL users (shared/stores/redis_acl.py) on the shared local Redis set up by
``make services``: each feature's user reaches its own keys only, no dangerous command, and the
default user needs its password. Destructive commands are only ever sent to a private server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from pydantic import SecretStr

from shared.config import Settings, get_settings
from shared.stores.redis import RedisClient, RedisService, get_redis, redis_client_from_settings
from shared.stores.redis_acl import DENIED, KEY_PATTERNS
from tests.utils.redis_cluster import app_on_cluster
from tests.utils.servers import RedisServer

FEATURES = [s for s in RedisService if s is not RedisService.HEALTH]
# One key of each feature's own, in the form the feature writes them.
OWN_KEY = {
    RedisService.IDEMPOTENCY: "idempotency:acl-test:{}",
    RedisService.VOICE: "voice:cache:acl-test:{}",
    RedisService.CHAT: "chat:session:acl-test:{}",
    RedisService.RATELIMIT: "ratelimit:acl-test:{}",
    RedisService.JOBS: "jobs:active:acl-test:{}",
    RedisService.AUTH: "auth:key:acl-test:{}",
}
# Read-only or harmless when wrongly allowed: sent for real to the shared server.
HARMLESS_REFUSED = [
    ("CONFIG", "GET", "maxmemory"),
    ("KEYS", "*"),
    ("ACL", "LIST"),
    ("ACL", "SETUSER", "intruder", "on", "nopass", "~*", "+@all"),
    ("INFO",),
    ("MONITOR",),
    ("CLIENT", "LIST"),
]
# Destructive when wrongly allowed: only sent to a private server with the same users.
DESTRUCTIVE_REFUSED = [
    ("FLUSHALL",),
    ("FLUSHDB",),
    ("SCRIPT", "FLUSH"),
    ("DEBUG", "SLEEP", "0"),
    ("SHUTDOWN", "NOSAVE"),
    ("SWAPDB", "0", "1"),
]


@pytest.fixture(scope="module")
def settings() -> Settings:
    settings = Settings()
    missing = [s.value for s in RedisService if settings.redis_credentials(s)[0] is None]
    if missing:
        pytest.fail(
            f"REDIS_<FEATURE>_USERNAME unset for {missing}: run `make services` "
            "(it adds them to local.settings.json and creates the users)"
        )
    return settings


@pytest.fixture(scope="module")
def clients(settings: Settings) -> Iterator[dict[RedisService, RedisClient]]:
    """One client per feature user on the shared Redis; fails loudly if a user is missing."""
    made = {s: redis_client_from_settings(settings, s) for s in RedisService}
    for service, client in made.items():
        try:
            client.ping()
        except redis.AuthenticationError as exc:
            pytest.fail(
                f"Redis user {service.value!r} is missing or has another password ({exc}): "
                "run `make services`"
            )
    yield made
    for client in made.values():
        client.close()


def _pointed_at(server: RedisServer, settings: Settings) -> Settings:
    """``settings`` with the private ``server`` as their Redis (same users and passwords)."""
    return settings.model_copy(
        update={"redis_host": "127.0.0.1", "redis_port": server.port, "redis_url": None}
    )


def _key(service: RedisService) -> str:
    return OWN_KEY[service].format(uuid.uuid4())


@pytest.mark.parametrize("service", FEATURES, ids=str)
def test_each_feature_reads_and_writes_its_own_keys(clients, redis_client, service) -> None:
    client, key = clients[service], _key(service)
    try:
        assert client.set(key, b"mine", ex=60)
        assert client.get(key) == b"mine"
        assert 0 < client.ttl(key) <= 60
        assert client.delete(key) == 1
    finally:
        redis_client.delete(key)


@pytest.mark.parametrize("service", FEATURES, ids=str)
def test_each_feature_is_refused_every_other_features_keys(clients, redis_client, service) -> None:
    client = clients[service]
    for other in FEATURES:
        if other is service:
            continue
        key = _key(other)
        redis_client.set(key, b"theirs", ex=60)
        try:
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.get(key)
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.set(key, b"clobbered")
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.delete(key)
            assert redis_client.get(key) == b"theirs"
        finally:
            redis_client.delete(key)
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.get(f"unprefixed-acl-test:{uuid.uuid4()}")


@pytest.mark.parametrize("service", FEATURES, ids=str)
def test_scripts_run_on_own_keys_and_cannot_reach_out(clients, redis_client, service) -> None:
    client, own, other = clients[service], _key(service), f"elsewhere:acl-test:{uuid.uuid4()}"
    setter = "return redis.call('SET', KEYS[1], ARGV[1])"
    try:
        sha = client.script_load(setter)  # SCRIPT LOAD + EVALSHA: the idempotency layer's path
        assert client.evalsha(sha, 1, own, "x") == b"OK"
        assert client.eval(setter, 1, own, "y") == b"OK"
        assert client.script_exists(sha) == [True]
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.evalsha(sha, 1, other, "x")  # a key outside the patterns, declared
        with pytest.raises(redis.ResponseError, match="can't access"):
            client.eval(f"return redis.call('SET', '{other}', 1)", 0)  # undeclared
        assert redis_client.exists(other) == 0
    finally:
        redis_client.delete(own, other)


@pytest.mark.parametrize("service", list(RedisService), ids=str)
def test_no_feature_may_administer_the_server(clients, redis_client, service) -> None:
    client = clients[service]
    for command in HARMLESS_REFUSED:
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.execute_command(*command)
    for command in DESTRUCTIVE_REFUSED:  # asked without running it
        verdict = redis_client.execute_command("ACL", "DRYRUN", service.value, *command)
        assert b"no permissions" in verdict, (service, command)


def test_destructive_commands_are_refused_for_real_on_a_private_server(settings) -> None:
    # The same users, set up by the same code; DEBUG enabled so that only the ACL refuses it.
    with RedisServer(extra_args=("--enable-debug-command", "yes")) as server:
        admin = server.admin_client()
        admin.set("chat:session:keep", b"kept")
        for service in RedisService:
            client = redis_client_from_settings(_pointed_at(server, settings), service)
            for command in DESTRUCTIVE_REFUSED:
                with pytest.raises(redis.exceptions.NoPermissionError):
                    client.execute_command(*command)
            client.close()
        assert admin.get("chat:session:keep") == b"kept"
        assert admin.ping()


def test_the_health_user_may_only_ping(clients, redis_client) -> None:
    client = clients[RedisService.HEALTH]
    assert client.ping()
    for service in FEATURES:
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.get(_key(service))
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.eval("return 1", 0)


def test_every_feature_user_works_on_a_redis_cluster(redis_cluster_servers) -> None:
    # given a Redis Cluster whose nodes got the users from shared.stores.redis_acl
    with app_on_cluster(redis_cluster_servers):
        for service in RedisService:
            # when each feature connects as its own user (the slot map and command table first)
            client = redis_client_from_settings(get_settings(), service)
            assert client.ping()
            if service is RedisService.HEALTH:
                with pytest.raises(redis.exceptions.NoPermissionError):
                    client.get(_key(RedisService.AUTH))
                continue
            # then it reaches its own keys, on whichever node they live, and no one else's
            key = _key(service)
            client.set(key, b"mine", ex=60)
            assert client.get(key) == b"mine"
            client.delete(key)
            other = next(s for s in FEATURES if s is not service)
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.get(_key(other))
            client.close()


def test_rules_deny_the_named_dangerous_commands() -> None:
    assert {"flushall", "flushdb", "config", "keys", "debug", "shutdown", "acl"} <= set(DENIED)
    assert KEY_PATTERNS[RedisService.HEALTH] == ()


def test_the_default_user_needs_its_password(settings) -> None:
    anonymous = redis.Redis(host=settings.redis_host, port=settings.redis_port)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    wrong = redis.Redis(host=settings.redis_host, port=settings.redis_port, password="guess")
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()
    main = redis_client_from_settings(settings)  # REDIS_PASSWORD: the default user
    assert main.execute_command("ACL", "WHOAMI") == b"default"
    with pytest.raises(redis.exceptions.NoPermissionError):
        main.execute_command("CONFIG", "GET", "maxmemory")


def test_the_apps_clients_connect_as_their_features_users(settings) -> None:
    from shared.config import reset_settings
    from shared.health.checks import check_dependencies
    from shared.idempotency.store import resolve_persistence
    from shared.jobs.service import _redis as jobs_redis

    reset_settings()
    get_redis.cache_clear()
    try:
        for service in RedisService:
            whoami = get_redis(service).execute_command("ACL", "WHOAMI")
            assert whoami.decode() == settings.redis_credentials(service)[0]
        persistence = resolve_persistence()
        assert persistence.client.execute_command("ACL", "WHOAMI") == b"idempotency"  # type: ignore[attr-defined]
        assert jobs_redis().execute_command("ACL", "WHOAMI") == b"jobs"
        [redis_status] = [s for s in check_dependencies() if s.name == "redis"]
        assert redis_status.ok, redis_status.error
    finally:
        get_redis.cache_clear()


def test_the_features_real_operations_pass_their_acl(redis_client) -> None:
    from shared.jobs.limits import acquire_slot, rate_key, release_slot, slots_key, take_rate_token
    from shared.voice import cache

    owner, job = f"acl-test-{uuid.uuid4()}", uuid.uuid4()
    ratelimit, jobs = get_redis(RedisService.RATELIMIT), get_redis(RedisService.JOBS)
    try:
        assert take_rate_token(ratelimit, "acl-test", owner, 1, 60) == 0.0
        assert take_rate_token(ratelimit, "acl-test", owner, 1, 60) > 0
        assert acquire_slot(jobs, owner, job, 1, 60) == 0
        release_slot(jobs, owner, job)
        with pytest.raises(redis.exceptions.NoPermissionError):
            take_rate_token(jobs, "acl-test", owner, 1, 60)  # jobs may not touch ratelimit:*
        key = cache.speech_key("acl-test", 1.0, "wav", owner)
        cache._set(key, b"speech")
        assert cache._get(key) == b"speech"
    finally:
        redis_client.delete(rate_key("acl-test", owner), slots_key(owner))
        redis_client.delete(cache.speech_key("acl-test", 1.0, "wav", owner))


def test_an_acl_file_from_the_settings_gives_a_new_server_the_same_users(settings, tmp_path):
    """compose.yaml's Redis starts from ``--acl-file``'s output: the default user off, the main
    user ``app`` with every key but no dangerous command, each feature its own keys only."""
    from shared.stores.redis_acl import write_acl_file

    boxed = settings.model_copy(update={"redis_username": "app"})
    path = tmp_path / "users.acl"
    names = write_acl_file(path, boxed)
    assert names == ["default", "app", *(s.value for s in RedisService)]
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    for service in RedisService:
        password = boxed.redis_credentials(service)[1]
        assert password is not None
        assert password.get_secret_value() not in text  # only its SHA-256

    with RedisServer(acl=False, extra_args=("--aclfile", str(path))) as server:
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=server.port).ping()  # the default user is off
        main = redis_client_from_settings(_pointed_at(server, boxed))
        assert main.execute_command("ACL", "WHOAMI") == b"app"
        assert main.set("anything:at-all", b"1")
        with pytest.raises(redis.exceptions.NoPermissionError):
            main.execute_command("CONFIG", "GET", "maxmemory")
        for service in FEATURES:
            client = redis_client_from_settings(_pointed_at(server, boxed), service)
            assert client.set(_key(service), b"mine")
            for other in FEATURES:
                if other is not service:
                    with pytest.raises(redis.exceptions.NoPermissionError):
                        client.get(_key(other))
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.execute_command("FLUSHALL")
            client.close()
        main.close()


def test_an_acl_file_refuses_users_without_a_password(settings) -> None:
    from shared.stores.redis_acl import acl_file

    with pytest.raises(ValueError, match="voice"):
        acl_file(settings.model_copy(update={"redis_voice_password": SecretStr("")}))
    with pytest.raises(ValueError, match="REDIS_PASSWORD"):
        acl_file(settings.model_copy(update={"redis_password": None}))
