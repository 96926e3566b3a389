"""Declared pipeline steps, each with the dependency it needs and its fallback.

A step runs its primary action; when the dependency fails it (``ServiceUnavailableError``: down,
timing out, its circuit breaker open; or, for the classifier, ``NotFoundError``: the head is
missing, or ``UnprocessableContentError``: it was trained on another embedding size), the step's
declared fallback runs instead, the step is reported as ``fallback`` and one line goes to
``degraded``: ``"<step>: <dependency> unavailable|failed (<detail>); <what the answer lacks>"``.
Any other exception is a real error and propagates. Steps without a fallback (embedding: nothing
can be done without vectors) are not declared here: their failure is the request's failure (503).

=============  ============  =================================================================
step           dependency    fallback
=============  ============  =================================================================
classify       classifier    a missing trained head -> zero-shot over the label set; the
                             classifier failing entirely -> no labels
relate         graph         no related concepts (concepts are still extracted)
match          vectors       no matching against known patterns (clustering still runs)
store          vectors       patterns returned but not stored
summarize      (llm)         always extractive: representatives + top terms (no LLM is called,
                             so "LLM down" cannot degrade it)
=============  ============  =================================================================
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from shared.core.api import StepReport, StepStatus
from shared.errors import PlatformError, ServiceUnavailableError

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class StepSpec:
    """A declared step: the dependency it needs and what the answer lacks without it."""

    dependency: str
    without: str


STEPS: dict[str, StepSpec] = {
    "embed": StepSpec("embeddings", "nothing (no fallback: the request fails with 503)"),
    "cluster": StepSpec("ml", "all items in one cluster"),
    "anomalies": StepSpec("ml", "no anomaly flags"),
    "classify": StepSpec("classifier", "no labels"),
    "relate": StepSpec("graph", "analysis without related concepts"),
    "match": StepSpec("vectors", "no matching against known patterns"),
    "store": StepSpec("vectors", "patterns not stored"),
    "suggest_patterns": StepSpec("vectors", "no pattern suggestions"),
    "summarize": StepSpec("llm", "extractive summaries"),
}


@dataclass
class Trace:
    """What happened to each step of one request."""

    steps: list[StepReport] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)

    def run(
        self,
        name: str,
        primary: Callable[[], T],
        fallback: Callable[[], T],
        *,
        failures: tuple[type[PlatformError], ...] = (ServiceUnavailableError,),
        without: str | None = None,
    ) -> T:
        """``primary()``; on a ``failures`` error, ``fallback()`` and a ``degraded`` line
        (``without`` overrides the declared "what the answer lacks")."""
        spec = STEPS[name]
        started = time.perf_counter()
        try:
            value = primary()
        except failures as exc:
            logger.warning("core step %s fell back: %s", name, type(exc).__name__)
            value = fallback()
            lacks = without or spec.without
            how = "unavailable" if isinstance(exc, ServiceUnavailableError) else "failed"
            self.degraded.append(f"{name}: {spec.dependency} {how} ({exc.detail}); {lacks}")
            self._report(name, "fallback", started, exc.detail)
            return value
        self._report(name, "ok", started)
        return value

    def timed(self, name: str, action: Callable[[], T]) -> T:
        """A step without fallback: its error is the request's error."""
        started = time.perf_counter()
        value = action()
        self._report(name, "ok", started)
        return value

    def skip(self, name: str, detail: str) -> None:
        self.steps.append(StepReport(name=name, status="skipped", ms=0.0, detail=detail))

    def note(self, name: str, status: StepStatus, detail: str, started: float) -> None:
        """Report a step that handled its own outcome (e.g. a fallback inside a fallback)."""
        self._report(name, status, started, detail)

    def _report(
        self, name: str, status: StepStatus, started: float, detail: str | None = None
    ) -> None:
        ms = round((time.perf_counter() - started) * 1000, 2)
        self.steps.append(StepReport(name=name, status=status, ms=ms, detail=detail))
