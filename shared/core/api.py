"""Request and response models of the AI-core endpoints: analyze, patterns, suggestions.

Every response carries ``degraded``: one line per pipeline step that could not run as designed,
naming the step, the dependency and what the answer lacks because of it (an empty list: every
step ran). ``steps`` says how each declared step ended (see ``shared.core.pipeline``).
"""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.classify.api import MODEL_NAME_PATTERN

StepStatus = Literal["ok", "fallback", "skipped"]


class Item(BaseModel):
    """One text or event: a ticket, a log line, a message. ``timestamp`` enables trends."""

    text: str = Field(min_length=1)
    id: str | None = Field(default=None, max_length=200)
    timestamp: datetime.datetime | None = None


class AnalyzeRequest(BaseModel):
    """A batch to analyze. Classification uses ``model`` (a trained head of the caller) when
    given, falling back to zero-shot over ``label_set`` (or ``labels``) when the head is missing."""

    items: list[Item] = Field(min_length=1)
    label_set: str | None = "support_intent"
    labels: dict[str, str | list[str]] | list[str] | None = None
    model: str | None = Field(default=None, pattern=MODEL_NAME_PATTERN)
    k: int | None = Field(default=None, ge=2, le=50, description="clusters; None: by silhouette")
    k_max: int = Field(default=8, ge=2, le=50)
    contamination: float = Field(default=0.05, gt=0, le=0.5, description="share of anomalies")
    relate: bool = True
    match_patterns: bool = True


class StepReport(BaseModel):
    """How one declared step ended: ``ok``, ``fallback`` (its declared fallback ran) or
    ``skipped`` (not asked for, or its input was missing)."""

    name: str
    status: StepStatus
    ms: float
    detail: str | None = None


class PatternMatch(BaseModel):
    """A known (stored) pattern an item resembles."""

    pattern_id: str
    name: str
    similarity: float


class ItemResult(BaseModel):
    """The pipeline's findings for one item, in the order sent."""

    index: int
    id: str | None
    cluster: int
    anomaly: bool
    anomaly_score: float | None
    label: str | None
    label_score: float | None
    concepts: list[str]
    related: list[str]
    pattern: PatternMatch | None


class Trend(BaseModel):
    """Counts per time bucket and the direction of their least-squares slope."""

    bucket: Literal["hour", "day", "week"]
    counts: list[tuple[str, int]]
    slope: float = Field(description="items per bucket per bucket")
    direction: Literal["rising", "falling", "stable"]


class ClusterSummary(BaseModel):
    """An extractive summary: the texts closest to the centroid and the cluster's top terms."""

    cluster: int
    size: int
    share: float
    top_terms: list[str]
    representatives: list[str]
    label: str | None = Field(description="the most frequent label among its items")
    anomalies: int
    trend: Trend | None = None


class AnalyzeResponse(BaseModel):
    """Per-item results, per-cluster summaries, and what degraded."""

    items: list[ItemResult]
    clusters: list[ClusterSummary]
    anomalies: list[int] = Field(description="indexes of the items flagged as anomalies")
    classification: str | None = Field(description="'trained:<model>', 'zero-shot:<source>'")
    steps: list[StepReport]
    degraded: list[str] = Field(default_factory=list)


class PatternsRequest(BaseModel):
    """Find recurring patterns in ``items`` and (unless ``store`` is false) keep them."""

    items: list[Item] = Field(min_length=2)
    k: int | None = Field(default=None, ge=2, le=50)
    k_max: int = Field(default=8, ge=2, le=50)
    min_size: int = Field(default=2, ge=1, description="smaller clusters are not patterns")
    store: bool = True


class Pattern(BaseModel):
    """A recurring pattern: a cluster with examples, how often it occurs, and its trend."""

    pattern_id: str
    name: str
    size: int
    frequency: float = Field(description="share of the input items")
    top_terms: list[str]
    representatives: list[str]
    trend: Trend | None = None
    known: PatternMatch | None = Field(
        default=None, description="the already stored pattern this one matches, if any"
    )


class PatternsResponse(BaseModel):
    patterns: list[Pattern]
    stored: int
    steps: list[StepReport]
    degraded: list[str] = Field(default_factory=list)


class SuggestionsRequest(BaseModel):
    text: str = Field(min_length=1)
    limit: int = Field(default=5, ge=1, le=20)


class Suggestion(BaseModel):
    """One ranked suggestion and why: the pattern or graph link and the evidence behind it."""

    rank: int
    kind: Literal["pattern", "concept"]
    suggestion: str
    score: float
    pattern_id: str | None = None
    pattern_name: str | None = None
    evidence: list[str]
    explanation: str


class SuggestionsResponse(BaseModel):
    suggestions: list[Suggestion]
    concepts: list[str]
    steps: list[StepReport]
    degraded: list[str] = Field(default_factory=list)
