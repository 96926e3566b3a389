"""The soak's tables on stdout (``bench/soak.py`` writes the same figures as JSON)."""

from __future__ import annotations

from typing import Any

from bench.report import print_table

PHASES = ("before", "during", "after")


def print_report(results: dict[str, Any]) -> None:
    """Throughput with and without faults, per-route figures around each fault, invariants."""
    rows = [
        [name, t["requests"], t["answered_per_s_per_core"], t["p99_ms"], t["error_rate"]]
        for name, t in (("no faults", results["no_faults"]), ("faults", results["with_faults"]))
    ]
    print_table(
        f"soak: mixed workload on {results['cores']} core(s)",
        ["load", "requests", "answered/s/core", "p99 ms", "error rate"],
        rows,
    )
    for fault in results["faults"]:
        routes = sorted({r for phase in PHASES for r in fault[phase]})
        table = []
        for route in routes:
            row: list[Any] = [route]
            for phase in PHASES:
                figures = fault[phase].get(route)
                row += (
                    [figures["p50_ms"], figures["p99_ms"], figures["error_rate"]]
                    if figures
                    else [None, None, None]
                )
            table.append(row)
        header = ["route"] + [f"{p} {m}" for p in PHASES for m in ("p50", "p99", "err")]
        print_table(
            f"{fault['name']}: recovered {fault['recovery_seconds']} s after it was back",
            header,
            table,
        )
    invariants = results["invariants"]
    broken = {k: v for k, v in invariants.items() if k != "held" and v}
    print(f"\ninvariants held: {invariants['held']}" + (f" {broken}" if broken else ""))
