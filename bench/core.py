"""``python -m bench core``: ``POST /api/analyze`` over devhost, next to the same pipeline written
by hand, and the time to answer with a dependency down (breaker closed versus open).

Data: generated support tickets, three planted topics and four planted anomalies
(``bench/_core_tickets.py``), 100 and 1,000 items.

- ``http``: ``POST /api/analyze`` through devhost (a graph of its own, Qdrant in memory), median and
  p99 of ``--repetitions`` calls per size after one warm-up call: the whole pipeline (embed,
  cluster with k by silhouette in 2..8, anomalies, zero-shot classification, graph relations,
  pattern matching, extractive summaries) plus HTTP and JSON.
- ``in_process``: ``shared.core.service.analyze`` called directly (the same pipeline, no HTTP).
- ``peer``: the pipeline written by hand in this process with scikit-learn and the embedding model:
  embed, KMeans for k in 2..8 by silhouette, IsolationForest on the embeddings, zero-shot as the
  nearest label vector, the 3 items closest to each centroid. No graph, no Qdrant, no HTTP.
- ``dependency_down``: one ticket with the graph (Neo4j on a dead port) and Qdrant (a dead port)
  both down. ``closed``: a devhost whose breakers never open (threshold 1,000,000): every call
  pays the failures. ``open``: a devhost with BREAKER_FAILURE_THRESHOLD=1 after one call opened
  both breakers: the calls are refused at once. Goal: open under 50 ms.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench._http_auth import auth_headers
from bench.report import percentile, print_table, ratio, write_results

SIZES = (100, 1000)


def _items(size: int) -> list[dict[str, str]]:
    from datasets.core_tickets import ANOMALIES, planted

    per_topic = (size - len(ANOMALIES)) // 3
    texts, _ = planted(per_topic, seed=size)
    while len(texts) < size:
        texts.append(texts[len(texts) % per_topic])
    return [{"text": t} for t in texts[:size]]


def _stats(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "n": len(ms),
    }


def _time(fn: Callable[[], Any], repetitions: int) -> list[float]:
    fn()  # warm-up
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


@contextmanager
def _host(env: dict[str, str]) -> Iterator[Any]:
    import httpx

    from devhost.testing import PROJECT_ROOT, run_devhost

    with (
        TemporaryDirectory() as graph_dir,
        run_devhost(PROJECT_ROOT, env={"GRAPH_PATH": f"{graph_dir}/g.lbug", **env}) as base,
        httpx.Client(base_url=f"{base}/api", timeout=300) as client,
    ):
        yield client


def _post(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    headers = auth_headers(f"bench-{uuid.uuid4().hex[:8]}")
    response = client.post("/analyze", json=body, headers=headers)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def _http(repetitions: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with _host({}) as client:
        for size in SIZES:
            body = {"items": _items(size)}
            out[str(size)] = _stats(_time(functools.partial(_post, client, body), repetitions))
    return out


def _in_process(repetitions: int) -> dict[str, Any]:
    from shared.core.api import AnalyzeRequest
    from shared.core.service import analyze

    out: dict[str, Any] = {}
    for size in SIZES:
        request = AnalyzeRequest.model_validate({"items": _items(size), "relate": False})
        out[str(size)] = _stats(_time(functools.partial(analyze, "bench", request), repetitions))
    return out


def _peer(repetitions: int) -> dict[str, Any]:
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import silhouette_score

    from shared.classify.label_sets import LABEL_SETS
    from shared.inference.text_models import get_embedder

    embedder = get_embedder()
    labels = LABEL_SETS["support_intent"]

    def unit(v: Any) -> Any:
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    def pipeline(texts: list[str]) -> Any:
        x = unit(embedder.embed(texts).vectors).astype(np.float64)
        best = None
        for k in range(2, 9):
            model = KMeans(n_clusters=k, n_init=1, random_state=0).fit(x)
            score = silhouette_score(x, model.labels_)
            if best is None or score > best[0]:
                best = (score, model)
        assert best is not None
        model = best[1]
        flags = IsolationForest(contamination=0.05, random_state=0).fit_predict(x) < 0
        names = list(labels)
        label_vectors = unit(
            np.stack([unit(embedder.embed(labels[n]).vectors).mean(axis=0) for n in names])
        )
        predicted = [names[i] for i in (x @ label_vectors.T).argmax(axis=1)]
        reps = [np.argsort(-(x @ c))[:3] for c in unit(model.cluster_centers_)]
        return model.labels_, flags, predicted, reps

    out: dict[str, Any] = {}
    for size in SIZES:
        texts = [item["text"] for item in _items(size)]
        out[str(size)] = _stats(_time(functools.partial(pipeline, texts), repetitions))
    return out


def _dependency_down(repetitions: int) -> dict[str, Any]:
    from bench.coldstart import _free_port

    down = {
        "NEO4J_URI": f"bolt://127.0.0.1:{_free_port()}",
        "GRAPH_TIMEOUT_SECONDS": "1",
        "QDRANT_URL": f"http://127.0.0.1:{_free_port()}",
    }
    body = {"items": [{"text": "I was charged twice for my premium subscription"}]}
    out: dict[str, Any] = {}
    for state, threshold in (("closed", "1000000"), ("open", "1")):
        with _host({**down, "BREAKER_FAILURE_THRESHOLD": threshold}) as client:
            steps: dict[str, list[float]] = {"relate": [], "match": []}
            degraded: list[str] = []

            def call(client: Any = client, steps: Any = steps, degraded: Any = degraded) -> None:
                result = _post(client, body)
                degraded[:] = result["degraded"]
                for step in result["steps"]:
                    if step["name"] in steps:
                        steps[step["name"]].append(step["ms"])

            samples = _time(call, repetitions)
            out[state] = {
                **_stats(samples),
                "step_p50_ms": {n: round(statistics.median(v), 2) for n, v in steps.items()},
                "degraded": degraded,
            }
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench core")
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args(argv)
    import os

    # This process's own in-memory Qdrant and graph for the in-process runs.
    os.environ.update({"QDRANT_URL": "", "QDRANT_PATH": "", "NEO4J_URI": ""})
    with TemporaryDirectory() as graph_dir:
        os.environ["GRAPH_PATH"] = str(Path(graph_dir) / "g.lbug")
        from shared.config import reset_settings

        reset_settings()
        in_process = _in_process(args.repetitions)
        peer = _peer(args.repetitions)
    http = _http(args.repetitions)
    down = _dependency_down(args.repetitions)
    results = {
        "repetitions": args.repetitions,
        "analyze": {
            size: {
                "http": http[size],
                "in_process": in_process[size],
                "peer": peer[size],
                "http_over_peer": ratio(http[size]["p50_ms"], peer[size]["p50_ms"]),
            }
            for size in http
        },
        "dependency_down": down,
        "open_breaker_under_50_ms": down["open"]["p50_ms"] < 50,
    }
    path = write_results("core", results)
    print_table(
        "POST /api/analyze (p50 ms)",
        ["items", "http", "in-process", "peer (sklearn by hand)", "http / peer"],
        [
            [
                s,
                f["http"]["p50_ms"],
                f["in_process"]["p50_ms"],
                f["peer"]["p50_ms"],
                f["http_over_peer"],
            ]
            for s, f in results["analyze"].items()
        ],
    )
    print_table(
        "graph + Qdrant down, one item (ms)",
        ["breaker", "p50", "p99", "relate step p50", "match step p50"],
        [
            [state, f["p50_ms"], f["p99_ms"], f["step_p50_ms"]["relate"], f["step_p50_ms"]["match"]]
            for state, f in down.items()
        ],
    )
    print(f"\nresults: {path}")
