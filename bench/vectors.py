"""``python -m bench vectors``: the default vector store and graph next to today's embedded ones.

Vectors (``--points``, default 100,000, dimension 384): clustered unit vectors (``--clusters``
centres plus noise, the shape of sentence embeddings; uniform random vectors are the worst case
of any ANN index and unlike real data) with a payload ``{"group": i % 10, "n": i}``.

- ours: ``PgVectorStore`` (pgvector 0.8 HNSW m=16, ef_construction=100, ef_search=1000, iterative
  scan) in a private database created, migrated and dropped by this run, through the app's own
  ``platform_vectors`` role and row-level security;
- peer: qdrant-client's local mode in memory (the embedded default until now: exact search).

Measured: insert throughput (batches of 500, each durable on return), top-10 search p50/p99
over ``--queries`` queries (the peer: ``--peer-queries``) without a filter and with
``group == 3`` (10% of the points), each the median of ``--rounds`` interleaved rounds;
recall@10 of each against exact search (numpy, same filter).

Graph (``--concepts`` concepts, 4 links each, 200 users with 20 learned concepts):
``PostgresGraphStore`` next to the embedded ladybug store, same data, same calls: concept lookup
(``related(user, [concept])``: the one-hop question chat and the AI core ask) and the 2-hop
neighbourhood of a concept (a recursive query; Cypher ``[:RELATED*1..2]`` on ladybug), p50/p99.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import percentile, print_table, ratio, write_results

DIM = 384
COLLECTION = "bench_vectors"
OWNER = "bench/vectors"
BATCH = 500
FILTER_GROUP = 3


# --- data ----------------------------------------------------------------------------------------
def make_vectors(count: int, clusters: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, DIM)).astype(np.float32)
    assignment = rng.integers(0, clusters, size=count)
    data = centres[assignment] + 0.6 * rng.normal(size=(count, DIM)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return data


def exact_top10(data: np.ndarray, query: np.ndarray, mask: np.ndarray | None) -> list[int]:
    scores = data @ query
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    top = np.argpartition(-scores, 10)[:10]
    return [int(i) for i in top[np.argsort(-scores[top])]]


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
    return round(hits / sum(len(t) for t in truth), 4)


# --- a private database --------------------------------------------------------------------------
@contextlib.contextmanager
def private_database() -> Iterator[dict[str, str]]:
    """A migrated database of this run: conninfos of the vectors and graph roles; dropped after."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    from shared.config import get_settings
    from shared.stores.migrate import apply_migrations
    from shared.stores.postgres import PostgresService, conninfo_from_settings

    settings = get_settings()
    admin = settings.postgres_dsn.get_secret_value()
    name = f"bench_vectors_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        apply_migrations(make_conninfo(admin, dbname=name))
        yield {
            service.value: make_conninfo(conninfo_from_settings(settings, service), dbname=name)
            for service in (PostgresService.VECTORS, PostgresService.GRAPH)
        }
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


# --- vectors -------------------------------------------------------------------------------------
class Side:
    """One store under test: insert, search (ids as ints), close."""

    name: str

    def insert(self, data: np.ndarray) -> None:
        raise NotImplementedError

    def search(self, query: np.ndarray, filtered: bool) -> list[int]:
        raise NotImplementedError


class Ours(Side):
    name = "pgvector (PgVectorStore)"

    def __init__(self, conninfo: str) -> None:
        from psycopg_pool import ConnectionPool

        from shared.vectors.pgvector_store import PgVectorStore

        self.pool = ConnectionPool(conninfo, min_size=1, max_size=2, open=True)
        self.store = PgVectorStore(self.pool)

    def insert(self, data: np.ndarray) -> None:
        from shared.vectors.store import VectorPoint

        for start in range(0, len(data), BATCH):
            points = [
                VectorPoint(str(i), data[i], {"group": i % 10, "n": i})
                for i in range(start, min(start + BATCH, len(data)))
            ]
            self.store.upsert(COLLECTION, OWNER, points)

    def search(self, query: np.ndarray, filtered: bool) -> list[int]:
        from qdrant_client import models

        from shared.vectors.store import VectorQuery

        flt = (
            models.Filter(
                must=[models.FieldCondition(key="group", match=models.MatchValue(value=3))]
            )
            if filtered
            else None
        )
        hits = self.store.search(
            COLLECTION, OWNER, VectorQuery(vector=query.tolist(), limit=10, filter=flt)
        )
        return [int(h.id) for h in hits]


