"""The soak's verdicts from its request lines and fault timeline (bench/_soak_checks.py)."""

from __future__ import annotations

from bench._soak_checks import (
    Fault,
    Invariants,
    completions_by_job,
    replay_mismatches,
    slow_recoveries,
    unexcused_failures,
    window_stats,
)

REDIS = Fault("redis", start=100.0, back=105.0, recovered=107.0, details={"breaker_bound": True})


def line(t: float, status: int, **extra: object) -> dict[str, object]:
    return {"t": t, "route": "predict", "status": status, "ms": 10.0} | extra


def test_a_documented_503_inside_a_fault_window_is_excused():
    documented = line(104, 503, problem=True, retry_after=True)
    assert unexcused_failures([documented, line(101, 0)], [REDIS], grace=5) == []


def test_a_503_of_a_request_begun_before_the_fault_and_still_running_is_excused():
    long_turn = line(90, 503, problem=True, retry_after=True, ms=12_000.0)
    over_before = line(90, 503, problem=True, retry_after=True, ms=5_000.0)
    assert unexcused_failures([long_turn, over_before], [REDIS], grace=5) == [over_before]


def test_a_500_is_never_excused_and_a_503_outside_every_window_is_not_either():
    during = line(104, 500, problem=True, retry_after=False)
    long_after = line(130, 503, problem=True, retry_after=True)
    without_retry_after = line(104, 503, problem=True, retry_after=False)
    lines = [during, long_after, without_retry_after, line(104, 200), line(104, 404)]
    assert unexcused_failures(lines, [REDIS], grace=5) == [during, long_after, without_retry_after]


def test_window_stats_count_errors_per_route_in_the_window_only():
    lines = [line(99, 200), line(101, 503), line(102, 200), line(103, 200), line(120, 0)]
    stats = window_stats(lines, 100, 110)
    assert stats["predict"]["n"] == 3
    assert stats["predict"]["error_rate"] == round(1 / 3, 4)


def test_only_retries_answered_differently_are_mismatches():
    notes = [
        {"kind": "retry", "same": True},
        {"kind": "retry", "same": False, "key": "k"},
        {"kind": "job-retry", "same": False, "id": "j"},
    ]
    assert replay_mismatches(notes) == notes[1:]


def test_completions_are_counted_per_job_from_the_workers_log():
    log = "job a (speech) succeeded\njob b (speech) attempt 1 started\njob a (speech) succeeded\n"
    assert completions_by_job(log, ["a", "b"]) == {"a": 2, "b": 0}


def test_a_store_recovery_slower_than_the_bound_is_reported_and_other_faults_are_not_bound():
    worker = Fault("worker", start=0, back=1, recovered=100)
    slow = Fault("postgres", start=0, back=1, recovered=30, details={"breaker_bound": True})
    assert slow_recoveries([REDIS, worker, slow], limit=10) == ["postgres: 29 s > 10 s"]


def test_invariants_hold_only_when_every_list_is_empty():
    assert Invariants().held
    assert not Invariants(lost_jobs=["a"]).held
