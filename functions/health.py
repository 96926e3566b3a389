"""Health and discovery endpoints (anonymous): liveness, dependency status, model status."""

from __future__ import annotations

from pydantic import BaseModel

from shared import __version__
from shared.health.checks import DependencyStatus, check_dependencies, overall_ok
from shared.http.api import Api, Reply
from shared.http.streams import streams_in_flight
from shared.idempotency import idempotency_stats
from shared.inference.catalog import CATALOG, ModelStatus
from shared.llm.activity import llm_activity
from shared.trading import state as trading_state
from shared.trading.api import SCHEMA_VERSION

api = Api(tags=("health",), public=True)
bp = api.blueprint


class HealthResponse(BaseModel):
    """Liveness: the process answers. Touches no dependency. ``model_loaded`` and
    ``model_version`` say whether this process has loaded the registered trading model (else the
    rule-based baseline decides); ``schema_version`` is the ``/api/predict`` schema."""

    status: str
    version: str
    model_loaded: bool
    model_version: str
    schema_version: str


class ServicesStatusResponse(BaseModel):
    """Every backing store, checked now; the idempotency counters (hits, misses, conflicts,
    mismatches store-wide; fail-open runs in this instance); the streamed responses this instance
    is sending now; and the chat model's streamed generations in progress here (``llm``)."""

    status: str
    dependencies: list[DependencyStatus]
    idempotency: dict[str, int]
    streams_in_flight: int
    llm: dict[str, int]


class ModelsStatusResponse(BaseModel):
    """Every model the app can serve, and whether this instance has loaded it."""

    models: list[ModelStatus]


@api.get("health", "Liveness")
async def health() -> HealthResponse:
    # async: answered on the event loop, never queued behind busy worker threads.
    model = trading_state.current()
    return HealthResponse(
        status="ok",
        version=__version__,
        model_loaded=model.loaded,
        model_version=model.version,
        schema_version=SCHEMA_VERSION,
    )


@api.get(
    "services/status",
    "Backing store status (503 when a required one is down)",
    response=ServicesStatusResponse,
    errors=(503,),
)
def services_status() -> Reply:
    dependencies = check_dependencies()
    healthy = overall_ok(dependencies)
    body = ServicesStatusResponse(
        status="ok" if healthy else "unavailable",
        dependencies=dependencies,
        idempotency=idempotency_stats(),
        streams_in_flight=streams_in_flight(),
        llm=llm_activity(),
    )
    return Reply(body, status=200 if healthy else 503)


@api.get("models/status", "Model status")
def models_status() -> ModelsStatusResponse:
    return ModelsStatusResponse(models=CATALOG.status())
