"""What the soak measured and whether its invariants held, from the load's request lines and the
controller's fault timeline (pure functions: tested in tests/unit/bench/test_soak_checks.py).

A :class:`Fault` spans ``start`` (the controller begins it) to ``back`` (the dependency or
process is running again) to ``recovered`` (the controller's probe through the app answered 2xx).
A failed request (a 503, or no response at all) is *excused* when it was in flight at some
moment of a fault's window ``[start, back + grace]`` (a long chat turn begun before the fault
meets it), where the grace is the breaker's open interval plus a margin: the breaker of a
process that saw the outage refuses calls for that long before it probes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.report import percentile

WINDOW_SECONDS = 15.0  # "before" and "after" windows around each fault


@dataclass
class Fault:
    """One fault of the schedule and when it began, ended and was recovered from."""

    name: str
    start: float
    back: float = 0.0
    recovered: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def recovery_seconds(self) -> float:
        return round(self.recovered - self.back, 3)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "recovery_seconds": self.recovery_seconds}


def requests_of(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The request lines (the others are notes: ``kind`` set)."""
    return [line for line in lines if "kind" not in line]


def notes_of(lines: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("kind") == kind]


def failed(line: dict[str, Any]) -> bool:
    """No response, or a 5xx (4xx are the client's doing and are counted apart)."""
    return int(line["status"]) == 0 or int(line["status"]) >= 500


def window_stats(requests: Sequence[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    """Per route: requests, p50/p99 (ms), error rate (no response or 5xx) in ``[start, end)``."""
    by_route: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in requests:
        if start <= line["t"] < end:
            by_route[line["route"]].append(line)
    out: dict[str, Any] = {}
    for route, lines in sorted(by_route.items()):
        times = [line["ms"] for line in lines]
        out[route] = {
            "n": len(lines),
            "p50_ms": round(percentile(times, 50), 1),
            "p99_ms": round(percentile(times, 99), 1),
            "error_rate": round(sum(failed(line) for line in lines) / len(lines), 4),
        }
    return out


def throughput(
    requests: Sequence[dict[str, Any]], start: float, end: float, cores: int
) -> dict[str, Any]:
    """The mixed workload in ``[start, end)``: answered requests per second per core (2xx and
    4xx), and the p99 (ms) over every route."""
    inside = [line for line in requests if start <= line["t"] < end]
    answered = [line for line in inside if not failed(line)]
    seconds = max(end - start, 1e-9)
    return {
        "seconds": round(seconds, 1),
        "requests": len(inside),
        "answered_per_s_per_core": round(len(answered) / seconds / cores, 3),
        "p99_ms": round(percentile([line["ms"] for line in inside], 99), 1),
        "error_rate": round((len(inside) - len(answered)) / max(len(inside), 1), 4),
    }


def fault_report(requests: Sequence[dict[str, Any]], fault: Fault) -> dict[str, Any]:
    """Per-route figures before, during and after ``fault``."""
    return {
        "before": window_stats(requests, fault.start - WINDOW_SECONDS, fault.start),
        "during": window_stats(requests, fault.start, fault.recovered),
        "after": window_stats(requests, fault.recovered, fault.recovered + WINDOW_SECONDS),
    }


def unexcused_failures(
    requests: Sequence[dict[str, Any]], faults: Sequence[Fault], grace: float
) -> list[dict[str, Any]]:
    """Every 500-class answer that is not a documented 503, and every 503 or missing response
    outside all fault windows (see the module docstring)."""
    bad = []
    for line in requests:
        status = int(line["status"])
        if status and status < 500:
            continue
        documented = status == 0 or (
            status == 503 and line.get("problem") and line.get("retry_after")
        )
        began, ended = line["t"], line["t"] + line["ms"] / 1000
        excused = any(
            began <= max(f.back, f.recovered) + grace and ended >= f.start for f in faults
        )
        if not (documented and excused):
            bad.append(line)
    return bad


@dataclass
class Invariants:
    """Each list holds the evidence of a broken invariant; all empty means the soak passed."""

    server_errors: list[dict[str, Any]] = field(default_factory=list)
    replay_mismatches: list[dict[str, Any]] = field(default_factory=list)
    lost_jobs: list[str] = field(default_factory=list)
    jobs_run_twice: list[str] = field(default_factory=list)
    orphaned_leases: list[str] = field(default_factory=list)
    slow_recoveries: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return not any(asdict(self).values())

    def as_json(self) -> dict[str, Any]:
        return {"held": self.held, **{k: v[:20] for k, v in asdict(self).items()}}


def replay_mismatches(lines: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Idempotent retries answered 2xx with something other than the first answer."""
    retries = notes_of(lines, "retry") + notes_of(lines, "job-retry")
    return [note for note in retries if not note["same"]]


def completions_by_job(log: str, job_ids: Iterable[str]) -> dict[str, int]:
    """How many times each job's handler reached an outcome of ``succeeded`` in the workers' log
    (``shared.jobs.execution`` logs ``job <id> (<kind>) succeeded`` once per completion)."""
    return {job: log.count(f"job {job} (speech) succeeded") for job in job_ids}


def slow_recoveries(faults: Sequence[Fault], limit: float) -> list[str]:
    """Faults of a store whose probe took longer than ``limit`` after the store was back."""
    return [
        f"{f.name}: {f.recovery_seconds} s > {limit} s"
        for f in faults
        if f.details.get("breaker_bound") and f.recovery_seconds > limit
    ]
