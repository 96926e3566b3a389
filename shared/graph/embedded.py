"""The embedded knowledge graph: ladybug (the maintained fork of kuzu) in this process, no server.

ladybug is a typed engine: the schema below must exist before any MERGE. It keeps a database in
one file (plus a write-ahead log beside it) at ``GRAPH_PATH``; ``:memory:`` keeps it in memory.

One process at a time: ladybug locks the file when it opens it. A second process (a job worker
beside the devhost, a second devhost) gets ``GraphUnavailableError`` (503) naming the lock, and
tries again on its next call, so it succeeds once the holder has exited. Processes that must share
a graph need a server: set ``NEO4J_URI``.

Thread safety: one connection per store, and one lock around every statement. The engine admits a
single write transaction at a time anyway, and the statements here take milliseconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.graph.base import CypherGraphStore, GraphUnavailableError

if TYPE_CHECKING:
    import ladybug

logger = logging.getLogger(__name__)

IN_MEMORY = ":memory:"
BUFFER_POOL_BYTES = 64 * 1024 * 1024  # the engine's default is 80% of the machine's memory

SCHEMA = (
    "CREATE NODE TABLE IF NOT EXISTS User(id STRING, PRIMARY KEY (id))",
    "CREATE NODE TABLE IF NOT EXISTS Concept(name STRING, PRIMARY KEY (name))",
    "CREATE REL TABLE IF NOT EXISTS LEARNED(FROM User TO Concept, confidence DOUBLE, at INT64)",
    "CREATE REL TABLE IF NOT EXISTS RELATED(FROM Concept TO Concept, weight INT64)",
)


class EmbeddedGraphStore(CypherGraphStore):
    """``GraphStore`` on an in-process ladybug database at ``path`` (``:memory:`` or empty: RAM).

    The database is opened on first use, not here, so a store can be built in a process that never
    touches the graph without taking the file lock.
    """

    def __init__(self, path: str | Path, *, timeout_seconds: float = 5.0) -> None:
        self._path = str(path) if str(path) else IN_MEMORY
        self._timeout_ms = max(1, int(timeout_seconds * 1000))
        self._lock = threading.Lock()
        self._database: ladybug.Database | None = None
        self._connection: ladybug.Connection | None = None
        self._closed = False

    @property
    def path(self) -> str:
        return self._path

    def _open(self) -> ladybug.Connection:
        """The connection, opening the database and declaring the schema the first time."""
        if self._connection is not None:
            return self._connection
        if self._closed:
            raise GraphUnavailableError("the embedded knowledge graph was closed")
        import ladybug

        try:
            if self._path != IN_MEMORY:
                # ladybug creates the database file but not the folder it goes in.
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            database = ladybug.Database(self._path, buffer_pool_size=BUFFER_POOL_BYTES)
        except (RuntimeError, OSError) as exc:
            # "IO exception: Could not set lock on file : PATH (Lock is held by PID N)".
            logger.warning("embedded graph at %s could not be opened: %s", self._path, exc)
            raise GraphUnavailableError(
                "the embedded knowledge graph is unavailable (it is single-process: another "
                "process may hold it; set NEO4J_URI to share a graph between processes)",
                reason=str(exc).splitlines()[0][:300],
            ) from exc
        try:
            connection = ladybug.Connection(database)
            connection.set_query_timeout(self._timeout_ms)
            for statement in SCHEMA:
                connection.execute(statement)
        except RuntimeError as exc:
            database.close()
            raise GraphUnavailableError("the embedded knowledge graph's schema failed") from exc
        self._database, self._connection = database, connection
        return connection

    def _run(self, query: str, parameters: Mapping[str, Any]) -> list[list[Any]]:
        with self._lock:
            connection = self._open()
            try:
                result = connection.execute(query, dict(parameters))
            except RuntimeError as exc:
                raise GraphUnavailableError(
                    "the embedded knowledge graph failed a statement",
                    reason=str(exc).splitlines()[0][:300],
                ) from exc
            # execute() returns a list of results only for several statements in one string.
            assert not isinstance(result, list)
            try:
                return [list(row) for row in result.get_all()]
            finally:
                result.close()

    def close(self) -> None:
        """Close the connection and the database, releasing the file lock."""
        with self._lock:
            self._closed = True
            connection, database = self._connection, self._database
            self._connection = self._database = None
            if connection is not None:
                connection.close()
            if database is not None:
                database.close()