class Peer(Side):
    name = "qdrant-client local mode (memory)"

    def __init__(self) -> None:
        from qdrant_client import QdrantClient, models

        self.models = models
        self.client = QdrantClient(location=":memory:")
        self.client.create_collection(
            COLLECTION,
            vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE),
        )

    def insert(self, data: np.ndarray) -> None:
        for start in range(0, len(data), BATCH):
            stop = min(start + BATCH, len(data))
            self.client.upsert(
                COLLECTION,
                points=self.models.Batch(
                    ids=list(range(start, stop)),
                    vectors=data[start:stop].tolist(),
                    payloads=[{"group": i % 10, "n": i} for i in range(start, stop)],
                ),
            )

    def search(self, query: np.ndarray, filtered: bool) -> list[int]:
        m = self.models
        flt = (
            m.Filter(must=[m.FieldCondition(key="group", match=m.MatchValue(value=3))])
            if filtered
            else None
        )
        points = self.client.query_points(
            COLLECTION, query=query.tolist(), query_filter=flt, limit=10
        ).points
        return [int(p.id) for p in points]


def _search(side: Side, filtered: bool, query: np.ndarray) -> list[int]:
    return side.search(query, filtered)


def time_calls(call: Callable[[Any], Any], inputs: Sequence[Any]) -> tuple[list[float], list[Any]]:
    times, results = [], []
    for item in inputs:
        started = time.perf_counter()
        results.append(call(item))
        times.append(time.perf_counter() - started)
    return times, results


