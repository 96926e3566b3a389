"""``VectorStore`` on pgvector: the table ``vector_points`` (migration 0010) in the platform's
PostgreSQL. The default store: durable, and shared by every process that reaches the database
(the host, the job workers, other instances) with nothing else to run.

Every call is one transaction of the ``platform_vectors`` role acting for the owner
(``app.user_id``), so row-level security shows that owner's points only, on top of each query's
own ``owner =`` condition.

Searches order by cosine distance on the HNSW index of the vector's size (the collection,
owner and payload filter are applied while the index is walked: pgvector's iterative scan keeps
walking until ``limit`` rows passed them or ``hnsw.max_scan_tuples`` were seen). ``EF_SEARCH``
is 1000, pgvector's maximum, because the store it replaces (qdrant-client's local mode) searched
exactly and answers should stay the same: on ``python -m bench vectors``' clustered 384-d points,
recall@10 against exact search was 0.58 at pgvector's default 40, 0.77 at 100 and 0.99 at 400
(20,000 points); on 50,000 points 0.975 at 400 and 1.0 at 1000, and with a 10% payload filter
0.91 at 400 and 0.99 at 1000, each about 12 ms a search. For an owner with few points among many,
the planner reads the owner's rows by the primary key and sorts them: exact.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from psycopg import sql

from shared.errors import UnprocessableContentError
from shared.vectors.sql_filters import to_sql
from shared.vectors.store import (
    OwnedPoint,
    ScoredPoint,
    VectorPoint,
    VectorQuery,
    VectorStoreUnavailableError,
)

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

logger = logging.getLogger(__name__)

EF_SEARCH = 1000  # candidates the HNSW walk keeps (see the module docstring)
INDEXED_DIMENSIONS = frozenset({384})  # sizes migration 0010 has an HNSW index for
_UPSERT = """
INSERT INTO vector_points (collection, owner, id, dimension, embedding, payload)
VALUES (%s, %s, %s, %s, %s::vector, %s::jsonb)
ON CONFLICT (collection, owner, id) DO UPDATE SET
    dimension = EXCLUDED.dimension, embedding = EXCLUDED.embedding,
    payload = EXCLUDED.payload, updated_at = now()
"""


def vector_literal(vector: Sequence[float]) -> str:
    """pgvector's text form of ``vector`` (``[0.1,0.2,...]``)."""
    values = vector.tolist() if hasattr(vector, "tolist") else list(vector)
    return "[" + ",".join(map(repr, map(float, values))) + "]"


