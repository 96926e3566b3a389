"""get_graph(): GRAPH_STORE (auto: the Neo4j store when NEO4J_URI is set, else PostgreSQL), or
the embedded one when asked; cached per process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shared.config import Settings
from shared.graph import GraphStore, get_graph, graph_from_settings, reset_graph
from shared.graph.embedded import EmbeddedGraphStore
from shared.graph.neo4j_store import Neo4jGraphStore
from shared.graph.postgres_store import PostgresGraphStore


def test_without_a_neo4j_uri_the_store_is_postgres():
    store = graph_from_settings(Settings(neo4j_uri=None))
    assert isinstance(store, PostgresGraphStore)
    assert isinstance(store, GraphStore)


def test_the_embedded_store_when_asked(tmp_path):
    settings = Settings(graph_store="embedded", graph_path=str(tmp_path / "g.lbug"))
    store = graph_from_settings(settings)
    assert isinstance(store, EmbeddedGraphStore)
    assert isinstance(store, GraphStore)
    store.close()


def test_with_a_neo4j_uri_the_store_is_the_driver_one():
    # The driver connects lazily: building the store needs no server.
    store = graph_from_settings(
        Settings(neo4j_uri="bolt://127.0.0.1:1", neo4j_password="secret", neo4j_database="kg")
    )
    assert isinstance(store, Neo4jGraphStore)
    assert isinstance(store, GraphStore)
    store.close()


def test_the_process_wide_store_is_built_once(monkeypatch: pytest.MonkeyPatch, settings, tmp_path):
    monkeypatch.setenv("NEO4J_URI", "")
    monkeypatch.setenv("GRAPH_STORE", "embedded")
    monkeypatch.setenv("GRAPH_PATH", ":memory:")
    from shared.config import reset_settings

    reset_settings()
    reset_graph()
    try:
        assert get_graph() is get_graph()
        assert isinstance(get_graph(), EmbeddedGraphStore)
    finally:
        reset_graph()
        reset_settings()


def test_importing_the_package_imports_no_driver():
    probe = (
        "import sys, shared.graph; "
        "print(','.join(m for m in ('neo4j', 'ladybug', 'psycopg') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
