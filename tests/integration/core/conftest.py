"""Fixtures for the AI core against real services: an embedded graph in a temporary folder,
the default vector store (pgvector), fresh breakers, and ways to take each dependency down."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from shared.config import reset_settings
from shared.graph import GraphStore, get_graph, reset_graph
from shared.resilience import reset_breakers
from shared.vectors.factory import reset_vector_store
from tests.utils.servers import free_port


@pytest.fixture(autouse=True)
def fresh_breakers() -> Iterator[None]:
    reset_breakers()
    yield
    reset_breakers()


@pytest.fixture
def owner() -> str:
    return f"principal:core-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def graph(tmp_path, monkeypatch, settings) -> Iterator[GraphStore]:
    """An embedded graph of this test only (GRAPH_PATH in tmp_path)."""
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("GRAPH_STORE", "embedded")
    monkeypatch.setenv("GRAPH_PATH", str(tmp_path / "graph" / "concepts.lbug"))
    reset_settings()
    reset_graph()
    yield get_graph()
    reset_graph()


@pytest.fixture
def graph_down(monkeypatch, settings) -> Iterator[None]:
    """The graph is a Neo4j server on a port nothing listens on: every call really fails."""
    monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{free_port()}")
    monkeypatch.setenv("GRAPH_TIMEOUT_SECONDS", "1")
    reset_settings()
    reset_graph()
    yield
    reset_graph()


@pytest.fixture
def vectors_down(monkeypatch, settings) -> Iterator[None]:
    """The vector store is a Qdrant server on a port nothing listens on."""
    monkeypatch.setenv("QDRANT_URL", f"http://127.0.0.1:{free_port()}")
    reset_settings()
    reset_vector_store()
    yield
    monkeypatch.delenv("QDRANT_URL")
    reset_settings()
    reset_vector_store()


@pytest.fixture
def storage_down(monkeypatch, settings) -> Iterator[None]:
    """Azure Storage (where trained classifier heads live) on a port nothing listens on."""
    from shared.stores import storage

    dead = f"http://127.0.0.1:{free_port()}/devstoreaccount1"
    original = settings.storage_connection_string
    assert original is not None
    fields = dict(p.split("=", 1) for p in original.get_secret_value().split(";") if "=" in p)
    fields.update(BlobEndpoint=dead, QueueEndpoint=dead)
    monkeypatch.setenv("AzureWebJobsStorage", ";".join(f"{k}={v}" for k, v in fields.items()))
    monkeypatch.delenv("STORAGE_CONNECTION_STRING", raising=False)
    reset_settings()
    storage.get_blob_service.cache_clear()
    yield
    monkeypatch.undo()
    reset_settings()
    storage.get_blob_service.cache_clear()