class PgVectorStore:
    """``VectorStore`` over ``pool`` (the ``platform_vectors`` role's); ``admin_pool`` (the
    migrations' credentials, not subject to row-level security) is needed by ``export`` only."""

    kind = "postgres"

    def __init__(self, pool: ConnectionPool, admin_pool: ConnectionPool | None = None) -> None:
        self._pool = pool
        self._admin_pool = admin_pool

    # --- writes -----------------------------------------------------------------------------
    def upsert(self, collection: str, owner: str, points: Sequence[VectorPoint]) -> None:
        rows = [
            (
                collection,
                owner,
                p.id,
                len(p.vector),
                vector_literal(p.vector),
                json.dumps(p.payload),
            )
            for p in points
        ]
        if not rows:
            return
        with self._transaction(owner) as conn, conn.cursor() as cur:
            cur.executemany(_UPSERT, rows)

    def delete(
        self,
        collection: str,
        owner: str,
        *,
        ids: Sequence[str] | None = None,
        query_filter: Any = None,
    ) -> int:
        if ids is not None:
            where: sql.Composable = sql.SQL("id = ANY(%s)")
            params: list[Any] = [list(ids)]
        else:
            condition = to_sql(query_filter)
            where, params = condition.text, condition.params
        query = sql.SQL(
            "DELETE FROM vector_points WHERE collection = %s AND owner = %s AND ({})"
        ).format(where)
        with self._transaction(owner) as conn:
            return conn.execute(query, [collection, owner, *params]).rowcount

    # --- reads ------------------------------------------------------------------------------
    def search(self, collection: str, owner: str, query: VectorQuery) -> list[ScoredPoint]:
        return self.search_batch(collection, owner, [query])[0]

    def search_batch(
        self, collection: str, owner: str, queries: Sequence[VectorQuery]
    ) -> list[list[ScoredPoint]]:
        if not queries:
            return []
        with self._transaction(owner, ef_search=max(q.limit for q in queries)) as conn:
            return [self._search_one(conn, collection, owner, q) for q in queries]

    def _search_one(
        self, conn: Connection, collection: str, owner: str, query: VectorQuery
    ) -> list[ScoredPoint]:
        dimension = len(query.vector)
        # The size is a literal so that the planner can match the partial HNSW index.
        typed = sql.SQL("vector({})").format(sql.Literal(dimension))
        distance = sql.SQL("embedding::{t} <=> %s::{t}").format(t=typed)
        condition = to_sql(query.filter)
        inner = sql.SQL(
            "SELECT id, payload, {distance} AS distance FROM vector_points"
            " WHERE collection = %s AND owner = %s AND dimension = {size} AND ({where})"
            " ORDER BY {distance} LIMIT %s"
        ).format(distance=distance, size=sql.Literal(dimension), where=condition.text)
        literal = vector_literal(query.vector)
        params: list[Any] = [literal, collection, owner, *condition.params, literal, query.limit]
        outer = sql.SQL("SELECT id, payload, 1 - distance AS score FROM ({}) AS hits").format(inner)
        if query.score_threshold is not None:
            outer = sql.SQL("{} WHERE 1 - distance >= %s").format(outer)
            params.append(query.score_threshold)
        # relaxed_order may hand rows over slightly out of order: sorted again here.
        outer = sql.SQL("{} ORDER BY distance, id").format(outer)
        rows = conn.execute(outer, params).fetchall()
        return [ScoredPoint(str(i), float(score), dict(payload)) for i, payload, score in rows]

    def count(self, collection: str, owner: str, query_filter: Any = None) -> int:
        condition = to_sql(query_filter)
        query = sql.SQL(
            "SELECT count(*) FROM vector_points WHERE collection = %s AND owner = %s AND ({})"
        ).format(condition.text)
        with self._transaction(owner) as conn:
            row = conn.execute(query, [collection, owner, *condition.params]).fetchone()
        return int(row[0]) if row else 0

    def retrieve(self, collection: str, owner: str, ids: Sequence[str]) -> list[VectorPoint]:
        with self._transaction(owner) as conn:
            rows = conn.execute(
                "SELECT id, embedding::text, payload FROM vector_points"
                " WHERE collection = %s AND owner = %s AND id = ANY(%s)",
                [collection, owner, list(ids)],
            ).fetchall()
        return [VectorPoint(str(i), json.loads(v), dict(p)) for i, v, p in rows]

    def export(self, collection: str, *, batch: int = 500) -> Iterator[OwnedPoint]:
        if self._admin_pool is None:
            raise RuntimeError("export needs the administrator's pool (POSTGRES_DSN)")
        after = ("", "")
        while True:
            with self._errors(), self._admin_pool.connection() as conn:
                rows = conn.execute(
                    "SELECT owner, id, embedding::text, payload FROM vector_points"
                    " WHERE collection = %s AND (owner, id) > (%s, %s)"
                    " ORDER BY owner, id LIMIT %s",
                    [collection, *after, batch],
                ).fetchall()
            if not rows:
                return
            for owner, point_id, vector, payload in rows:
                point = VectorPoint(point_id, json.loads(vector), payload)
                yield OwnedPoint(collection, owner, point)
            after = (rows[-1][0], rows[-1][1])

    def ping(self) -> None:
        with self._errors(), self._pool.connection() as conn:
            conn.execute("SELECT 1 FROM vector_points LIMIT 0")

    def close(self) -> None:
        """The pools are the process's shared ones (``get_pool``): nothing to release here."""

    # --- plumbing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _transaction(self, owner: str, *, ef_search: int = EF_SEARCH) -> Iterator[Connection]:
        """One transaction acting for ``owner``, with the search settings of this store."""
        if not owner:
            raise ValueError("a vector store call needs the owner")
        with self._errors(), self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "SELECT set_config('app.user_id', %s, true),"
                " set_config('hnsw.ef_search', %s, true),"
                " set_config('hnsw.iterative_scan', 'relaxed_order', true)",
                [owner, str(min(1000, max(EF_SEARCH, ef_search)))],
            )
            yield conn

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """The database failing becomes 503 (counted by the ``vectors`` breaker); a value the
        database refuses (a vector of the wrong size, a bad JSON path) becomes 422."""
        import psycopg
        import psycopg_pool

        from shared.resilience import guard

        with guard("vectors", counts=(VectorStoreUnavailableError,)):
            try:
                yield
            except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
                logger.warning("vector store call failed: %s", type(exc).__name__)
                raise VectorStoreUnavailableError(
                    "the vector store is unavailable", headers={"Retry-After": "5"}
                ) from exc
            except psycopg.DataError as exc:
                raise UnprocessableContentError(
                    f"the vector store refused the request: {str(exc).splitlines()[0][:200]}"
                ) from exc
