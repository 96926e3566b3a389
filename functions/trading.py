"""Trading decisions for the .NET agents: ``POST /api/predict`` (function key + an API key with
the ``predict`` scope, sent as X-API-Key)."""

from __future__ import annotations

import azure.functions as func

from shared.auth import Scope
from shared.http import endpoint, json_response, parse_body
from shared.idempotency import idempotent
from shared.identity import current_owner
from shared.trading.api import PredictRequest, PredictResponse

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="predict", methods=["POST"])
@endpoint(
    "Orders for an agent's portfolio from recent candles, within its risk limits",
    request=PredictRequest,
    response=PredictResponse,
    errors=(400, 401, 409, 413, 415, 422, 503),
    tags=("trading",),
    scope=Scope.PREDICT,
)
@idempotent()
def predict(req: func.HttpRequest) -> func.HttpResponse:
    from shared.trading import service

    request = parse_body(req, PredictRequest)
    # The caller's own model (registry names are per caller), else the baseline.
    return json_response(service.decide(request, current_owner()))
