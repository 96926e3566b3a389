"""AI-core endpoints: analyze a batch, find and keep recurring patterns, suggest from them."""

from __future__ import annotations

from starlette.responses import Response

from shared.auth import Principal, Scope
from shared.core.api import (
    AnalyzeRequest,
    AnalyzeResponse,
    PatternsRequest,
    PatternsResponse,
    SuggestionsRequest,
    SuggestionsResponse,
)
from shared.http.api import Api
from shared.jobs.api import JobView, accepted_response

api = Api(tags=("core",), scope=Scope.ML)
bp = api.blueprint

_ERRORS = (400, 404, 413, 415, 422, 429, 503)


@api.post(
    "analyze",
    "Embed, cluster, flag anomalies, classify, relate to known concepts and patterns; per-item"
    " results and per-cluster summaries, with the steps that degraded. Over CORE_SYNC_MAX_ITEMS"
    " items: 202 and Location /api/jobs/{id} (an analyze job; result file result.json)",
    response=AnalyzeResponse,
    errors=_ERRORS,
    also=((202, JobView),),
)
def core_analyze(
    body: AnalyzeRequest, caller: Principal, idempotency_key: str | None
) -> AnalyzeResponse | Response:
    from shared.core import service

    if service.is_large(body):
        return accepted_response(service.submit_analysis(caller.owner, body, idempotency_key))
    return service.analyze(caller.owner, body)


@api.post(
    "patterns",
    "Recurring patterns (clusters with examples, frequency, trend), stored as the caller's known"
    " patterns in reasoning_knowledge",
    errors=_ERRORS,
)
def core_patterns(body: PatternsRequest, caller: Principal) -> PatternsResponse:
    from shared.core.patterns import find_patterns

    return find_patterns(caller.owner, body)


@api.post(
    "suggestions",
    "Ranked suggestions for a text from the caller's known patterns and the knowledge graph,"
    " each with the pattern and evidence behind it",
    errors=_ERRORS,
)
def core_suggestions(body: SuggestionsRequest, caller: Principal) -> SuggestionsResponse:
    from shared.core.suggestions import suggest

    return suggest(caller.owner, body)
