"""``python -m bench embeddings``: the text model's runtimes next to sentence-transformers.

In-process, same 512 sentences (~22 tokens), same thread count, same run, each implementation in
a fresh process per round (``bench._embeddings_worker``), rounds interleaved so machine noise hits
all alike:
- sentences per second encoding all 512 at batch 32 (both sides sort by length first);
- single-sentence latency p50 over 200 calls;
- cosine of each variant's unit vectors to sentence-transformers' (mean / min over the 512).

End to end over devhost (``POST /api/embeddings``, one sentence per request, from a second
process, ``bench._embeddings_load``), with micro-batching on and then off:
- single-sentence p50 / p99 from one sequential client;
- throughput (requests = sentences per second) and p50 with 16 concurrent clients.
devhost runs sync handlers in a pool of ``PYTHON_THREADPOOL_THREAD_COUNT`` threads; it is set to
32 for both runs so that 16 requests can be in flight at once.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.coldstart import _free_port, _server
from bench.report import percentile, print_table, ratio, summarize_ms, write_results
from devhost.testing import PROJECT_ROOT

IMPLEMENTATIONS = ("pytorch", "onnx-fp32", "onnx-int8", "openvino-fp32", "openvino-int8")
CLIENTS = 16


def _worker(impl: str, out: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench._embeddings_worker", impl, str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def in_process(rounds: int) -> dict[str, Any]:
    """Every implementation, ``rounds`` times, interleaved; medians over rounds."""
    runs: dict[str, list[dict[str, Any]]] = {impl: [] for impl in IMPLEMENTATIONS}
    with tempfile.TemporaryDirectory() as work:
        vectors: dict[str, np.ndarray] = {}
        for _ in range(rounds):
            for impl in IMPLEMENTATIONS:
                out = Path(work) / f"{impl}.npy"
                runs[impl].append(_worker(impl, out))
                vectors[impl] = np.load(out)
        results: dict[str, Any] = {}
        for impl in IMPLEMENTATIONS:
            cosines = (vectors[impl] * vectors["pytorch"]).sum(axis=1)
            results[impl] = {
                "sentences_per_second": round(
                    statistics.median(r["sentences_per_second"] for r in runs[impl]), 1
                ),
                "single_p50_ms": round(
                    statistics.median(percentile(r["single_s"], 50) for r in runs[impl]) * 1000, 3
                ),
                "cosine_mean": round(float(cosines.mean()), 5),
                "cosine_min": round(float(cosines.min()), 5),
            }
        threads = runs["pytorch"][0]["threads"]
    for impl in IMPLEMENTATIONS:
        figures, torch_figures = results[impl], results["pytorch"]
        figures["throughput_vs_pytorch"] = ratio(
            figures["sentences_per_second"], torch_figures["sentences_per_second"]
        )
        figures["p50_vs_pytorch"] = ratio(figures["single_p50_ms"], torch_figures["single_p50_ms"])
    return {"threads": threads, "rounds": rounds, "implementations": results}


def _load(url: str, requests: int, clients: int) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench._embeddings_load", url, str(requests), str(clients)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def over_http(batching: bool, requests: int) -> dict[str, float]:
    env = {
        "EMBEDDINGS_MICRO_BATCHING": "true" if batching else "false",
        "PYTHON_THREADPOOL_THREAD_COUNT": "32",
        "LOG_LEVEL": "WARNING",
    }
    port = _free_port()
    devhost = ["-m", "devhost", "--script-root", str(PROJECT_ROOT), "--port", str(port)]
    # devhost's log goes to /dev/null: a reader thread in this process would compete for the CPU.
    with _server(devhost, f"http://127.0.0.1:{port}/api/health", env):
        url = f"http://127.0.0.1:{port}/api/embeddings"
        sequential = _load(url, requests // 2, 1)
        concurrent = _load(url, requests, CLIENTS)
    single = summarize_ms(sequential["latencies"])
    loaded = summarize_ms(concurrent["latencies"])
    return {
        "single_p50_ms": single["p50_ms"],
        "single_p99_ms": single["p99_ms"],
        "throughput_per_second": round(requests / concurrent["seconds"], 1),
        "loaded_p50_ms": loaded["p50_ms"],
        "loaded_p99_ms": loaded["p99_ms"],
    }


def end_to_end(rounds: int, requests: int) -> dict[str, Any]:
    """Micro-batching on and off, ``rounds`` times each, interleaved; medians."""
    runs: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    for _ in range(rounds):
        for mode in ("on", "off"):
            runs[mode].append(over_http(mode == "on", requests))
    result: dict[str, Any] = {
        f"micro_batching_{mode}": {
            key: round(statistics.median(r[key] for r in mode_runs), 3) for key in mode_runs[0]
        }
        for mode, mode_runs in runs.items()
    }
    result["clients"] = CLIENTS
    result["throughput_on_vs_off"] = ratio(
        result["micro_batching_on"]["throughput_per_second"],
        result["micro_batching_off"]["throughput_per_second"],
    )
    return result


def goals(local: dict[str, Any], http: dict[str, Any]) -> dict[str, bool]:
    accurate = {
        name: figures
        for name, figures in local["implementations"].items()
        if name != "pytorch" and figures["cosine_mean"] >= 0.99
    }
    best = max(f["throughput_vs_pytorch"] or 0 for f in accurate.values())
    return {
        ">= 4x PyTorch throughput at cosine >= 0.99": best >= 4,
        "single-sentence p50 over HTTP < 10 ms": http["micro_batching_on"]["single_p50_ms"] < 10,
        "micro-batching >= 2x throughput, 16 clients": (http["throughput_on_vs_off"] or 0) >= 2,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench embeddings")
    parser.add_argument("--rounds", type=int, default=3, help="in-process rounds")
    parser.add_argument("--http-rounds", type=int, default=2)
    parser.add_argument("--requests", type=int, default=2000, help="per concurrent HTTP run")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    local = in_process(args.rounds)
    http = end_to_end(args.http_rounds, args.requests)
    results = {
        "in_process": local,
        "http": http,
        "goals": goals(local, http),
        "method": {
            "sentences": "512 distinct English sentences, 18-27 tokens (bench/_sentences.py)",
            "throughput": "all 512 at batch 32, length-sorted (both sides), after a warm-up "
            "pass; median of 3 passes, then median of rounds",
            "single": "p50 of 200 one-sentence calls; median of rounds",
            "cosine": "unit vectors vs sentence-transformers on PyTorch, same run, same sentences",
            "http": "POST /api/embeddings, 1 sentence/request, client in a second process; "
            f"single: 1 client, {args.requests // 2} requests; loaded: {CLIENTS} clients, "
            f"{args.requests} requests; PYTHON_THREADPOOL_THREAD_COUNT=32; median of rounds",
        },
    }
    path = write_results("embeddings", results)
    _print(results)
    print(f"\nresults: {path}")


def _print(results: dict[str, Any]) -> None:
    local = results["in_process"]
    print_table(
        f"In-process, {local['threads']} threads, median of {local['rounds']} rounds "
        "(sentence-transformers on PyTorch = reference)",
        ["runtime", "sentences/s b32", "x PyTorch", "single p50 ms", "cosine mean", "cosine min"],
        [
            [
                name,
                f["sentences_per_second"],
                f["throughput_vs_pytorch"],
                f["single_p50_ms"],
                f["cosine_mean"],
                f["cosine_min"],
            ]
            for name, f in local["implementations"].items()
        ],
    )
    http = results["http"]
    print_table(
        "Over HTTP through devhost, POST /api/embeddings, one sentence per request",
        ["micro-batching", "single p50 ms", "single p99 ms", "16 clients req/s", "p50", "p99"],
        [
            [
                mode,
                *(
                    http[f"micro_batching_{mode}"][k]
                    for k in (
                        "single_p50_ms",
                        "single_p99_ms",
                        "throughput_per_second",
                        "loaded_p50_ms",
                        "loaded_p99_ms",
                    )
                ),
            ]
            for mode in ("on", "off")
        ],
    )
    print(f"throughput with micro-batching on / off: {http['throughput_on_vs_off']}")
    print_table("Goals", ["goal", "met"], list(results["goals"].items()))
