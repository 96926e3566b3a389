"""``python -m bench telemetry [ROUNDS]``: what OpenTelemetry costs a request, over devhost.

Side by side in the same run, three devhosts serving the app, one at a time, interleaved over
ROUNDS rounds (default 3) so that machine noise hits all alike:

- **off**: ``OTEL_SDK_DISABLED=true``, the API's no-op objects (the peer: no telemetry at all);
- **on, no exporter**: the SDK makes every span and metric point, exports nothing;
- **on, OTLP**: the same, exported over OTLP/HTTP to a local receiver (``devhost.otlp``, in this
  process, which idles while the load generators run), which counts what it got.

For each: 1,000 sequential ``GET /api/health`` (``bench._http_load``) and 300 sequential
``POST /api/embeddings`` of one sentence (``bench._embeddings_load``, one client), p50 and p99;
medians over the rounds. The goal: under 5 % added p50 on embeddings.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from typing import Any

from bench.coldstart import _free_port, _latencies, _server
from bench.report import print_table, ratio, summarize_ms, write_results
from devhost.otlp import otlp_receiver
from devhost.testing import PROJECT_ROOT

MODES = ("off", "local", "otlp")
LABELS = {"off": "off (peer)", "local": "on, no exporter", "otlp": "on, OTLP to a receiver"}
HEALTH_REQUESTS = 1000
EMBEDDING_REQUESTS = 300
GOAL_ADDED_P50 = 0.05


def _env(mode: str, endpoint: str) -> dict[str, str]:
    env = {
        "LOG_LEVEL": "WARNING",
        "OTEL_SDK_DISABLED": "true" if mode == "off" else "false",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint if mode == "otlp" else "",
        "DEVHOST_JOBS_ENABLED": "false",
    }
    return env


def _embeddings(url: str) -> list[float]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench._embeddings_load", url, str(EMBEDDING_REQUESTS), "1"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(x) for x in json.loads(completed.stdout)["latencies"]]


def _one(mode: str, endpoint: str) -> dict[str, float]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}/api"
    devhost = ["-m", "devhost", "--script-root", str(PROJECT_ROOT), "--port", str(port)]
    with _server(devhost, f"{base}/health", _env(mode, endpoint)):
        health = summarize_ms(_latencies(f"{base}/health", HEALTH_REQUESTS))
        embeddings = summarize_ms(_embeddings(f"{base}/embeddings"))
    return {
        "health_p50_ms": health["p50_ms"],
        "health_p99_ms": health["p99_ms"],
        "embeddings_p50_ms": embeddings["p50_ms"],
        "embeddings_p99_ms": embeddings["p99_ms"],
    }


def measure(rounds: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    with otlp_receiver() as (endpoint, received):
        for _ in range(rounds):
            for mode in MODES:
                runs[mode].append(_one(mode, endpoint))
        spans, logs, points = received.snapshot()
    results: dict[str, Any] = {
        mode: {key: round(statistics.median(r[key] for r in mode_runs), 3) for key in mode_runs[0]}
        for mode, mode_runs in runs.items()
    }
    off = results["off"]
    for mode in ("local", "otlp"):
        results[mode]["embeddings_p50_vs_off"] = ratio(
            results[mode]["embeddings_p50_ms"], off["embeddings_p50_ms"]
        )
        results[mode]["health_p50_vs_off"] = ratio(
            results[mode]["health_p50_ms"], off["health_p50_ms"]
        )
    results["received_by_the_otlp_receiver"] = {
        "spans": len(spans),
        "log_records": len(logs),
        "metric_points": len(points),
    }
    results["rounds"] = rounds
    results["goal_embeddings_p50_added"] = GOAL_ADDED_P50
    return results


def main(argv: list[str]) -> None:
    rounds = int(argv[0]) if argv else 3
    results = measure(rounds)
    write_results("telemetry", results)
    print_table(
        f"devhost + function_app, sequential requests (median of {rounds} rounds)",
        [
            "telemetry",
            "health p50",
            "health p99",
            "embeddings p50",
            "embeddings p99",
            "emb p50 vs off",
        ],
        [
            [
                LABELS[mode],
                results[mode]["health_p50_ms"],
                results[mode]["health_p99_ms"],
                results[mode]["embeddings_p50_ms"],
                results[mode]["embeddings_p99_ms"],
                results[mode].get("embeddings_p50_vs_off"),
            ]
            for mode in MODES
        ],
    )
    got = results["received_by_the_otlp_receiver"]
    print(f"OTLP receiver got {got['spans']} spans, {got['metric_points']} metric points")
