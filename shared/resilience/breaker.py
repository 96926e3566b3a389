"""A circuit breaker: closed, open, half-open, with an injectable clock.

Why our own and not a library (evaluated: pybreaker 1.4, purgatory 3.0):

- pybreaker takes one lock around the protected call itself, so every thread that shares a
  breaker runs its calls one at a time (danielfm/pybreaker#3, #41, #57, #77: still so); our
  handlers run in the Functions worker's thread pool and share one breaker per dependency, so
  that lock would serialise all Redis (or PostgreSQL, ...) traffic of an instance. It also reads
  the wall clock directly (no injected clock for tests) and has no "N probes in half-open".
- purgatory is asyncio-first (its sync flavour is a second API with its own state storage); we
  need one breaker object shared by sync handlers in threads and by coroutines.

What we need is small: a counter and a state under a lock that is held for a few instructions,
never across the call. ``admit`` decides before the call, ``record`` after it; the same object
serves threads and coroutines (a coroutine holds the lock for the same few instructions).

State machine (``threshold``, ``open_seconds``, ``probes`` from settings, see registry.py):

    CLOSED --(threshold consecutive failures)--> OPEN
    OPEN --(open_seconds elapsed, on the next call)--> HALF_OPEN
    HALF_OPEN: at most ``probes`` calls in flight; the rest are refused at once
    HALF_OPEN --(``probes`` successes)--> CLOSED        HALF_OPEN --(a failure)--> OPEN

A call admitted in one state whose outcome arrives after the state changed (a slow call that
started before the breaker opened) is ignored: every transition bumps a generation number and
an outcome counts only for the generation that admitted it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from shared.errors import ServiceUnavailableError

logger = logging.getLogger(__name__)


class BreakerState(StrEnum):
    """Where a breaker stands; the values appear in ``GET /api/services/status``."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class DependencyOpenError(ServiceUnavailableError):
    """A dependency's circuit breaker is open: refused at once, without calling it (503)."""

    def __init__(self, dependency: str, retry_after: float) -> None:
        self.dependency = dependency
        self.retry_after = retry_after
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            f"{dependency} is unavailable (circuit breaker open); retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
            dependency=dependency,
            reason=f"{dependency}: circuit breaker open",
        )


@dataclass(frozen=True)
class BreakerSnapshot:
    """A breaker's state at one instant (for status reports and tests)."""

    name: str
    state: BreakerState
    failures: int  # consecutive failures counted while closed (the last run, once open)
    retry_after: float  # seconds until an open breaker lets a probe through; 0 otherwise


@dataclass(frozen=True)
class Ticket:
    """Proof that ``admit`` let a call through; hand it back to ``record``/``release``."""

    generation: int
    probe: bool


class CircuitBreaker:
    """One dependency's breaker, shared by every thread and coroutine of the process."""

    def __init__(
        self,
        name: str,
        *,
        threshold: int = 5,
        open_seconds: float = 30.0,
        probes: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1 or probes < 1 or open_seconds <= 0:
            raise ValueError("threshold and probes must be >= 1 and open_seconds > 0")
        self.name = name
        self.threshold = threshold
        self.open_seconds = open_seconds
        self.probes = probes
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._generation = 0
        self._probes_in_flight = 0
        self._probe_successes = 0

    # -- the protocol: admit before the call, record (or release) after it ----------------------

    def admit(self) -> Ticket:
        """Let a call through, or raise ``DependencyOpenError`` at once."""
        with self._lock:
            if self._state is BreakerState.OPEN:
                remaining = self._opened_at + self.open_seconds - self._clock()
                if remaining > 0:
                    raise DependencyOpenError(self.name, remaining)
                self._transition(BreakerState.HALF_OPEN)
            if self._state is BreakerState.HALF_OPEN:
                if self._probes_in_flight + self._probe_successes >= self.probes:
                    # Probes are out: the others wait for their verdict (about one call's time).
                    raise DependencyOpenError(self.name, 1.0)
                self._probes_in_flight += 1
                return Ticket(self._generation, probe=True)
            return Ticket(self._generation, probe=False)

    def record(self, ticket: Ticket, *, failed: bool) -> None:
        """The outcome of an admitted call: ``failed`` when the dependency failed it."""
        with self._lock:
            if ticket.generation != self._generation:
                return  # admitted before the last transition: its news is stale
            if ticket.probe:
                self._probes_in_flight -= 1
                if failed:
                    self._open()
                else:
                    self._probe_successes += 1
                    if self._probe_successes >= self.probes:
                        self._transition(BreakerState.CLOSED)
            elif failed:
                self._failures += 1
                if self._failures >= self.threshold:
                    self._open()
            else:
                self._failures = 0

    def release(self, ticket: Ticket) -> None:
        """An admitted call ended without a verdict on the dependency (cancelled, interrupted)."""
        with self._lock:
            if ticket.probe and ticket.generation == self._generation:
                self._probes_in_flight -= 1

    # -- reading ---------------------------------------------------------------------------------

    def snapshot(self) -> BreakerSnapshot:
        """The state now; an open breaker whose interval has passed reads as half-open."""
        with self._lock:
            state, retry_after = self._state, 0.0
            if state is BreakerState.OPEN:
                retry_after = max(0.0, self._opened_at + self.open_seconds - self._clock())
                if retry_after == 0:
                    state = BreakerState.HALF_OPEN
            # Rounded up to the millisecond: a caller who waits the time it is told must find
            # the interval over, never a fraction of a millisecond short of it.
            retry_after = math.ceil(retry_after * 1000) / 1000
            return BreakerSnapshot(self.name, state, self._failures, retry_after)

    @property
    def state(self) -> BreakerState:
        return self.snapshot().state

    # -- transitions (lock held) -----------------------------------------------------------------

    def _open(self) -> None:
        failures = max(self._failures, 1)
        self._transition(BreakerState.OPEN)
        self._failures = failures
        self._opened_at = self._clock()
        logger.warning(
            "circuit breaker %s opened after %d failures; probing again in %g s",
            self.name,
            failures,
            self.open_seconds,
        )

    def _transition(self, state: BreakerState) -> None:
        from shared.telemetry.metrics import instruments

        instruments().breaker_transitions.add(
            1, {"platform.breaker.name": self.name, "platform.breaker.state": state.value}
        )
        self._state = state
        self._generation += 1
        self._probes_in_flight = 0
        self._probe_successes = 0
        if state is BreakerState.CLOSED:
            self._failures = 0
            logger.info("circuit breaker %s closed: the dependency answers again", self.name)
