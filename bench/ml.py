"""``python -m bench ml``: the classical ML layer next to plain scikit-learn, and ``/api/predict``.

Same process, same data (100,000 x 16 float64, 8 planted blobs), same parameters, same run,
interleaved, median of ``--repetitions``:

- KMeans (k=8, n_init=1, seed 0): ours is ``shared.ml.algorithms.cluster`` (fit, labels as a list,
  centres, cluster sizes, silhouette on a 1,000-row sample) and ``algorithms.predict`` (the
  registry's predict path); the peer is ``KMeans(...).fit(x)`` and ``.predict(x)``;
- IsolationForest (100 trees, contamination auto, seed 0): ours is
  ``algorithms.isolation_forest`` + ``score_anomalies`` (scores and flags as lists); the peer is
  ``IsolationForest(...).fit(x)`` and ``.decision_function(x)``;
- overhead = ours / peer - 1 (goal: under 10 %).

Registry predictions through scikit-learn next to onnxruntime (``--only onnx`` runs this part
alone and keeps the other figures of bench/results/ml.json): each registry estimator (KMeans k=8,
IsolationForest, RandomForest classifier and regressor, LogisticRegression, Ridge; default
parameters, 100 trees) trained on 2,000 x 16 blobs and read back from skops; ``sklearn`` is
``algorithms.predict`` on it (what predict serves without an ONNX copy), ``onnxruntime`` is
``onnx_serving.predict`` on its skl2onnx conversion (float32), for 1 and 1,000 rows, median of
``--onnx-repetitions`` interleaved calls after a warm-up; ratio = onnxruntime / sklearn.

Then ``POST /api/predict`` through devhost (function key + X-API-Key with a key issued for the
run with the ``predict`` scope, as trading agents call it; 3 symbols x 60 candles):
p50/p99 of a miss (a new Idempotency-Key each call: the decision runs) and of a replay (the
same key again: served from Redis). Goals: under 100 ms and under 10 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.report import print_table, ratio, summarize_ms, write_results

ROWS, COLS, K = 100_000, 16, 8


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _algorithms(repetitions: int) -> dict[str, dict[str, float]]:
    from sklearn.datasets import make_blobs

    x, _ = make_blobs(n_samples=ROWS, n_features=COLS, centers=K, random_state=0)
    x = x.astype(np.float64)
    times: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        times.setdefault(name, []).append(seconds)

    for _ in range(repetitions):
        _round(x, record)
    return {
        f"{algo}_{step}": {
            "ours_s": round(statistics.median(times[f"{algo}_{step}_ours"]), 4),
            "peer_s": round(statistics.median(times[f"{algo}_{step}_peer"]), 4),
        }
        for algo in ("kmeans", "iforest")
        for step in ("fit", "predict")
    }


def _round(x: Any, record: Callable[[str, float], None]) -> None:
    from sklearn.cluster import KMeans
    from sklearn.ensemble import IsolationForest

    from shared.ml import algorithms

    def ours_kmeans() -> Any:
        return algorithms.cluster(
            x,
            method="kmeans",
            k=K,
            k_min=2,
            k_max=10,
            eps=0.5,
            min_samples=5,
            scale=False,
            seed=0,
        )

    record("kmeans_fit_ours", _timed(ours_kmeans)[0])
    t, peer = _timed(lambda: KMeans(n_clusters=K, n_init=1, random_state=0).fit(x))
    record("kmeans_fit_peer", t)
    record("kmeans_predict_ours", _timed(lambda: algorithms.predict(peer, "kmeans", x))[0])
    record("kmeans_predict_peer", _timed(lambda: peer.predict(x))[0])

    def ours_forest() -> Any:
        return algorithms.isolation_forest(x, contamination="auto", n_estimators=100, seed=0)

    def peer_forest() -> Any:
        return IsolationForest(n_estimators=100, contamination="auto", random_state=0).fit(x)

    t, forest = _timed(ours_forest)
    record("iforest_fit_ours", t)
    record("iforest_fit_peer", _timed(peer_forest)[0])
    record("iforest_predict_ours", _timed(lambda: algorithms.score_anomalies(forest, x))[0])
    record("iforest_predict_peer", _timed(lambda: forest.decision_function(x))[0])


ONNX_TRAIN_ROWS = 2_000
ONNX_BATCHES = (1, 1_000)


def _onnx_cases() -> list[tuple[str, str, dict[str, Any], list[Any] | None]]:
    """(case, algorithm, params, target) of each registry estimator the comparison covers."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(ONNX_TRAIN_ROWS, COLS))
    labels = [float(v > 0) for v in x[:, 0] + x[:, 1]]
    values = (2 * x[:, 2] - x[:, 3] + 0.1 * rng.normal(size=ONNX_TRAIN_ROWS)).tolist()
    return [
        ("kmeans", "kmeans", {"n_clusters": K}, None),
        ("isolation_forest", "isolation_forest", {}, None),
        ("random_forest_classifier", "random_forest", {}, labels),
        ("random_forest_regressor", "random_forest", {}, values),
        ("logistic_regression", "logistic_regression", {}, labels),
        ("ridge", "ridge", {}, values),
    ]


