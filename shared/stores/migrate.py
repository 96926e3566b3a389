"""Plain-SQL migrations with a version table: ``python -m shared.stores.migrate``.

Files ``migrations/NNNN_name.sql`` run once each, in order, each in its own transaction, recorded
in ``schema_migrations`` with their SHA-256. An advisory lock makes concurrent runs (two hosts
starting at once) wait for each other instead of applying a file twice. Changing a file that was
already applied is an error: write a new migration instead.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

from shared.config import get_settings

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_LOCK_ID = 0x6D6C706C  # arbitrary, constant: "mlpl"


class MigrationChangedError(RuntimeError):
    """An applied migration file no longer matches what was applied."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        found.append(Migration(int(version), name, path.read_text()))
    return found


def apply_migrations(conninfo: str, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every pending migration; returns the versions applied now (empty when up to date)."""
    applied_now: list[int] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            rows = conn.execute("SELECT version, checksum FROM schema_migrations").fetchall()
            done: dict[int, str] = dict(rows)
            for migration in discover(directory):
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationChangedError(
                            f"migration {migration.version}_{migration.name} changed after it "
                            "was applied; add a new migration instead"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s,%s,%s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                logger.info("applied migration %04d_%s", migration.version, migration.name)
                applied_now.append(migration.version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied_now


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="[migrate] %(message)s")
    from shared.stores.postgres import conninfo_from_settings

    # POSTGRES_DSN's credentials (the tables' owner), with the TLS settings when set.
    applied = apply_migrations(conninfo_from_settings(get_settings()))
    print(f"[migrate] {len(applied)} applied" if applied else "[migrate] schema up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
