"""The knowledge graph in PostgreSQL: tables behind the ``GraphStore`` interface (the default).

Migration 0010 keeps the graph as three tables: ``graph_concepts`` (nodes), ``graph_related``
(undirected links, stored once from the name that sorts first in code-point order, the same rule
as the Cypher stores) and ``graph_learned`` (a user's edges, under row-level security). Every
process that reaches the database (the host, the job workers, other instances) shares it, and it
survives restarts: nothing to install or run beside the PostgreSQL the platform already has.

The questions the platform asks are one hop (a concept's neighbours, a user's concepts), so each
method is one or two indexed queries; ``neighbourhood`` shows a recursive query for longer walks.
Each method is one transaction of the ``platform_graph`` role acting for the user it names.
Concurrent ``learn`` calls upsert rows in sorted order, so they never wait on each other in a
cycle (no deadlock).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from shared.graph.base import (
    MAX_CONCEPT_CHARS,
    MAX_CONCEPTS_PER_CALL,
    RELATED_SCAN_ROWS,
    GraphUnavailableError,
    LearnedConcept,
    RelatedConcept,
    _names,
    _positive,
    _user,
    normalise_concept,
)

if TYPE_CHECKING:
    from psycopg import Connection, Cursor
    from psycopg_pool import ConnectionPool

logger = logging.getLogger(__name__)

# Links of the seeds, each seen from the seed's side: (other, via, weight).
_NEIGHBOURS = """
SELECT other, via, weight FROM (
    SELECT b AS other, a AS via, weight FROM graph_related WHERE a = ANY(%(seeds)s)
    UNION ALL
    SELECT a AS other, b AS via, weight FROM graph_related WHERE b = ANY(%(seeds)s)
) AS links
WHERE NOT other = ANY(%(seeds)s)
ORDER BY weight DESC, other COLLATE "C", via COLLATE "C"
LIMIT %(scan)s
"""


class PostgresGraphStore:
    """``GraphStore`` over ``pool`` (the ``platform_graph`` role's)."""

    def __init__(self, pool: ConnectionPool, *, timeout_seconds: float = 5.0) -> None:
        self._pool = pool
        self._timeout_ms = max(1, int(timeout_seconds * 1000))

    def learn(self, user_id: str, concepts: Sequence[str], *, confidence: float, at: int) -> None:
        user = _user(user_id)
        if not (math.isfinite(confidence) and 0.0 <= confidence <= 1.0):
            raise ValueError("confidence must be within [0, 1]")
        names = _names(concepts)
        if len(names) > MAX_CONCEPTS_PER_CALL:
            raise ValueError(f"at most {MAX_CONCEPTS_PER_CALL} concepts per call")
        if not names:
            return
        ordered = sorted(names)
        pairs = list(itertools.combinations(ordered, 2))
        with self._transaction(user) as conn, conn.cursor() as cur:
            _add_concepts(cur, ordered)
            cur.executemany(
                "INSERT INTO graph_learned (user_id, concept, confidence, at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (user_id, concept) DO UPDATE SET"
                " confidence = GREATEST(graph_learned.confidence, EXCLUDED.confidence),"
                " at = GREATEST(graph_learned.at, EXCLUDED.at)",
                [(user, name, float(confidence), int(at)) for name in ordered],
            )
            if pairs:
                _add_links(cur, pairs, 1)

    def relate(self, a: str, b: str, *, weight: int = 1) -> None:
        first, second = sorted((normalise_concept(a), normalise_concept(b)))
        if not first or first == second:
            raise ValueError("relate needs two different, non-empty concept names")
        if max(len(first), len(second)) > MAX_CONCEPT_CHARS:
            raise ValueError(f"a concept name is longer than {MAX_CONCEPT_CHARS} characters")
        _positive(weight, "weight")
        with self._transaction(None) as conn, conn.cursor() as cur:
            _add_concepts(cur, [first, second])
            _add_links(cur, [(first, second)], weight)

    def concepts(self, user_id: str, *, limit: int = 50) -> list[LearnedConcept]:
        user = _user(user_id)
        with self._transaction(user) as conn:
            rows = conn.execute(
                "SELECT concept, confidence, at FROM graph_learned WHERE user_id = %s"
                ' ORDER BY at DESC, confidence DESC, concept COLLATE "C" LIMIT %s',
                [user, _positive(limit, "limit")],
            ).fetchall()
        return [LearnedConcept(str(n), float(c), int(t)) for n, c, t in rows]

    def related(
        self, user_id: str, concepts: Sequence[str], *, limit: int = 10
    ) -> list[RelatedConcept]:
        user = _user(user_id)
        _positive(limit, "limit")
        names = _names(concepts)
        with self._transaction(user) as conn:
            if not names:
                learned = conn.execute(
                    "SELECT concept FROM graph_learned WHERE user_id = %s", [user]
                ).fetchall()
                names = [str(row[0]) for row in learned]
            if not names:
                return []
            rows = conn.execute(_NEIGHBOURS, {"seeds": names, "scan": RELATED_SCAN_ROWS}).fetchall()
        # Rows come strongest first: the first row of a name is its strongest link.
        strongest: dict[str, RelatedConcept] = {}
        for name, via, weight in rows:
            strongest.setdefault(str(name), RelatedConcept(str(name), str(via), int(weight)))
        ranked = sorted(strongest.values(), key=lambda r: (-r.weight, r.name, r.via))
        return ranked[:limit]

    def neighbourhood(self, concept: str, *, hops: int = 2, limit: int = 100) -> list[str]:
        """Concepts within ``hops`` RELATED links of ``concept`` (itself excluded), nearest
        first, then by name: a recursive query over the links in both directions."""
        name = normalise_concept(concept)
        with self._transaction(None) as conn:
            rows = conn.execute(
                """
                WITH RECURSIVE walk(name, depth) AS (
                    SELECT %(name)s::text, 0
                    UNION
                    SELECT CASE WHEN r.a = w.name THEN r.b ELSE r.a END, w.depth + 1
                    FROM walk w JOIN graph_related r ON r.a = w.name OR r.b = w.name
                    WHERE w.depth < %(hops)s
                )
                SELECT name FROM walk WHERE name <> %(name)s
                GROUP BY name ORDER BY min(depth), name COLLATE "C" LIMIT %(limit)s
                """,
                {"name": name, "hops": _positive(hops, "hops"), "limit": limit},
            ).fetchall()
        return [str(row[0]) for row in rows]

    def forget_user(self, user_id: str) -> int:
        user = _user(user_id)
        with self._transaction(user) as conn:
            return conn.execute("DELETE FROM graph_learned WHERE user_id = %s", [user]).rowcount

    def ping(self) -> None:
        with self._transaction(None) as conn:
            conn.execute("SELECT 1 FROM graph_concepts LIMIT 0")

    def close(self) -> None:
        """The pool is the process's shared one (``get_pool``): nothing to release here."""

    @contextlib.contextmanager
    def _transaction(self, user: str | None) -> Iterator[Connection]:
        """One transaction (acting for ``user`` when given) with the statement timeout; the
        database failing becomes ``GraphUnavailableError`` (503)."""
        import psycopg
        import psycopg_pool

        try:
            with self._pool.connection() as conn, conn.transaction():
                conn.execute(
                    "SELECT set_config('app.user_id', %s, true),"
                    " set_config('statement_timeout', %s, true)",
                    [user or "", str(self._timeout_ms)],
                )
                yield conn
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            logger.warning("graph call failed: %s", type(exc).__name__)
            raise GraphUnavailableError(
                "the knowledge graph is unavailable", reason=str(exc).splitlines()[0][:300]
            ) from exc


def _add_concepts(cur: Cursor[Any], names: list[str]) -> None:
    cur.executemany(
        "INSERT INTO graph_concepts (name) VALUES (%s) ON CONFLICT DO NOTHING",
        [(name,) for name in names],
    )


def _add_links(
    cur: Cursor[Any],
    pairs: list[tuple[str, str]],
    weight: int,
) -> None:
    cur.executemany(
        "INSERT INTO graph_related (a, b, weight) VALUES (%s, %s, %s)"
        " ON CONFLICT (a, b) DO UPDATE SET weight = graph_related.weight + EXCLUDED.weight",
        [(a, b, weight) for a, b in pairs],
    )
