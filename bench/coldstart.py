"""``python -m bench coldstart``: import time of the app, and devhost latency for /api/health.

Side by side in the same run:
- import: ``import function_app`` in a fresh interpreter (median of 10) next to a minimal v2 app
  with one HTTP function (the floor every Python function app pays) and the same app in HTTP
  streams mode (the floor with the web extension, which this app uses), plus a check that no
  driver or model module was imported;
- HTTP: 2,000 sequential ``GET /api/health`` from a second process through devhost, next to the
  same answer from a bare Starlette app on uvicorn. Medians over several rounds.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.report import print_table, ratio, summarize_ms, write_results

ROOT = Path(__file__).resolve().parent.parent
HEAVY_MODULES = (
    "redis",
    "psycopg",
    "qdrant_client",
    "azure.storage.blob",
    "azure.identity",
    "onnxruntime",
    "openvino",
    "torch",
    "faster_whisper",
    "llama_cpp",
    "sklearn",
)
MINIMAL_APP = (
    "import azure.functions as func\n"
    "app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)\n"
    "@app.route(route='health')\n"
    "def health(req: func.HttpRequest) -> func.HttpResponse:\n"
    "    return func.HttpResponse('ok')\n"
)
# The same floor in HTTP streams mode: the web extension (FastAPI) is part of any such app.
MINIMAL_STREAMS_APP = (
    "import azure.functions as func\n"
    "from azurefunctions.extensions.http.fastapi import Request, Response\n"
    "app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)\n"
    "@app.route(route='health')\n"
    "async def health(req: Request) -> Response:\n"
    "    return Response('ok')\n"
)
IMPORT_PROBE = (
    "import sys, time; t = time.perf_counter(); import {module}; "
    "elapsed = time.perf_counter() - t; "
    "print(elapsed, ','.join(m for m in {heavy!r} if m in sys.modules))"
)


def _import_seconds(module: str, cwd: Path, runs: int) -> tuple[list[float], set[str]]:
    samples: list[float] = []
    loaded: set[str] = set()
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE.format(module=module, heavy=HEAVY_MODULES)],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        samples.append(float(out[0]))
        loaded.update(m for m in (out[1].split(",") if len(out) > 1 else []) if m)
    return samples, loaded


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(args: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[None]:
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "LOG_LEVEL": "WARNING", **(env or {})},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{args} did not answer on {url}")
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(30)


def _latencies(url: str, count: int) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench._http_load", url, str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [float(x) for x in json.loads(out)]


def _http_rounds(rounds: int, count: int) -> dict[str, dict[str, float]]:
    ours_port, peer_port = _free_port(), _free_port()
    ours_url = f"http://127.0.0.1:{ours_port}/api/health"
    peer_url = f"http://127.0.0.1:{peer_port}/api/health"
    per_round: dict[str, list[dict[str, float]]] = {"devhost": [], "starlette": []}
    devhost = ["-m", "devhost", "--script-root", str(ROOT), "--port", str(ours_port)]
    with _server(devhost, ours_url), _server(["-m", "bench._peer_asgi", str(peer_port)], peer_url):
        for _ in range(rounds):  # interleaved so that machine noise hits both alike
            per_round["devhost"].append(summarize_ms(_latencies(ours_url, count)))
            per_round["starlette"].append(summarize_ms(_latencies(peer_url, count)))
    return {
        name: {k: statistics.median(r[k] for r in rounds_) for k in ("p50_ms", "p99_ms", "mean_ms")}
        for name, rounds_ in per_round.items()
    }


def main(argv: list[str]) -> None:
    runs = int(argv[0]) if argv else 10
    minimal_dir = ROOT / ".local" / "bench-minimal-app"
    minimal_dir.mkdir(parents=True, exist_ok=True)
    (minimal_dir / "minimal_app.py").write_text(MINIMAL_APP)
    (minimal_dir / "minimal_streams_app.py").write_text(MINIMAL_STREAMS_APP)

    ours, loaded = _import_seconds("function_app", ROOT, runs)
    peer, _ = _import_seconds("minimal_app", minimal_dir, runs)
    streams_peer, _ = _import_seconds("minimal_streams_app", minimal_dir, runs)
    ours_ms = round(statistics.median(ours) * 1000, 1)
    peer_ms = round(statistics.median(peer) * 1000, 1)
    streams_ms = round(statistics.median(streams_peer) * 1000, 1)
    import_ms = {
        "function_app_median_ms": ours_ms,
        "minimal_app_median_ms": peer_ms,
        "ratio_vs_minimal": ratio(ours_ms, peer_ms),
        "minimal_streams_app_median_ms": streams_ms,
        "ratio_vs_minimal_streams": ratio(ours_ms, streams_ms),
        "runs": runs,
        "heavy_modules_loaded": sorted(loaded),
        "goal_ms": 1000,
    }
    http = _http_rounds(rounds=3, count=2000)
    http_ratio = {k: ratio(http["devhost"][k], http["starlette"][k]) for k in ("p50_ms", "p99_ms")}

    write_results("coldstart", {"import": import_ms, "health_http": {**http, "ratio": http_ratio}})
    print_table(
        "import (fresh interpreter, median)",
        ["what", "ms", "heavy modules loaded"],
        [
            [
                "import function_app",
                import_ms["function_app_median_ms"],
                ",".join(loaded) or "none",
            ],
            ["minimal v2 app (peer)", import_ms["minimal_app_median_ms"], ""],
            ["ratio", import_ms["ratio_vs_minimal"], ""],
            ["minimal v2 app in HTTP streams mode (peer)", streams_ms, ""],
            ["ratio", import_ms["ratio_vs_minimal_streams"], ""],
        ],
    )
    print_table(
        "GET /api/health, 2,000 sequential requests from a second process (median of 3 rounds)",
        ["server", "p50 ms", "p99 ms", "mean ms"],
        [
            [
                "devhost + function_app",
                *(http["devhost"][k] for k in ("p50_ms", "p99_ms", "mean_ms")),
            ],
            [
                "starlette on uvicorn (peer)",
                *(http["starlette"][k] for k in ("p50_ms", "p99_ms", "mean_ms")),
            ],
            ["ratio", http_ratio["p50_ms"], http_ratio["p99_ms"], None],
        ],
    )