def _onnx(repetitions: int) -> dict[str, Any]:
    """scikit-learn (skops-loaded) next to onnxruntime for each registry estimator."""
    import hashlib

    from sklearn.datasets import make_blobs

    from shared.ml import algorithms, onnx_serving
    from shared.ml.registry import dumps, loads

    x, _ = make_blobs(n_samples=ONNX_TRAIN_ROWS, n_features=COLS, centers=K, random_state=0)
    out: dict[str, Any] = {}
    for case, algorithm, params, target in _onnx_cases():
        trained = algorithms.train(algorithm, params, x, target, task="auto", scale=False)
        artefact = dumps(trained.estimator)
        estimator = loads(artefact, hashlib.sha256(artefact).hexdigest())
        data = onnx_serving.to_onnx_bytes(estimator, x)
        model = onnx_serving.session(data)
        figures: dict[str, Any] = {
            "served_by_onnxruntime": algorithm in onnx_serving.CONVERTIBLE,
            "skops_bytes": len(artefact),
            "onnx_bytes": len(data),
        }
        for rows in ONNX_BATCHES:
            batch = x[:rows]
            ours = lambda b=batch, m=model: onnx_serving.predict(m, b)  # noqa: E731
            peer = lambda b=batch, e=estimator, a=algorithm: algorithms.predict(e, a, b)  # noqa: E731
            ours()
            peer()
            sk: list[float] = []
            rt: list[float] = []
            for _ in range(repetitions):
                sk.append(_timed(peer)[0])
                rt.append(_timed(ours)[0])
            sk_ms, rt_ms = statistics.median(sk) * 1000, statistics.median(rt) * 1000
            figures[f"rows_{rows}"] = {
                "sklearn_ms": round(sk_ms, 4),
                "onnxruntime_ms": round(rt_ms, 4),
                "ratio": ratio(rt_ms, sk_ms),
            }
        out[case] = figures
    return out


def _predict_body() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    market = {}
    for symbol in ("AAPL", "MSFT", "NVDA"):
        closes = 100 * np.cumprod(1 + 0.001 + 0.01 * rng.normal(size=60))
        market[symbol] = [
            {"open": c, "high": c * 1.01, "low": c * 0.99, "close": c, "volume": 1000}
            for c in closes.tolist()
        ]
    return {
        "agent_id": "bench",
        "timestamp": "2026-01-01T00:00:00Z",
        "portfolio": {"cash": 100_000, "positions": [{"symbol": "MSFT", "quantity": 50}]},
        "market": market,
    }


