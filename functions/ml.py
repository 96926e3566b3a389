"""Classical ML endpoints: clustering, anomalies, feature importance and the model registry."""

from __future__ import annotations

import re

from starlette.responses import Response

from shared.auth import Principal, Scope
from shared.errors import NotFoundError
from shared.http.api import Api
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

api = Api(tags=("ml",), scope=Scope.ML)
bp = api.blueprint

_ERRORS = (400, 404, 413, 415, 422, 503)


def _model_name(name: str) -> str:
    if not re.match(NAME_PATTERN, name):
        raise NotFoundError(f"no model {name!r}")
    return name


@api.post(
    "ml/cluster", "Cluster rows: KMeans (given k, or k by silhouette) or DBSCAN", errors=_ERRORS
)
def ml_cluster(body: ClusterRequest, caller: Principal) -> ClusterResponse:
    from shared.ml import service

    return service.cluster(caller.owner, body)


@api.post(
    "ml/anomaly",
    "Score rows for anomalies with an IsolationForest (fitted now, or a registered one)",
    errors=(*_ERRORS, 409),
)
def ml_anomaly(body: AnomalyRequest, caller: Principal) -> AnomalyResponse:
    from shared.ml import service

    return service.anomaly(caller.owner, body)


@api.post(
    "ml/feature-importance",
    "RandomForest impurity and permutation importances with the out-of-bag score",
    errors=_ERRORS,
)
def ml_feature_importance(
    body: FeatureImportanceRequest, caller: Principal
) -> FeatureImportanceResponse:
    from shared.ml import service

    return service.feature_importance(caller.owner, body)


@api.post(
    "ml/batch",
    "Cluster, anomaly or feature importance as an ml job (tables up to ML_BATCH_MAX_ROWS rows):"
    " 202 and Location /api/jobs/{id}; the job's result file result.json is the response",
    response=JobView,
    status=202,
    errors=(400, 404, 413, 415, 422, 429, 503),
)
def ml_batch(body: BatchRequest, caller: Principal, idempotency_key: str | None) -> Response:
    from shared.ml import service

    return accepted_response(service.submit_batch(caller.owner, body, idempotency_key))


@api.post(
    "ml/models",
    "Train a model and register it as the next version of its name",
    status=201,
    errors=_ERRORS,
)
def ml_train_model(body: TrainModelRequest, caller: Principal) -> ModelVersion:
    from shared.ml import service

    return service.train_model(caller.owner, body)


@api.get("ml/models", "Registered models", errors=(503,))
def ml_list_models(caller: Principal) -> ModelList:
    from shared.ml import service

    return service.list_models(caller.owner)


@api.get("ml/models/{name}", "A model's versions and aliases", errors=(404, 503))
def ml_get_model(name: str, caller: Principal) -> ModelDetail:
    from shared.ml import service

    return service.get_model(caller.owner, _model_name(name))


@api.post(
    "ml/models/{name}/aliases",
    "Point an alias (e.g. production) at a version",
    errors=(400, 404, 415, 422, 503),
)
def ml_set_alias(name: str, body: AliasRequest, caller: Principal) -> ModelDetail:
    from shared.ml import service

    return service.set_alias(caller.owner, _model_name(name), body)


@api.post(
    "ml/models/{name}/predict",
    "Predict with a registered model, by version or alias (default: production, else latest)",
    errors=(*_ERRORS, 409),
)
def ml_predict(name: str, body: PredictModelRequest, caller: Principal) -> PredictModelResponse:
    from shared.ml import service

    return service.predict(caller.owner, _model_name(name), body)
