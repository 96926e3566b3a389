"""Health and discovery endpoints (anonymous): liveness, dependency status, model status."""

from __future__ import annotations

import azure.functions as func
from pydantic import BaseModel

from shared import __version__
from shared.health.checks import DependencyStatus, check_dependencies, overall_ok
from shared.http import endpoint, json_response
from shared.idempotency import idempotency_stats
from shared.inference.catalog import CATALOG, ModelStatus
from shared.trading import state as trading_state
from shared.trading.api import SCHEMA_VERSION

bp = func.Blueprint()  # type: ignore[no-untyped-call]


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
    """Every backing store, checked now, and the idempotency counters (hits, misses, conflicts,
    mismatches store-wide; fail-open runs in this instance)."""

    status: str
    dependencies: list[DependencyStatus]
    idempotency: dict[str, int]


class ModelsStatusResponse(BaseModel):
    """Every model the app can serve, and whether this instance has loaded it."""

    models: list[ModelStatus]


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@endpoint("Liveness", response=HealthResponse, tags=("health",), public=True)
def health(req: func.HttpRequest) -> func.HttpResponse:
    model = trading_state.current()
    return json_response(
        HealthResponse(
            status="ok",
            version=__version__,
            model_loaded=model.loaded,
            model_version=model.version,
            schema_version=SCHEMA_VERSION,
        )
    )


@bp.route(route="services/status", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@endpoint(
    "Backing store status (503 when a required one is down)",
    response=ServicesStatusResponse,
    errors=(503,),
    tags=("health",),
    public=True,
)
def services_status(req: func.HttpRequest) -> func.HttpResponse:
    dependencies = check_dependencies()
    healthy = overall_ok(dependencies)
    body = ServicesStatusResponse(
        status="ok" if healthy else "unavailable",
        dependencies=dependencies,
        idempotency=idempotency_stats(),
    )
    return json_response(body, status=200 if healthy else 503)


@bp.route(route="models/status", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@endpoint("Model status", response=ModelsStatusResponse, tags=("health",), public=True)
def models_status(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(ModelsStatusResponse(models=CATALOG.status()))
