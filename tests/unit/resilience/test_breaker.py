"""The breaker's state machine, driven by an injected clock, and ``guard``'s counting rules."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.errors import NotFoundError, ServiceUnavailableError
from shared.resilience import (
    BreakerState,
    CircuitBreaker,
    DependencyOpenError,
    breaker,
    breaker_states,
    guard,
    protect,
    reset_breakers,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make(clock: FakeClock, *, threshold: int = 3, open_seconds: float = 10, probes: int = 1):
    return CircuitBreaker(
        "dep", threshold=threshold, open_seconds=open_seconds, probes=probes, clock=clock
    )


def fail(circuit: CircuitBreaker) -> None:
    circuit.record(circuit.admit(), failed=True)


def succeed(circuit: CircuitBreaker) -> None:
    circuit.record(circuit.admit(), failed=False)


def test_opens_after_threshold_consecutive_failures(clock):
    circuit = make(clock, threshold=3)
    fail(circuit)
    fail(circuit)
    assert circuit.snapshot().state is BreakerState.CLOSED
    fail(circuit)
    assert circuit.snapshot().state is BreakerState.OPEN
    assert circuit.snapshot().failures == 3


def test_a_success_resets_the_consecutive_count(clock):
    circuit = make(clock, threshold=3)
    fail(circuit)
    fail(circuit)
    succeed(circuit)
    fail(circuit)
    fail(circuit)
    assert circuit.snapshot().state is BreakerState.CLOSED


def test_open_rejects_at_once_with_the_time_left(clock):
    circuit = make(clock, threshold=1, open_seconds=10)
    fail(circuit)
    clock.now += 3.2
    with pytest.raises(DependencyOpenError) as raised:
        circuit.admit()
    error = raised.value
    assert isinstance(error, ServiceUnavailableError)
    assert error.status == 503
    assert error.headers["Retry-After"] == "7"
    assert error.dependency == "dep"
    assert "dep" in error.detail
    assert "circuit breaker open" in error.detail
    assert circuit.snapshot().retry_after == pytest.approx(6.8)


def test_waiting_the_reported_time_always_ends_the_interval(clock):
    """The reported wait is rounded up, never down: a caller who sleeps it finds the breaker
    ready for a probe, not a fraction of a millisecond short of it."""
    circuit = make(clock, threshold=1, open_seconds=3)
    fail(circuit)
    clock.now += 0.0006  # 2.9994 s left: rounded to the nearest millisecond, 2.999 (too early)
    wait = circuit.snapshot().retry_after
    assert wait == 3.0
    clock.now += wait
    assert circuit.snapshot().state is BreakerState.HALF_OPEN
    circuit.admit()  # the probe is let through


def test_half_open_after_the_interval_lets_n_probes_through(clock):
    circuit = make(clock, threshold=1, open_seconds=10, probes=2)
    fail(circuit)
    clock.now += 10
    assert circuit.snapshot().state is BreakerState.HALF_OPEN
    first, second = circuit.admit(), circuit.admit()
    assert first.probe
    assert second.probe
    with pytest.raises(DependencyOpenError):
        circuit.admit()  # both probes are out: the third call is refused at once
    circuit.record(first, failed=False)
    assert circuit.snapshot().state is BreakerState.HALF_OPEN
    with pytest.raises(DependencyOpenError):
        circuit.admit()  # one verdict is in, one probe still out: still only two in all
    circuit.record(second, failed=False)
    assert circuit.snapshot().state is BreakerState.CLOSED
    assert circuit.snapshot().failures == 0
    assert not circuit.admit().probe


def test_a_failed_probe_reopens_for_a_full_interval(clock):
    circuit = make(clock, threshold=1, open_seconds=10)
    fail(circuit)
    clock.now += 11
    fail(circuit)  # the probe
    assert circuit.snapshot().state is BreakerState.OPEN
    clock.now += 9.5
    with pytest.raises(DependencyOpenError):
        circuit.admit()
    clock.now += 0.5
    assert circuit.admit().probe


def test_a_released_probe_frees_its_slot(clock):
    circuit = make(clock, threshold=1, open_seconds=1)
    fail(circuit)
    clock.now += 1
    ticket = circuit.admit()
    circuit.release(ticket)
    assert circuit.admit().probe


def test_an_outcome_from_before_the_breaker_opened_is_ignored(clock):
    circuit = make(clock, threshold=2)
    slow = circuit.admit()  # started while closed
    fail(circuit)
    fail(circuit)
    assert circuit.snapshot().state is BreakerState.OPEN
    circuit.record(slow, failed=False)  # it answers late: the breaker stays open
    assert circuit.snapshot().state is BreakerState.OPEN


def test_settings_are_validated():
    with pytest.raises(ValueError):
        CircuitBreaker("x", threshold=0)
    with pytest.raises(ValueError):
        CircuitBreaker("x", open_seconds=0)


def test_guard_counts_only_the_given_failures(clock):
    circuit = make(clock, threshold=2)
    for _ in range(3):
        with pytest.raises(NotFoundError), protect(circuit, counts=(ConnectionError,)):
            raise NotFoundError("the dependency answered: no such thing")
    assert circuit.snapshot().state is BreakerState.CLOSED
    for _ in range(2):
        with pytest.raises(ConnectionError), protect(circuit, counts=(ConnectionError,)):
            raise ConnectionError("refused")
    assert circuit.snapshot().state is BreakerState.OPEN


def test_guard_does_not_count_another_breakers_refusal(clock):
    circuit = make(clock, threshold=1)
    with pytest.raises(DependencyOpenError), protect(circuit):
        raise DependencyOpenError("other", 5)
    assert circuit.snapshot().state is BreakerState.CLOSED


def test_thread_safety_under_concurrent_calls(clock):
    # 8 threads x 500 calls, every one failing: counted exactly, opened exactly once, and the
    # calls after that refused without being run.
    circuit = make(clock, threshold=1000, open_seconds=60)
    ran = 0
    ran_lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker() -> int:
        nonlocal ran
        refused = 0
        barrier.wait()
        for _ in range(500):
            try:
                with protect(circuit, counts=(ConnectionError,)):
                    with ran_lock:
                        ran += 1
                    raise ConnectionError
            except ConnectionError:
                pass
            except DependencyOpenError:
                refused += 1
        return refused

    with ThreadPoolExecutor(8) as pool:
        refused = sum(pool.map(lambda _: worker(), range(8)))
    assert ran == 1000
    assert refused == 3000
    assert circuit.snapshot().failures == 1000
    assert circuit.snapshot().state is BreakerState.OPEN


def test_registry_builds_breakers_from_settings(monkeypatch):
    from shared.config import reset_settings

    monkeypatch.setenv("BREAKER_FAILURE_THRESHOLD", "2")
    monkeypatch.setenv("BREAKER_OPEN_SECONDS", "0.5")
    monkeypatch.setenv("BREAKER_HALF_OPEN_PROBES", "3")
    reset_settings()
    reset_breakers()
    try:
        circuit = breaker("postgres")
        assert breaker("postgres") is circuit
        assert (circuit.threshold, circuit.open_seconds, circuit.probes) == (2, 0.5, 3)
        states = breaker_states()
        assert list(states)[:7] == ["redis", "postgres", "vectors", "graph", "blob", "queue", "llm"]
        assert all(s.state is BreakerState.CLOSED for s in states.values())
        for _ in range(2):
            with pytest.raises(ServiceUnavailableError), guard("postgres"):
                raise ServiceUnavailableError("down")
        assert breaker_states()["postgres"].state is BreakerState.OPEN
    finally:
        monkeypatch.undo()
        reset_settings()
        reset_breakers()
