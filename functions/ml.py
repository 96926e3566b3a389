"""Classical ML endpoints: clustering, anomalies, feature importance and the model registry."""

from __future__ import annotations

import re

import azure.functions as func

from shared.auth import Scope
from shared.errors import NotFoundError
from shared.http import endpoint, json_response, parse_body
from shared.idempotency import idempotent
from shared.idempotency.keys import request_key
from shared.identity import current_owner
from shared.jobs.api import JobView, accepted_response
from shared.ml.api import (
    NAME_PATTERN,
    AliasRequest,
    AnomalyRequest,
    AnomalyResponse,
    BatchRequest,
    ClusterRequest,
    ClusterResponse,
    FeatureImportanceRequest,
    FeatureImportanceResponse,
    ModelDetail,
    ModelList,
    ModelVersion,
    PredictModelRequest,
    PredictModelResponse,
    TrainModelRequest,
)

bp = func.Blueprint()  # type: ignore[no-untyped-call]

_ERRORS = (400, 404, 413, 415, 422, 503)


def _name(req: func.HttpRequest) -> str:
    name = str(req.route_params.get("name", ""))
    if not re.match(NAME_PATTERN, name):
        raise NotFoundError(f"no model {name!r}")
    return name


@bp.route(route="ml/cluster", methods=["POST"])
@endpoint(
    "Cluster rows: KMeans (given k, or k by silhouette) or DBSCAN",
    request=ClusterRequest,
    response=ClusterResponse,
    errors=_ERRORS,
    tags=("ml",),
    scope=Scope.ML,
)
@idempotent()
def ml_cluster(req: func.HttpRequest) -> func.HttpResponse:
    from shared.ml import service

    request = parse_body(req, ClusterRequest)
    return json_response(service.cluster(current_owner(), request))


@bp.route(route="ml/anomaly", methods=["POST"])
@endpoint(
    "Score rows for anomalies with an IsolationForest (fitted now, or a registered one)",
    request=AnomalyRequest,
    response=AnomalyResponse,
    errors=(*_ERRORS, 409),
    tags=("ml",),
    scope=Scope.ML,
)
@idempotent()
def ml_anomaly(req: func.HttpRequest) -> func.HttpResponse:
    from shared.ml import service

    request = parse_body(req, AnomalyRequest)
    return json_response(service.anomaly(current_owner(), request))


@bp.route(route="ml/feature-importance", methods=["POST"])
@endpoint(
    "RandomForest impurity and permutation importances with the out-of-bag score",
    request=FeatureImportanceRequest,
    response=FeatureImportanceResponse,
    errors=_ERRORS,
    tags=("ml",),
    scope=Scope.ML,
)
@idempotent()
def ml_feature_importance(req: func.HttpRequest) -> func.HttpResponse:
    from shared.ml import service

    request = parse_body(req, FeatureImportanceRequest)
    return json_response(service.feature_importance(current_owner(), request))


@bp.route(route="ml/batch", methods=["POST"])
@endpoint(
    "Cluster, anomaly or feature importance as an ml job (tables up to ML_BATCH_MAX_ROWS rows):"
    " 202 and Location /api/jobs/{id}; the job's result file result.json is the response",
    request=BatchRequest,
    response=JobView,
    status=202,
    errors=(400, 404, 413, 415, 422, 429, 503),
    tags=("ml",),
    scope=Scope.ML,
)
@idempotent()
def ml_batch(req: func.HttpRequest) -> func.HttpResponse:
    from shared.ml import service

    request = parse_body(req, BatchRequest)
    job = service.submit_batch(current_owner(), request, request_key(req))
    return accepted_response(job)


@bp.route(route="ml/models", methods=["POST"])
@endpoint(
    "Train a model and register it as the next version of its name",
    request=TrainModelRequest,
    response=ModelVersion,
    status=201,
    errors=_ERRORS,
    tags=("ml",),
    scope=Scope.ML,
)
@idempotent()
def ml_train_model(req: func.HttpRequest) -> func.HttpResponse:
    from shared.ml import service

    request = parse_body(req, TrainModelRequest)
    return json_response(service.train_model(current_owner(), request), status=201)


@bp.route(route="ml/models", methods=["GET"])
@endpoint("Registered models", response=ModelList, errors=(503,), tags=("ml",), scope=Scope.ML)
def ml_list_models(req: func.HttpRequest) -> func.HttpResponse:
    from shared.ml import service

    return json_response(service.list_models(current_owner()))


@bp.route(route="ml/models/{name}", methods=["GET"])
@endpoint(
    "A model's versions and aliases",
    response=ModelDetail,
    errors=(404, 503),
    tags=("ml",),
    scope=Scope.ML,
)
def ml_get_model(req: func.HttpRequest) -> func.HttpResponse:
    from shared.ml import service

    return json_response(service.get_model(current_owner(), _name(req)))


@bp.route(route="ml/models/{name}/aliases", methods=["POST"])
@endpoint(
    "Point an alias (e.g. production) at a version",
    request=AliasRequest,
    response=ModelDetail,
    errors=(400, 404, 415, 422, 503),
    tags=("ml",),
    scope=Scope.ML,
)
@idempotent()
def ml_set_alias(req: func.HttpRequest) -> func.HttpResponse:
    from shared.ml import service

    name = _name(req)
    request = parse_body(req, AliasRequest)
    return json_response(service.set_alias(current_owner(), name, request))


@bp.route(route="ml/models/{name}/predict", methods=["POST"])
@endpoint(
    "Predict with a registered model, by version or alias (default: production, else latest)",
    request=PredictModelRequest,
    response=PredictModelResponse,
    errors=(*_ERRORS, 409),
    tags=("ml",),
    scope=Scope.ML,
)
@idempotent()
def ml_predict(req: func.HttpRequest) -> func.HttpResponse:
    from shared.ml import service

    name = _name(req)
    request = parse_body(req, PredictModelRequest)
    return json_response(service.predict(current_owner(), name, request))
