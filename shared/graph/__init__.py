"""The knowledge graph: concepts users learned and how concepts relate (see ``base.GraphStore``).

``get_graph()`` is the process-wide store (``GRAPH_STORE``): by default Neo4j when ``NEO4J_URI``
is set, else tables in the platform's PostgreSQL (``postgres_store``: durable, and shared by the
host and the job workers); ``embedded`` is the single-process ladybug file at ``GRAPH_PATH``, for
local development only. Drivers are imported inside the functions that need them: importing this
package stays cheap.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from shared.graph.base import (
    GraphStore,
    GraphUnavailableError,
    LearnedConcept,
    RelatedConcept,
    normalise_concept,
)
from shared.graph.concepts import extract_concepts

if TYPE_CHECKING:
    from shared.config import Settings

__all__ = [
    "GraphStore",
    "GraphUnavailableError",
    "LearnedConcept",
    "RelatedConcept",
    "extract_concepts",
    "get_graph",
    "graph_from_settings",
    "normalise_concept",
    "reset_graph",
]


def graph_from_settings(settings: Settings) -> GraphStore:
    """A new store for ``settings`` (see the module docstring)."""
    kind = settings.graph_store_kind
    if kind == "postgres":
        from shared.graph.postgres_store import PostgresGraphStore
        from shared.stores.postgres import PostgresService, get_pool

        return PostgresGraphStore(
            get_pool(PostgresService.GRAPH), timeout_seconds=settings.graph_timeout_seconds
        )
    if kind == "neo4j":
        if not settings.neo4j_uri:
            raise ValueError("GRAPH_STORE=neo4j needs NEO4J_URI")
        from shared.graph.neo4j_store import Neo4jGraphStore

        password = settings.neo4j_password
        return Neo4jGraphStore(
            settings.neo4j_uri,
            username=settings.neo4j_username,
            password=password.get_secret_value() if password is not None else None,
            database=settings.neo4j_database,
            timeout_seconds=settings.graph_timeout_seconds,
        )
    from shared.graph.embedded import EmbeddedGraphStore

    return EmbeddedGraphStore(settings.graph_path, timeout_seconds=settings.graph_timeout_seconds)


@functools.cache
def get_graph() -> GraphStore:
    """The process-wide store, built on first use from the settings."""
    from shared.config import get_settings

    return graph_from_settings(get_settings())


def reset_graph() -> None:
    """Close and forget the process-wide store (tests, and hosts that reload settings)."""
    if get_graph.cache_info().currsize:
        get_graph().close()
    get_graph.cache_clear()
