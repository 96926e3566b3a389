"""Redis ACL users of a self-hosted Redis: one per feature, an ``admin``, a protected default user.

``python -m shared.stores.redis_acl`` (``scripts/services.sh`` runs it after every start, and on a
Redis that was already running) defines every user with ``ACL SETUSER <name> reset ...``, so a
re-run replaces the rules instead of adding to them, and no stale rule survives. Passwords come
from the same settings the app reads (``REDIS_<FEATURE>_PASSWORD``, ``REDIS_PASSWORD``) and are
sent as SHA-256 (``#<hash>``), so ``ACL LIST`` never shows them. Nothing here is logged but names.

Rules (``FEATURE_COMMANDS``): every command but the dangerous and administrative ones (FLUSHALL,
FLUSHDB, CONFIG, KEYS, DEBUG, SHUTDOWN, ACL, MONITOR, INFO, SORT, ...), denied once more by name;
scripting only as EVAL/EVALSHA/SCRIPT LOAD/SCRIPT EXISTS (no SCRIPT FLUSH/KILL, no FUNCTION):
Redis checks every key a script touches against the caller's patterns, so a script cannot reach
outside them. ``ACL WHOAMI`` stays allowed (it names the caller only). No pub/sub channel. On a
Redis Cluster every node gets the same users (``apply`` once per node).

``python -m shared.stores.redis_acl --acl-file PATH`` writes the same users as an ACL file
(``redis-server --aclfile``) instead, for a server that starts from it (compose.yaml's Redis):
the main user (``REDIS_USERNAME``, or the default user when unset), the feature users, the
default user off when it is not the main one, and no admin user at all. The file holds the
passwords' SHA-256 only; it is written with mode 0600.

Azure Managed Redis and Azure Cache for Redis authenticate with the access key (or Entra ID) and
manage no ACL users: there the features fall back to ``REDIS_USERNAME``/``REDIS_PASSWORD``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import redis

from shared.config import Settings
from shared.stores.redis import RedisService

ADMIN_USER = "admin"
# The admin user exists only on local Redis servers (scripts, tests); the app never uses it.
ADMIN_PASSWORD_ENV = "REDIS_ADMIN_PASSWORD"  # noqa: S105 - a variable name
LOCAL_ADMIN_PASSWORD = "local-dev-redis-admin"  # noqa: S105 - local placeholder

DENIED = ("flushall", "flushdb", "config", "keys", "debug", "shutdown", "acl", "monitor")
FEATURE_COMMANDS = (
    "+@all",
    "-@dangerous",
    "-@admin",
    "-@scripting",
    "+eval",
    "+evalsha",
    "+eval_ro",
    "+evalsha_ro",
    "+script|load",
    "+script|exists",
    *(f"-{command}" for command in DENIED),
    "+acl|whoami",
)
# What a Redis Cluster client reads when it connects (the slot map, the command table); every
# feature user may already, the PING-only health user needs them named.
CLUSTER_CLIENT = ("+cluster|slots", "+cluster|shards", "+command")
# The main credentials (code that names no feature) may use every key, never the dangerous commands.
DEFAULT_COMMANDS = ("+@all", "-@dangerous", "-@admin", *(f"-{c}" for c in DENIED), "+acl|whoami")

KEY_PATTERNS: dict[RedisService, tuple[str, ...]] = {
    RedisService.IDEMPOTENCY: ("~idempotency:*",),
    RedisService.VOICE: ("~voice:*",),
    RedisService.CHAT: ("~chat:*",),
    RedisService.RATELIMIT: ("~ratelimit:*",),
    RedisService.JOBS: ("~jobs:*",),
    RedisService.AUTH: ("~auth:*",),
    RedisService.HEALTH: (),
}


@dataclass(frozen=True)
class AclUser:
    """One ``ACL SETUSER`` call; ``password`` is never part of the repr."""

    name: str
    rules: tuple[str, ...]
    password: str = ""

    def __repr__(self) -> str:
        return f"AclUser({self.name!r}, {self.rules!r})"

    def setuser_args(self) -> tuple[str, ...]:
        digest = hashlib.sha256(self.password.encode()).hexdigest()
        return ("reset", "on", f"#{digest}", "resetchannels", *self.rules)


def admin_password() -> str:
    return os.environ.get(ADMIN_PASSWORD_ENV) or LOCAL_ADMIN_PASSWORD


def feature_users(settings: Settings) -> list[AclUser]:
    """The feature users whose ``REDIS_<FEATURE>_USERNAME`` is set (the others use the main
    credentials), with their key patterns and commands."""
    users = []
    for service in RedisService:
        username, password = settings.redis_credentials(service)
        if username is None or username == settings.redis_username:
            continue
        if service is RedisService.HEALTH:
            rules: tuple[str, ...] = ("resetkeys", "-@all", "+ping", "+acl|whoami", *CLUSTER_CLIENT)
        else:
            rules = ("resetkeys", *KEY_PATTERNS[service], *FEATURE_COMMANDS)
        users.append(AclUser(username, rules, password.get_secret_value() if password else ""))
    return users


def admin_user() -> AclUser:
    return AclUser(ADMIN_USER, ("~*", "&*", "+@all"), admin_password())


def main_user(settings: Settings, name: str | None = None) -> AclUser:
    """The main credentials' user (``name``, else ``REDIS_USERNAME``, else the default user):
    every key, no dangerous command, password ``REDIS_PASSWORD``."""
    password = settings.redis_password.get_secret_value() if settings.redis_password else ""
    username = name or settings.redis_username or "default"
    if not password:
        raise ValueError(f"REDIS_PASSWORD is empty: the user {username!r} would stay open")
    return AclUser(username, ("~*", "&*", *DEFAULT_COMMANDS), password)


def default_user(settings: Settings) -> AclUser:
    """The default user, password-protected with ``REDIS_PASSWORD`` (the main credentials)."""
    return main_user(settings, "default")


def acl_file(settings: Settings) -> str:
    """The text of an ACL file with the main user and the feature users (see the module's
    docstring). Every user needs a password: an empty one would let anyone in."""
    users = [main_user(settings), *feature_users(settings)]
    if empty := [user.name for user in users if not user.password]:
        raise ValueError(f"no password for the Redis users {empty}: set REDIS_<FEATURE>_PASSWORD")
    lines = [f"user {user.name} {' '.join(user.setuser_args())}" for user in users]
    if users[0].name != "default":
        lines.insert(0, "user default reset off")
    return "\n".join(lines) + "\n"


def write_acl_file(path: Path, settings: Settings) -> list[str]:
    """Write :func:`acl_file` to ``path`` (mode 0600, replaced whole). Returns the user names."""
    text = acl_file(settings)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    temporary.replace(path)
    return [line.split(" ", 2)[1] for line in text.splitlines()]


def admin_connection(host: str, port: int, settings: Settings) -> redis.Redis:
    """A client as ``admin``; on a server not yet set up, as the default user (open, or with
    ``REDIS_PASSWORD``), which may then create ``admin``."""
    main_password = settings.redis_password.get_secret_value() if settings.redis_password else None
    attempts: list[tuple[str | None, str | None]] = [
        (ADMIN_USER, admin_password()),
        (None, None),
        ("default", main_password),
    ]
    error: redis.RedisError | None = None
    for username, password in attempts:
        client = redis.Redis(
            host=host, port=port, username=username, password=password, socket_timeout=5
        )
        try:
            client.execute_command("ACL", "WHOAMI")  # type: ignore[no-untyped-call]
        except (redis.AuthenticationError, redis.ResponseError) as exc:  # WRONGPASS, NOAUTH
            error = exc
            client.close()
            continue
        return client
    raise RuntimeError(f"cannot administer Redis at {host}:{port}: {error}")


def apply(client: redis.Redis, settings: Settings, *, protect_default: bool = True) -> list[str]:
    """Define ``admin``, the feature users and (``protect_default``) the default user on the
    server of ``client``, which must be allowed ``ACL SETUSER``. Returns the user names."""
    users = [admin_user(), *feature_users(settings)]
    if protect_default:
        users.append(default_user(settings))  # last: the connection above is already open
    for user in users:
        client.execute_command(  # type: ignore[no-untyped-call]
            "ACL", "SETUSER", user.name, *user.setuser_args()
        )
    return [user.name for user in users]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.stores.redis_acl", description=__doc__)
    parser.add_argument(
        "--acl-file",
        type=Path,
        help="write the users to this ACL file instead of defining them on the running server",
    )
    args = parser.parse_args(argv)
    settings = Settings()
    if args.acl_file is not None:
        names = write_acl_file(args.acl_file, settings)
        print(f"[redis-acl] users in {args.acl_file}: {', '.join(names)}")
        return 0
    if settings.redis_url is not None:
        print("[redis-acl] REDIS_URL is set: not a local server, nothing to do", file=sys.stderr)
        return 0
    client = admin_connection(settings.redis_host, settings.redis_port, settings)
    names = apply(client, settings)
    print(f"[redis-acl] users on {settings.redis_host}:{settings.redis_port}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
