"""Log-in credentials for the PostgreSQL service roles: ``python -m shared.stores.postgres_roles``.

Migrations 0009 and 0010 create the roles ``platform_<service>`` NOLOGIN with their privileges and
row-level security. This gives LOGIN and a password to each service whose
``POSTGRES_<SERVICE>_USERNAME`` is set, connecting with ``POSTGRES_DSN`` (an administrator:
locally the superuser, on Azure the server's admin, which may manage the roles it created).
``scripts/services.sh`` runs it after the migrations; on Azure run it once with the admin DSN
and the role passwords from Key Vault (README, deployment), and again when a password rotates.

A username other than ``platform_<service>`` is created as its own LOGIN role and made a
member of ``platform_<service>``, so it inherits the privileges and the policies. A re-run sets
the same passwords again: it is idempotent. Roles of services without a username are left as
they are.

Passwords are sent as SCRAM-SHA-256 verifiers computed here, never in clear text, so the server's
statement log cannot show them. Nothing is printed but role names.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import sys
from dataclasses import dataclass

import psycopg
from psycopg import sql

from shared.config import Settings
from shared.stores.postgres import PostgresService, conninfo_from_settings, role_name

SCRAM_ITERATIONS = 4096  # PostgreSQL's default scram_iterations


def scram_verifier(password: str, *, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802/7677), in the
    ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` form ``ALTER ROLE`` accepts."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


@dataclass(frozen=True)
class LoginRole:
    """One service's log-in: ``username`` (maybe the service role itself) and its password;
    the password is never part of the repr."""

    service: PostgresService
    username: str
    password: str

    def __repr__(self) -> str:
        return f"LoginRole({self.service.value!r}, {self.username!r})"

    @property
    def role(self) -> str:
        return role_name(self.service)


def login_roles(settings: Settings) -> list[LoginRole]:
    """The services whose ``POSTGRES_<SERVICE>_USERNAME`` is set (the others use the DSN's)."""
    roles = []
    for service in PostgresService:
        credentials = settings.postgres_credentials(service.value)
        if credentials is not None:
            username, password = credentials
            roles.append(LoginRole(service, username, password.get_secret_value()))
    return roles


def apply(conn: psycopg.Connection, settings: Settings) -> list[str]:
    """Give each configured service's user LOGIN and its password (see the module docstring).
    ``conn`` must be allowed to manage the roles. Returns the user names."""
    done = []
    for login in login_roles(settings):
        if not login.password:
            raise ValueError(f"POSTGRES_{login.service.value.upper()}_PASSWORD is empty")
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login.role,)).fetchone()
        if exists is None:
            raise RuntimeError(f"role {login.role} does not exist: apply the migrations first")
        if login.username == conn.info.user:
            raise ValueError(f"{login.username} is POSTGRES_DSN's user, not a service role")
        user = sql.Identifier(login.username)
        # A verifier, not the password: utility statements take no bind parameters, so the
        # value is quoted client-side, and must not be something a log could reveal.
        verifier = sql.Literal(scram_verifier(login.password))
        if login.username != login.role:
            known = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (login.username,)
            ).fetchone()
            if known is None:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(user))
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(login.role), user))
        conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(user, verifier))
        done.append(login.username)
    return done


def main() -> int:
    settings = Settings()
    with psycopg.connect(conninfo_from_settings(settings), autocommit=True) as conn:
        names = apply(conn, settings)
        where = f"{conn.info.host}:{conn.info.port}/{conn.info.dbname}"
    if names:
        print(f"[postgres-roles] log-in roles on {where}: {', '.join(names)}")
    else:
        print("[postgres-roles] no POSTGRES_<SERVICE>_USERNAME set: nothing to do", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
