"""Shared pieces of the benchmark suites: timing statistics, results JSON, and a stdout table."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; samples need not be sorted."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def summarize_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """p50/p99/mean in milliseconds for durations given in seconds."""
    ms = [s * 1000 for s in samples_s]
    return {
        "p50_ms": round(percentile(ms, 50), 4),
        "p99_ms": round(percentile(ms, 99), 4),
        "mean_ms": round(statistics.fmean(ms), 4),
        "n": len(ms),
    }


def ratio(ours: float, peer: float) -> float | None:
    """ours / peer, rounded; None when the peer figure is zero or missing."""
    return round(ours / peer, 3) if peer else None


def write_results(suite: str, results: dict[str, Any]) -> Path:
    """Write ``bench/results/<suite>.json`` with the machine and time of the run."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    document = {
        "suite": suite,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpu_count": _cpu_count()},
        **results,
    }
    path = RESULTS_DIR / f"{suite}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table on stdout."""
    cells = [[str(h) for h in header], *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 0
