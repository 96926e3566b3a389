"""Sequential HTTP load from a separate process: ``python -m bench._http_load URL N [WARMUP]``.

Prints a JSON list of per-request latencies in seconds. Run as its own process so the client's
work does not share an interpreter (or a GIL) with the server being measured.
"""

from __future__ import annotations

import json
import sys
import time

import httpx


def measure(url: str, count: int, warmup: int = 100) -> list[float]:
    """Latencies of ``count`` sequential GETs over one keep-alive connection, after a warm-up."""
    samples = []
    with httpx.Client(timeout=10) as client:
        for _ in range(warmup):
            client.get(url).raise_for_status()
        for _ in range(count):
            started = time.perf_counter()
            client.get(url).raise_for_status()
            samples.append(time.perf_counter() - started)
    return samples


if __name__ == "__main__":
    warm = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), warm)))
