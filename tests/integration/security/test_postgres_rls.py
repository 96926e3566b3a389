"""PostgreSQL service roles and row-level security (migration 0009, shared/stores/postgres.py) on
the shared local server set up by ``make services``: each role sees no user rows until its
transaction names an owner, then only that owner's; writes for another owner are refused; a
role cannot read another module's tables, nor switch row-level security off by any route.

Rows are seeded as the tables' owner (the superuser of ``POSTGRES_DSN``) for two fresh owners and
removed afterwards; every probe runs as a service role over a plain connection, as the app's."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import errors
from pydantic import SecretStr

from shared.config import Settings
from shared.stores.postgres import (
    PostgresService,
    conninfo_from_settings,
    get_pool,
    owner_connection,
    pool_from_settings,
    role_name,
)

S = PostgresService
# Every user-owned table: its role, and the column naming a seeded row (values in Seed.keys).
TABLES: dict[str, tuple[PostgresService, str]] = {
    "jobs": (S.JOBS, "id"),
    "file": (S.MEDIA, "id"),
    "media_collection": (S.MEDIA, "id"),
    "media_collection_file": (S.MEDIA, "collection_id"),
    "tts_job": (S.MEDIA, "job_id"),
    "voice_samples": (S.VOICE, "id"),
    "ml_conversations": (S.CHAT, "id"),
    "chat_documents": (S.CHAT, "id"),
    "reasoning_chains": (S.CHAT, "id"),
    "ml_model": (S.ML, "name"),
    "ml_model_version": (S.ML, "name"),
    "ml_model_alias": (S.ML, "name"),
    "vector_points": (S.VECTORS, "id"),
    "graph_learned": (S.GRAPH, "concept"),
}
# A table of another module for each role (permission denied, whatever the owner setting).
FOREIGN_TABLE = {
    S.JOBS: "file",
    S.WORKER: "ml_conversations",
    S.MEDIA: "ml_conversations",
    S.VOICE: "jobs",
    S.CHAT: "file",
    S.ML: "voice_samples",
    S.AUTH: "jobs",
    S.HEALTH: "jobs",
    S.VECTORS: "chat_documents",
    S.GRAPH: "vector_points",
}
# Each role's own table (the health role has none: it is refused jobs like everyone else's).
OWN_TABLE = {
    S.JOBS: "jobs",
    S.WORKER: "jobs",
    S.MEDIA: "file",
    S.VOICE: "voice_samples",
    S.CHAT: "ml_conversations",
    S.ML: "ml_model",
    S.AUTH: "api_keys",
    S.HEALTH: "jobs",
    S.VECTORS: "vector_points",
    S.GRAPH: "graph_learned",
}


@dataclass
class Seed:
    """Rows of two owners, ``a`` and ``b``, in every user-owned table."""

    a: str
    b: str
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # table -> owner -> key

    def ids(self, table: str) -> list[Any]:
        return list(self.keys[table].values())


@pytest.fixture(scope="module")
def settings() -> Settings:
    settings = Settings()
    missing = [s.value for s in S if settings.postgres_credentials(s.value) is None]
    if missing:
        pytest.fail(
            f"POSTGRES_<SERVICE>_USERNAME unset for {missing}: run `make services` "
            "(it adds them to local.settings.json, migrates and gives the roles their passwords)"
        )
    return settings


@pytest.fixture(scope="module")
def admin(settings: Settings) -> Iterator[psycopg.Connection]:
    """The tables' owner (the local superuser): seeds and cleans up, unaffected by the policies."""
    try:
        conn = psycopg.connect(settings.postgres_dsn.get_secret_value(), autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable ({exc}); run `make services`")
    with conn:
        yield conn


def connect(settings: Settings, service: PostgresService) -> psycopg.Connection:
    try:
        return psycopg.connect(conninfo_from_settings(settings, service), autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(f"cannot log in as {role_name(service)} ({exc}): run `make services`")


@pytest.fixture(scope="module")
def roles(settings: Settings) -> Iterator[dict[PostgresService, psycopg.Connection]]:
    made = {service: connect(settings, service) for service in S}
    yield made
    for conn in made.values():
        conn.close()


def _seed_owner(conn: psycopg.Connection, seed: Seed, owner: str) -> None:
    def one(sql: str, *params: Any) -> Any:
        row = conn.execute(sql, params).fetchone()
        assert row is not None
        return row[0]

    def keep(table: str, key: Any) -> None:
        seed.keys.setdefault(table, {})[owner] = key

    sha = hashlib.sha256(owner.encode()).hexdigest()
    job = one("INSERT INTO jobs (owner, kind) VALUES (%s, 'test') RETURNING id", owner)
    file = one(
        "INSERT INTO file (owner, name, content_type, size, sha256, blob_name)"
        " VALUES (%s, 'f.pdf', 'application/pdf', 1, %s, 'b') RETURNING id",
        owner,
        sha,
    )
    collection = one(
        "INSERT INTO media_collection (owner, name) VALUES (%s, 'c') RETURNING id", owner
    )
    conn.execute(
        "INSERT INTO media_collection_file (collection_id, file_id) VALUES (%s, %s)",
        (collection, file),
    )
    conn.execute(
        "INSERT INTO tts_job (job_id, file_id, first_page, last_page, voice)"
        " VALUES (%s, %s, 1, 1, 'v')",
        (job, file),
    )
    sample = one(
        "INSERT INTO voice_samples (owner, sha256) VALUES (%s, %s) RETURNING id", owner, sha
    )
    session = one("INSERT INTO ml_conversations (user_id) VALUES (%s) RETURNING id", owner)
    document = one(
        "INSERT INTO chat_documents (user_id, source, sha256, pages, chunks, characters)"
        " VALUES (%s, 's', %s, 1, 1, 1) RETURNING id",
        owner,
        sha,
    )
    chain = one(
        "INSERT INTO reasoning_chains (user_id, session_id, question, chain_data,"
        " reasoning_steps, confidence_score) VALUES (%s, %s, 'q', '{}', '{a}', 0.5) RETURNING id",
        owner,
        session,
    )
    model = f"rls-model-{uuid.uuid4().hex[:8]}"
    conn.execute("INSERT INTO ml_model (owner, name) VALUES (%s, %s)", (owner, model))
    conn.execute(
        "INSERT INTO ml_model_version (owner, name, version, algorithm, task, blob_name, sha256,"
        " size, created_by) VALUES (%s, %s, 1, 'ridge', 'regression', 'b', %s, 1, %s)",
        (owner, model, sha, owner),
    )
    conn.execute(
        "INSERT INTO ml_model_alias (owner, name, alias, version) VALUES (%s, %s, 'prod', 1)",
        (owner, model),
    )
    point = f"rls-point-{uuid.uuid4().hex[:8]}"
    conn.execute(
        "INSERT INTO vector_points (collection, owner, id, dimension, embedding)"
        " VALUES ('rls', %s, %s, 3, '[1,0,0]')",
        (owner, point),
    )
    concept = f"rls concept {uuid.uuid4().hex[:8]}"
    conn.execute("INSERT INTO graph_concepts (name) VALUES (%s)", (concept,))
    conn.execute(
        "INSERT INTO graph_learned (user_id, concept, confidence, at) VALUES (%s, %s, 0.5, 1)",
        (owner, concept),
    )
    for table, key in [
        ("vector_points", point),
        ("graph_learned", concept),
        ("jobs", job),
        ("file", file),
        ("media_collection", collection),
        ("media_collection_file", collection),
        ("tts_job", job),
        ("voice_samples", sample),
        ("ml_conversations", session),
        ("chat_documents", document),
        ("reasoning_chains", chain),
        ("ml_model", model),
        ("ml_model_version", model),
        ("ml_model_alias", model),
    ]:
        keep(table, key)


@pytest.fixture(scope="module")
def seed(admin: psycopg.Connection) -> Iterator[Seed]:
    tag = uuid.uuid4().hex[:10]
    seed = Seed(a=f"rls-test/a-{tag}", b=f"rls-test/b-{tag}")
    try:
        for owner in (seed.a, seed.b):
            _seed_owner(admin, seed, owner)
        yield seed
    finally:
        owners = [seed.a, seed.b]
        for table, column in [
            ("jobs", "owner"),  # cascades to tts_job
            ("file", "owner"),  # cascades to media_collection_file
            ("media_collection", "owner"),
            ("voice_samples", "owner"),
            ("reasoning_chains", "user_id"),
            ("ml_conversations", "user_id"),
            ("chat_documents", "user_id"),
            ("ml_model", "owner"),  # cascades to versions and aliases
            ("vector_points", "owner"),
            ("graph_learned", "user_id"),
        ]:
            admin.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", (owners,))


def count(conn: psycopg.Connection, table: str, keys: list[Any]) -> int:
    column = TABLES[table][1]
    row = conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = ANY(%s)", (keys,)).fetchone()
    assert row is not None
    return int(row[0])


def keys_as(conn: psycopg.Connection, owner: str, table: str, keys: list[Any]) -> set[Any]:
    """The seeded keys ``conn`` sees in a transaction acting for ``owner``."""
    column = TABLES[table][1]
    with conn.transaction():
        conn.execute("SELECT set_config('app.user_id', %s, true)", (owner,))
        rows = conn.execute(
            f"SELECT {column} FROM {table} WHERE {column} = ANY(%s)", (keys,)
        ).fetchall()
    return {row[0] for row in rows}


def execute_as(conn: psycopg.Connection, owner: str, sql: str, params: dict[str, Any]) -> None:
    """``sql`` in one transaction acting for ``owner`` (as the app's owner_connection does)."""
    with conn.transaction():
        conn.execute("SELECT set_config('app.user_id', %s, true)", (owner,))
        conn.execute(sql, params)


# --- visibility ---------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_without_an_owner_a_service_role_sees_no_user_rows(roles, admin, seed, table) -> None:
    # given rows of two owners (the tables' owner sees both)
    assert count(admin, table, seed.ids(table)) == 2
    # when the table's role reads them without naming an owner: nothing
    assert count(roles[TABLES[table][0]], table, seed.ids(table)) == 0


@pytest.mark.parametrize("table", TABLES)
def test_with_an_owner_a_service_role_sees_only_that_owners_rows(roles, seed, table) -> None:
    conn = roles[TABLES[table][0]]
    assert keys_as(conn, seed.a, table, seed.ids(table)) == {seed.keys[table][seed.a]}
    assert keys_as(conn, seed.b, table, seed.ids(table)) == {seed.keys[table][seed.b]}
    # the setting ended with its transaction (SET LOCAL): unset again
    assert count(conn, table, seed.ids(table)) == 0


def test_the_worker_sees_every_owners_jobs_but_no_user_data(roles, seed) -> None:
    worker = roles[S.WORKER]
    assert count(worker, "jobs", seed.ids("jobs")) == 2
    with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
        count(worker, "ml_conversations", seed.ids("ml_conversations"))
    with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
        count(worker, "tts_job", seed.ids("tts_job"))


# --- writes for another owner -------------------------------------------------------------------

# Writes acting for owner a that would create or link a row of owner b (parameters: _write_params).
FOREIGN_WRITES = [
    (S.JOBS, "INSERT INTO jobs (owner, kind) VALUES (%(b)s, 'test')"),
    (
        S.MEDIA,
        "INSERT INTO file (owner, name, content_type, size, sha256, blob_name)"
        " VALUES (%(b)s, 'x', 'text/plain', 1, %(sha)s, 'x')",
    ),
    (S.MEDIA, "INSERT INTO media_collection (owner, name) VALUES (%(b)s, 'x')"),
    # a's collection with b's file, and b's collection with a's file
    (
        S.MEDIA,
        "INSERT INTO media_collection_file (collection_id, file_id)"
        " VALUES (%(a_collection)s, %(b_file)s)",
    ),
    (
        S.MEDIA,
        "INSERT INTO media_collection_file (collection_id, file_id)"
        " VALUES (%(b_collection)s, %(a_file)s)",
    ),
    (
        S.MEDIA,
        "INSERT INTO tts_job (job_id, first_page, last_page, voice) VALUES (%(b_job)s, 1, 1, 'v')",
    ),
    (S.VOICE, "INSERT INTO voice_samples (owner, sha256) VALUES (%(b)s, %(sha)s)"),
    (S.CHAT, "INSERT INTO ml_conversations (user_id) VALUES (%(b)s)"),
    (
        S.CHAT,
        "INSERT INTO chat_documents (user_id, source, sha256, pages, chunks, characters)"
        " VALUES (%(b)s, 's', %(sha)s, 1, 1, 1)",
    ),
    (
        S.CHAT,
        "INSERT INTO reasoning_chains (user_id, question, chain_data, reasoning_steps,"
        " confidence_score) VALUES (%(b)s, 'q', '{}', '{a}', 0.5)",
    ),
    # a's own chain may not point at b's session
    (
        S.CHAT,
        "INSERT INTO reasoning_chains (user_id, session_id, question, chain_data,"
        " reasoning_steps, confidence_score) VALUES (%(a)s, %(b_session)s, 'q', '{}', '{a}', 0.5)",
    ),
    (S.ML, "INSERT INTO ml_model (owner, name) VALUES (%(b)s, 'x')"),
    (
        S.VECTORS,
        "INSERT INTO vector_points (collection, owner, id, dimension, embedding)"
        " VALUES ('rls', %(b)s, 'x', 3, '[1,0,0]')",
    ),
    (
        S.GRAPH,
        "INSERT INTO graph_learned (user_id, concept, confidence, at)"
        " SELECT %(b)s, name, 0.5, 1 FROM graph_concepts LIMIT 1",
    ),
    (
        S.ML,
        "INSERT INTO ml_model_version (owner, name, version, algorithm, task, blob_name,"
        " sha256, size, created_by) VALUES (%(b)s, %(b_model)s, 2, 'ridge', 'regression', 'b',"
        " %(sha)s, 1, %(a)s)",
    ),
]


def _write_params(seed: Seed) -> dict[str, Any]:
    return {
        "a": seed.a,
        "b": seed.b,
        "sha": hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        "a_collection": seed.keys["media_collection"][seed.a],
        "b_collection": seed.keys["media_collection"][seed.b],
        "a_file": seed.keys["file"][seed.a],
        "b_file": seed.keys["file"][seed.b],
        "b_job": seed.keys["jobs"][seed.b],
        "b_session": seed.keys["ml_conversations"][seed.b],
        "b_model": seed.keys["ml_model"][seed.b],
    }


@pytest.mark.parametrize(("service", "sql"), FOREIGN_WRITES)
def test_a_row_for_another_owner_is_refused(roles, seed, service, sql) -> None:
    with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
        execute_as(roles[service], seed.a, sql, _write_params(seed))


@pytest.mark.parametrize(
    "table",
    ["jobs", "file", "voice_samples", "ml_conversations", "vector_points", "graph_learned"],
)
def test_another_owners_rows_cannot_be_changed_or_deleted(roles, admin, seed, table) -> None:
    conn, column = roles[TABLES[table][0]], TABLES[table][1]
    theirs = seed.keys[table][seed.b]
    statements = {
        "jobs": ("UPDATE jobs SET cancel_requested = true WHERE id = %s", "DELETE FROM jobs"),
        "file": (None, "DELETE FROM file"),
        "voice_samples": ("UPDATE voice_samples SET status = 'failed' WHERE id = %s", None),
        "ml_conversations": (
            "UPDATE ml_conversations SET message_count = 99 WHERE id = %s",
            "DELETE FROM ml_conversations",
        ),
        "vector_points": (
            "UPDATE vector_points SET payload = '{\"x\": 1}' WHERE id = %s",
            "DELETE FROM vector_points",
        ),
        "graph_learned": (
            "UPDATE graph_learned SET confidence = 1 WHERE concept = %s",
            "DELETE FROM graph_learned",
        ),
    }[table]
    update, delete = statements
    with conn.transaction():
        conn.execute("SELECT set_config('app.user_id', %s, true)", (seed.a,))
        if update is not None:
            assert conn.execute(update, (theirs,)).rowcount == 0
        if delete is not None:
            assert conn.execute(f"{delete} WHERE {column} = %s", (theirs,)).rowcount == 0
    assert count(admin, table, [theirs]) == 1


def test_the_worker_cannot_create_delete_or_reassign_jobs(roles, seed) -> None:
    worker = roles[S.WORKER]
    job = seed.keys["jobs"][seed.a]
    for sql, params in [
        ("INSERT INTO jobs (owner, kind) VALUES (%s, 'test')", (seed.a,)),
        ("DELETE FROM jobs WHERE id = %s", (job,)),
        ("UPDATE jobs SET owner = %s WHERE id = %s", (seed.b, job)),
        ("UPDATE jobs SET input = '{}' WHERE id = %s", (job,)),
    ]:
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
            worker.execute(sql, params)


# --- other modules' tables and escapes ------------------------------------------------------------


@pytest.mark.parametrize("service", list(S), ids=str)
def test_a_role_cannot_read_another_modules_tables(roles, seed, service) -> None:
    conn = roles[service]
    for table in (FOREIGN_TABLE[service], "schema_migrations"):
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(f"SELECT 1 FROM {table} LIMIT 1")


ESCAPES = [
    "ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    "ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS jobs_owner ON jobs",
    "CREATE POLICY everything ON {table} USING (true)",
    "ALTER ROLE CURRENT_USER BYPASSRLS",
    "ALTER ROLE CURRENT_USER SUPERUSER",
    "SET ROLE postgres",
    "SET SESSION AUTHORIZATION postgres",
    "GRANT platform_worker TO CURRENT_USER",
    "CREATE FUNCTION public.app_current_owner_2() RETURNS text LANGUAGE sql AS 'SELECT 1::text'",
    "CREATE TABLE public.planted (id int)",
]


@pytest.mark.parametrize("service", list(S), ids=str)
@pytest.mark.parametrize("template", ESCAPES)
def test_a_role_cannot_turn_row_level_security_off(roles, service, template) -> None:
    conn = roles[service]
    with pytest.raises(errors.InsufficientPrivilege):
        conn.execute(template.format(table=OWN_TABLE[service]))


@pytest.mark.parametrize("table", TABLES)
def test_row_security_off_makes_a_read_fail_instead_of_bypassing(roles, seed, table) -> None:
    conn = roles[TABLES[table][0]]
    conn.execute("SET row_security = off")  # allowed to set; not to bypass
    try:
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            count(conn, table, seed.ids(table))
    finally:
        conn.execute("RESET row_security")


def test_no_service_role_is_privileged_or_owns_a_table(admin) -> None:
    names = [role_name(s) for s in S]
    privileged = admin.execute(
        "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)"
        " AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb OR rolreplication)",
        (names,),
    ).fetchall()
    owned = admin.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
        " WHERE r.rolname = ANY(%s)",
        (names,),
    ).fetchall()
    assert privileged == []
    assert owned == []


# --- the app's pools ----------------------------------------------------------------------------


@pytest.mark.parametrize("service", list(S), ids=str)
def test_the_apps_pools_connect_as_the_service_roles(service) -> None:
    with get_pool(service).connection() as conn:
        row = conn.execute("SELECT current_user").fetchone()
    assert row == (role_name(service),)


@pytest.mark.parametrize("service", list(S), ids=str)
def test_a_dsn_without_credentials_is_enough_for_the_service_roles(settings, service) -> None:
    """On Azure the app's POSTGRES_DSN names only host and database (infra/bicep): each module
    still logs in as its role, and no pool can fall back to the administrator."""
    dsn = psycopg.conninfo.conninfo_to_dict(settings.postgres_dsn.get_secret_value())
    bare = f"postgresql://{dsn['host']}:{dsn.get('port', 5432)}/{dsn['dbname']}"
    app = settings.model_copy(update={"postgres_dsn": SecretStr(bare)})
    assert "password" not in psycopg.conninfo.conninfo_to_dict(conninfo_from_settings(app))
    with psycopg.connect(conninfo_from_settings(app, service)) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (role_name(service),)


def test_owner_connection_scopes_one_transaction_of_a_pooled_connection(settings, seed) -> None:
    # one connection, so the unscoped read below reuses the one that was scoped
    pool = pool_from_settings(settings.model_copy(update={"postgres_pool_max": 1}), S.CHAT)
    pool.open()
    try:
        with owner_connection(pool, seed.a) as conn:
            assert count(conn, "ml_conversations", seed.ids("ml_conversations")) == 1
        with pool.connection() as conn:
            assert count(conn, "ml_conversations", seed.ids("ml_conversations")) == 0
            assert conn.execute("SELECT app_current_owner()").fetchone() == (None,)
        with pytest.raises(ValueError, match="owner"):
            owner_connection(pool, "").__enter__()
    finally:
        pool.close()