def _http(misses: int, replays: int) -> dict[str, dict[str, float]]:
    import httpx

    from bench._http_auth import issued_api_key
    from devhost.testing import PROJECT_ROOT, run_devhost

    body = _predict_body()
    with (
        run_devhost(PROJECT_ROOT) as base,
        httpx.Client(base_url=f"{base}/api") as client,
        issued_api_key(client, ["predict"]) as headers,
    ):
        for _ in range(20):  # warm-up: imports, pools, the trading model lookup
            client.post("/predict", json=body, headers=headers).raise_for_status()
        miss: list[float] = []
        for _ in range(misses):
            fresh = {**headers, "Idempotency-Key": f'"{uuid.uuid4()}"'}
            start = time.perf_counter()
            response = client.post("/predict", json=body, headers=fresh)
            t = time.perf_counter() - start
            response.raise_for_status()
            miss.append(t)
        key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
        client.post("/predict", json=body, headers={**headers, **key}).raise_for_status()
        hit: list[float] = []
        for _ in range(replays):
            t, response = _timed(
                lambda: client.post("/predict", json=body, headers={**headers, **key})
            )
            assert response.headers.get("Idempotent-Replayed") == "true"
            hit.append(t)
    return {"miss": summarize_ms(miss), "replay": summarize_ms(hit)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench ml")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--misses", type=int, default=300)
    parser.add_argument("--replays", type=int, default=1000)
    parser.add_argument("--onnx-repetitions", type=int, default=15)
    parser.add_argument(
        "--only", choices=["onnx"], help="run this part alone; keep the file's other figures"
    )
    args = parser.parse_args(argv)

    onnx = _onnx(args.onnx_repetitions)
    onnx_doc = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "train_rows": ONNX_TRAIN_ROWS,
        "columns": COLS,
        "repetitions": args.onnx_repetitions,
        "estimators": onnx,
    }
    _print_onnx(onnx, args.onnx_repetitions)
    if args.only == "onnx":
        path = write_results("ml", {**_previous("ml"), "onnx": onnx_doc})
        print(f"\nwrote {path}")
        return

    algos = _algorithms(args.repetitions)
    for figures in algos.values():
        figures["ratio"] = ratio(figures["ours_s"], figures["peer_s"]) or 0.0
    http = _http(args.misses, args.replays)
    path = write_results(
        "ml",
        {
            "data": {"rows": ROWS, "columns": COLS, "k": K},
            "repetitions": args.repetitions,
            "algorithms": algos,
            "predict_http": http,
            "goals": {"overhead": "< 10 %", "miss_p50_ms": 100, "replay_p50_ms": 10},
            "onnx": onnx_doc,
        },
    )
    print_table(
        f"scikit-learn on {ROWS:,} x {COLS} (median of {args.repetitions})",
        ["step", "ours s", "sklearn s", "ratio"],
        [[name, f["ours_s"], f["peer_s"], f["ratio"]] for name, f in algos.items()],
    )
    print_table(
        "POST /api/predict through devhost",
        ["case", "p50 ms", "p99 ms", "mean ms", "n"],
        [[case, s["p50_ms"], s["p99_ms"], s["mean_ms"], s["n"]] for case, s in http.items()],
    )
    print(f"\nwrote {path}")


def _previous(suite: str) -> dict[str, Any]:
    """The figures of the last full run (its own keys; write_results adds the run's)."""
    import json

    from bench.report import RESULTS_DIR

    path = RESULTS_DIR / f"{suite}.json"
    if not path.exists():
        return {}
    document: dict[str, Any] = json.loads(path.read_text())
    return {k: v for k, v in document.items() if k not in {"suite", "when", "machine"}}


def _print_onnx(onnx: dict[str, Any], repetitions: int) -> None:
    print_table(
        f"registry predict: scikit-learn vs onnxruntime (median of {repetitions})",
        ["estimator", "rows", "sklearn ms", "onnxruntime ms", "ratio", "served by ort"],
        [
            [
                case,
                rows,
                f[f"rows_{rows}"]["sklearn_ms"],
                f[f"rows_{rows}"]["onnxruntime_ms"],
                f[f"rows_{rows}"]["ratio"],
                f["served_by_onnxruntime"],
            ]
            for case, f in onnx.items()
            for rows in ONNX_BATCHES
        ],
    )
