"""Migrations on the real PostgreSQL: applied once, recorded, pgvector usable, edits refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo

from shared.stores.migrate import MIGRATIONS_DIR, MigrationChangedError, apply_migrations


@pytest.fixture
def scratch_database(settings) -> Iterator[str]:
    """A new empty database on the local server, dropped afterwards."""
    base = settings.postgres_dsn.get_secret_value()
    name = f"migrate_test_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable ({exc}); start it with scripts/services.sh start")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield conninfo.make_conninfo(base, dbname=name)
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_migrations_apply_once_and_enable_pgvector(scratch_database):
    first = apply_migrations(scratch_database)
    second = apply_migrations(scratch_database)
    assert first == sorted(int(p.name[:4]) for p in MIGRATIONS_DIR.glob("*.sql"))
    assert second == []
    with psycopg.connect(scratch_database) as conn:
        distance = conn.execute("SELECT '[1,0]'::vector <-> '[0,0]'::vector").fetchone()
    assert distance == (1.0,)


def test_a_changed_migration_is_refused(scratch_database, tmp_path: Path):
    (tmp_path / "0001_one.sql").write_text("CREATE TABLE one (id int);")
    apply_migrations(scratch_database, tmp_path)
    (tmp_path / "0001_one.sql").write_text("CREATE TABLE one (id bigint);")
    with pytest.raises(MigrationChangedError):
        apply_migrations(scratch_database, tmp_path)


def test_a_failing_migration_leaves_no_trace(scratch_database, tmp_path: Path):
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE ok (id int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE bad (id int); SELECT nonsense();")
    with pytest.raises(psycopg.Error):
        apply_migrations(scratch_database, tmp_path)
    with psycopg.connect(scratch_database) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations")]
        bad_exists = conn.execute("SELECT to_regclass('bad')").fetchone()
    assert versions == [1]
    assert bad_exists == (None,)
