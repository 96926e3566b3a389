"""The knowledge graph on a Neo4j server, through the official ``neo4j`` driver (Bolt).

Production sets ``NEO4J_URI`` (``neo4j+s://...`` for Aura, ``bolt://host:7687`` for one server),
``NEO4J_USERNAME`` and ``NEO4J_PASSWORD``; ``NEO4J_DATABASE`` picks a database other than the
server's default. Every statement is a parameterised one from ``shared.graph.base``.

Timeouts (``GRAPH_TIMEOUT_SECONDS``): the TCP connect, the wait for a pooled connection, the
driver's retries of a failed transaction, and the server-side transaction timeout. The driver has
no socket read timeout: the transaction timeout is what stops a statement that runs too long.

The tests run this class against FalkorDB's Bolt listener, which shaped three choices here:

- Every statement is sent with the same Bolt "extra" fields (the same database, timeout and
  routing, and no bookmarks): FalkorDB takes the name of one of those fields as the graph to use,
  so a statement sent with different fields would land in a different graph.
- Each operation is one auto-committed statement inside ``execute_query``: FalkorDB cannot roll a
  transaction back, and a single statement is atomic on both servers anyway.
- Schema: FalkorDB accepts neither ``CREATE CONSTRAINT`` nor ``IF NOT EXISTS`` in Cypher, and
  refuses a second ``CREATE INDEX`` with an opaque error; see ``ensure_schema``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared.graph.base import CypherGraphStore, GraphUnavailableError

if TYPE_CHECKING:
    import neo4j

logger = logging.getLogger(__name__)

# Neo4j 5 form (idempotent, and makes concurrent MERGEs of one name safe); FalkorDB refuses it.
NEO4J_SCHEMA = (
    "CREATE CONSTRAINT concept_name IF NOT EXISTS FOR (c:Concept) REQUIRE c.name IS UNIQUE",
    "CREATE CONSTRAINT user_id IF NOT EXISTS FOR (u:User) REQUIRE u.id IS UNIQUE",
)
# The form FalkorDB accepts (Neo4j accepts it too, once): lookups by name without a full scan.
PLAIN_INDEXES = (
    "CREATE INDEX FOR (c:Concept) ON (c.name)",
    "CREATE INDEX FOR (u:User) ON (u.id)",
)


class Neo4jGraphStore(CypherGraphStore):
    """``GraphStore`` on a Bolt server; the driver and its pool are made here, connected lazily."""

    def __init__(
        self,
        uri: str,
        *,
        username: str,
        password: str | None,
        database: str | None = None,
        timeout_seconds: float = 5.0,
    ) -> None:
        import neo4j

        self._database = database
        self._timeout = timeout_seconds
        self._driver: neo4j.Driver = neo4j.GraphDatabase.driver(
            uri,
            auth=(username, password) if password is not None else None,
            connection_timeout=timeout_seconds,
            connection_acquisition_timeout=timeout_seconds,
            max_transaction_retry_time=timeout_seconds,
            user_agent="ml-service-platform-graph",
        )
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    def _run(self, query: str, parameters: Mapping[str, Any]) -> list[list[Any]]:
        if not self._schema_ready:
            with self._schema_lock:
                if not self._schema_ready:
                    self.ensure_schema()
                    self._schema_ready = True
        return self._execute(query, parameters)

    def _execute(self, query: str, parameters: Mapping[str, Any]) -> list[list[Any]]:
        import neo4j
        from neo4j import exceptions as errors

        try:
            result = self._driver.execute_query(
                neo4j.Query(query, timeout=self._timeout),
                dict(parameters),
                database_=self._database,
                routing_=neo4j.RoutingControl.WRITE,  # reads too: see the module docstring
                bookmark_manager_=None,
            )
        except (errors.DriverError, errors.Neo4jError, OSError) as exc:
            # Client errors (a Cypher syntax error) land here too: they are bugs, but the caller
            # can only answer 503 either way, and FalkorDB reports every failure the same way.
            logger.warning("graph statement failed: %s", type(exc).__name__)
            raise GraphUnavailableError(
                "the knowledge graph server is unavailable or failed the statement",
                reason=_first_line(exc),
            ) from exc
        return [list(record.values()) for record in result.records]

    def ensure_schema(self) -> None:
        """Create the uniqueness constraints (Neo4j), or plain indexes where those are refused.

        Runs before the first statement of the store. Idempotent on Neo4j. On a server without
        ``CREATE CONSTRAINT`` (FalkorDB) a repeated plain index is refused with an error that
        cannot be told from others, so those refusals are logged and ignored: the indexes only
        make lookups faster. Raises ``GraphUnavailableError`` when the server cannot be reached.
        """
        from neo4j import exceptions as errors

        try:
            for statement in NEO4J_SCHEMA:
                self._execute(statement, {})
            return
        except GraphUnavailableError as exc:
            if not isinstance(exc.__cause__, errors.Neo4jError):
                raise
            logger.info("graph server refused CREATE CONSTRAINT; creating plain indexes")
        for statement in PLAIN_INDEXES:
            try:
                self._execute(statement, {})
            except GraphUnavailableError as exc:
                if not isinstance(exc.__cause__, errors.Neo4jError):
                    raise
                logger.info("graph index not created (it may exist already)")

    def close(self) -> None:
        self._driver.close()


def _first_line(exc: BaseException) -> str:
    # Later lines of a driver message may name hosts and addresses.
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:200] if text else ''}"
