"""AI-core endpoints: analyze a batch, find and keep recurring patterns, suggest from them."""

from __future__ import annotations

import azure.functions as func

from shared.auth import Scope
from shared.core.api import (
    AnalyzeRequest,
    AnalyzeResponse,
    PatternsRequest,
    PatternsResponse,
    SuggestionsRequest,
    SuggestionsResponse,
)
from shared.http import endpoint, json_response, parse_body
from shared.idempotency import idempotent
from shared.idempotency.keys import request_key
from shared.identity import current_owner
from shared.jobs.api import JobView, accepted_response

bp = func.Blueprint()  # type: ignore[no-untyped-call]

_ERRORS = (400, 404, 413, 415, 422, 429, 503)


@bp.route(route="analyze", methods=["POST"])
@endpoint(
    "Embed, cluster, flag anomalies, classify, relate to known concepts and patterns; per-item"
    " results and per-cluster summaries, with the steps that degraded. Over CORE_SYNC_MAX_ITEMS"
    " items: 202 and Location /api/jobs/{id} (an analyze job; result file result.json)",
    request=AnalyzeRequest,
    response=AnalyzeResponse,
    errors=_ERRORS,
    tags=("core",),
    scope=Scope.ML,
    also=((202, JobView),),
)
@idempotent()
def core_analyze(req: func.HttpRequest) -> func.HttpResponse:
    from shared.core import service

    request = parse_body(req, AnalyzeRequest)
    if service.is_large(request):
        job = service.submit_analysis(current_owner(), request, request_key(req))
        return accepted_response(job)
    return json_response(service.analyze(current_owner(), request))


@bp.route(route="patterns", methods=["POST"])
@endpoint(
    "Recurring patterns (clusters with examples, frequency, trend), stored as the caller's known"
    " patterns in reasoning_knowledge",
    request=PatternsRequest,
    response=PatternsResponse,
    errors=_ERRORS,
    tags=("core",),
    scope=Scope.ML,
)
@idempotent()
def core_patterns(req: func.HttpRequest) -> func.HttpResponse:
    from shared.core.patterns import find_patterns

    request = parse_body(req, PatternsRequest)
    return json_response(find_patterns(current_owner(), request))


@bp.route(route="suggestions", methods=["POST"])
@endpoint(
    "Ranked suggestions for a text from the caller's known patterns and the knowledge graph,"
    " each with the pattern and evidence behind it",
    request=SuggestionsRequest,
    response=SuggestionsResponse,
    errors=_ERRORS,
    tags=("core",),
    scope=Scope.ML,
)
@idempotent()
def core_suggestions(req: func.HttpRequest) -> func.HttpResponse:
    from shared.core.suggestions import suggest

    request = parse_body(req, SuggestionsRequest)
    return json_response(suggest(current_owner(), request))