def bench_vectors(conninfo: str, args: argparse.Namespace) -> dict[str, Any]:
    data = make_vectors(args.points, args.clusters)
    rng = np.random.default_rng(2)
    picks = rng.integers(0, len(data), size=args.queries)
    queries = data[picks] + 0.3 * rng.normal(size=(args.queries, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    mask = (np.arange(len(data)) % 10) == FILTER_GROUP
    truth = {
        False: [exact_top10(data, q, None) for q in queries],
        True: [exact_top10(data, q, mask) for q in queries],
    }
    sides: list[Side] = [Ours(conninfo), Peer()]
    # The peer searches exactly, in Python: a filtered search of 100,000 points takes seconds,
    # so it answers the first --peer-queries queries only (its recall is 1 by construction).
    asked = {sides[0].name: len(queries), sides[1].name: min(args.peer_queries, len(queries))}
    figures: dict[str, Any] = {}
    for side in sides:
        started = time.perf_counter()
        side.insert(data)
        seconds = time.perf_counter() - started
        figures[side.name] = {"insert_points_per_s": round(len(data) / seconds, 1)}
        print(f"[bench vectors] {side.name}: {len(data)} points in {seconds:.1f} s", flush=True)
    for filtered in (False, True):
        key = "filtered" if filtered else "unfiltered"
        p50s: dict[str, list[float]] = {s.name: [] for s in sides}
        every: dict[str, list[float]] = {s.name: [] for s in sides}
        found: dict[str, list[list[int]]] = {}
        calls = {s.name: functools.partial(_search, s, filtered) for s in sides}
        for side in sides:  # warm-up
            time_calls(calls[side.name], queries[:3])
        for _ in range(args.rounds):
            for side in sides:
                times, results = time_calls(calls[side.name], queries[: asked[side.name]])
                p50s[side.name].append(percentile(times, 50))
                every[side.name].extend(times)
                found[side.name] = results
        for side in sides:
            n = asked[side.name]
            figures[side.name][key] = {
                "p50_ms": round(statistics.median(p50s[side.name]) * 1000, 3),
                "p99_ms": round(percentile(every[side.name], 99) * 1000, 3),
                "recall_at_10": recall(found[side.name], truth[filtered][:n]),
                "queries": n,
            }
        print(f"[bench vectors] {key} searches done", flush=True)
    return figures


# --- graph ---------------------------------------------------------------------------------------
def graph_data(concepts: int, seed: int = 3) -> tuple[list[str], list[tuple[str, str, int]]]:
    rand = random.Random(seed)
    names = [f"concept {i:05d}" for i in range(concepts)]
    links: dict[tuple[str, str], int] = {}
    for name in names:
        for _ in range(4):
            # Half the links go to a few popular concepts (Pareto), as co-occurrences do.
            if rand.random() < 0.5:
                other = names[(int(rand.paretovariate(1.0)) - 1) % concepts]
            else:
                other = names[rand.randrange(concepts)]
            if other != name:
                a, b = sorted((name, other))
                links[(a, b)] = links.get((a, b), 0) + rand.randint(1, 5)
    return names, [(a, b, w) for (a, b), w in links.items()]


def load_graph(store: Any, names: list[str], links: list[tuple[str, str, int]]) -> None:
    rand = random.Random(4)
    for a, b, weight in links:
        store.relate(a, b, weight=weight)
    for user in range(200):
        learned = rand.sample(names, 20)
        for start in range(0, 20, 5):
            store.learn(f"user-{user}", learned[start : start + 5], confidence=0.5, at=user)


LADYBUG_TWO_HOPS = (
    "MATCH (a:Concept {name: $name})-[:RELATED*1..2]-(b:Concept) WHERE b.name <> $name "
    "RETURN DISTINCT b.name AS name"
)


def bench_graph(conninfo: str, args: argparse.Namespace) -> dict[str, Any]:
    from psycopg_pool import ConnectionPool

    from shared.graph.embedded import EmbeddedGraphStore
    from shared.graph.postgres_store import PostgresGraphStore

    names, links = graph_data(args.concepts)
    pool = ConnectionPool(conninfo, min_size=1, max_size=2, open=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-graph-"))
    ours = PostgresGraphStore(pool)
    peer = EmbeddedGraphStore(folder / "concepts.lbug")
    load: dict[str, float] = {}
    for label, store in (("postgres", ours), ("ladybug", peer)):
        started = time.perf_counter()
        load_graph(store, names, links)
        load[label] = round(time.perf_counter() - started, 2)
        print(f"[bench vectors] graph loaded into {label} in {load[label]} s", flush=True)
    rand = random.Random(5)
    seeds = [rand.choice(names) for _ in range(args.graph_queries)]
    users = [f"user-{rand.randrange(200)}" for _ in seeds]
    calls: dict[str, dict[str, Callable[[int], Any]]] = {
        "postgres": {
            "lookup": lambda i: ours.related(users[i], [seeds[i]]),
            "two_hops": lambda i: set(ours.neighbourhood(seeds[i], hops=2, limit=10_000)),
        },
        "ladybug": {
            "lookup": lambda i: peer.related(users[i], [seeds[i]]),
            "two_hops": lambda i: {r[0] for r in peer._run(LADYBUG_TWO_HOPS, {"name": seeds[i]})},
        },
    }
    figures: dict[str, Any] = {"load_seconds": load}
    for operation in ("lookup", "two_hops"):
        p50s: dict[str, list[float]] = {"postgres": [], "ladybug": []}
        every: dict[str, list[float]] = {"postgres": [], "ladybug": []}
        answers: dict[str, list[Any]] = {}
        for _ in range(args.rounds):
            for side in ("postgres", "ladybug"):
                times, answers[side] = time_calls(calls[side][operation], range(len(seeds)))
                p50s[side].append(percentile(times, 50))
                every[side].extend(times)
        figures[operation] = {
            side: {
                "p50_ms": round(statistics.median(p50s[side]) * 1000, 3),
                "p99_ms": round(percentile(every[side], 99) * 1000, 3),
            }
            for side in ("postgres", "ladybug")
        }
        figures[operation]["same_answers"] = answers["postgres"] == answers["ladybug"]
    peer.close()
    pool.close()
    return figures


# --- main ----------------------------------------------------------------------------------------
def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench vectors", description=__doc__)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--clusters", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--peer-queries", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concepts", type=int, default=2_000)
    parser.add_argument("--graph-queries", type=int, default=300)
    args = parser.parse_args(argv)
    with private_database() as conninfo:
        vectors = bench_vectors(conninfo["vectors"], args)
        graph = bench_graph(conninfo["graph"], args)
    results = {
        "setup": {
            "points": args.points,
            "dimension": DIM,
            "clusters": args.clusters,
            "queries": args.queries,
            "peer_queries": args.peer_queries,
            "rounds": args.rounds,
            "filter": f"group == {FILTER_GROUP} (10% of the points)",
            "ours": "pgvector HNSW (m 16, ef_construction 100, ef_search 1000), PostgreSQL 18",
            "peer": "qdrant-client local mode in memory (exact search)",
            "graph": f"{args.concepts} concepts, ~4 links each, 200 users x 20 learned",
        },
        "vectors": vectors,
        "graph": graph,
    }
    path = write_results("vectors", results)
    _print(results)
    print(f"\nresults: {path}")


def _print(results: dict[str, Any]) -> None:
    ours, peer = results["vectors"].values()
    rows = [
        [
            "insert points/s",
            ours["insert_points_per_s"],
            peer["insert_points_per_s"],
            ratio(ours["insert_points_per_s"], peer["insert_points_per_s"]),
        ]
    ]
    for key in ("unfiltered", "filtered"):
        for measure in ("p50_ms", "p99_ms", "recall_at_10"):
            rows.append(
                [
                    f"top-10 {key} {measure}",
                    ours[key][measure],
                    peer[key][measure],
                    ratio(ours[key][measure], peer[key][measure]),
                ]
            )
    print_table(
        f"vectors, {results['setup']['points']:,} x {DIM} (ratio = ours / peer)",
        ["measure", "pgvector", "qdrant local", "ratio"],
        rows,
    )
    graph = results["graph"]
    grows = [
        [
            f"{op} {m}",
            graph[op]["postgres"][m],
            graph[op]["ladybug"][m],
            ratio(graph[op]["postgres"][m], graph[op]["ladybug"][m]),
        ]
        for op in ("lookup", "two_hops")
        for m in ("p50_ms", "p99_ms")
    ]
    grows.append(
        [
            "load s",
            graph["load_seconds"]["postgres"],
            graph["load_seconds"]["ladybug"],
            ratio(graph["load_seconds"]["postgres"], graph["load_seconds"]["ladybug"]),
        ]
    )
    print_table("graph (ratio = ours / peer)", ["measure", "postgres", "ladybug", "ratio"], grows)
