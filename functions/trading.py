"""Trading decisions for the .NET agents: ``POST /api/predict`` (an API key with the ``predict``
scope, sent as X-API-Key)."""

from __future__ import annotations

from shared.auth import Principal, Scope
from shared.http.api import Api
from shared.trading.api import PredictRequest, PredictResponse

api = Api(tags=("trading",), scope=Scope.PREDICT)
bp = api.blueprint


@api.post(
    "predict",
    "Orders for an agent's portfolio from recent candles, within its risk limits",
    errors=(400, 401, 409, 413, 415, 422, 503),
)
def predict(body: PredictRequest, caller: Principal) -> PredictResponse:
    from shared.trading import service

    # The caller's own model (registry names are per caller), else the baseline.
    return service.decide(body, caller.owner)
