"""The ``/api/ml`` operations: parse the table, run the algorithm, shape the response."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from shared.errors import UnprocessableContentError
from shared.ml import algorithms, data
from shared.ml.api import (
    AliasRequest,
    AnomalyRequest,
    AnomalyResponse,
    BatchRequest,
    ClusterRequest,
    ClusterResponse,
    DataInput,
    FeatureImportanceRequest,
    FeatureImportanceResponse,
    Importance,
    ModelDetail,
    ModelList,
    ModelSummary,
    ModelVersion,
    PredictModelRequest,
    PredictModelResponse,
    TrainModelRequest,
)
from shared.ml.registry import VersionRecord, get_registry

if TYPE_CHECKING:
    from shared.jobs.models import Job
    from shared.ml.table import Table

F = TypeVar("F", bound=Callable[..., Any])


def _refusing_value_errors(operation: F) -> F:
    """scikit-learn reports bad input as ValueError: the caller gets 422 with its message."""

    @functools.wraps(operation)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return operation(*args, **kwargs)
        except ValueError as exc:
            raise UnprocessableContentError(f"the data cannot be used: {exc}") from exc

    return cast(F, wrapper)


@_refusing_value_errors
def cluster(
    owner: str,
    request: ClusterRequest,
    *,
    max_rows: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> ClusterResponse:
    """``max_rows`` replaces ``ML_MAX_ROWS``; ``progress`` gets the fraction of the k search
    done (both for a batch job)."""
    table = data.load_table(request.data, owner, max_rows=max_rows)
    matrix = data.to_matrix(table, encode=request.data.encode, what="clustering")
    result = algorithms.cluster(
        matrix.x,
        method=request.method,
        k=request.k,
        k_min=request.k_min,
        k_max=request.k_max,
        eps=request.eps,
        min_samples=request.min_samples,
        scale=request.scale,
        seed=request.seed,
        progress=progress,
    )
    return ClusterResponse(
        method=result.method,
        k=result.k,
        labels=result.labels,
        centres=[[round(v, 6) for v in c] for c in result.centres],
        sizes=result.sizes,
        silhouette=None if result.silhouette is None else round(result.silhouette, 6),
        silhouette_by_k=result.silhouette_by_k,
        noise=result.noise,
        columns=matrix.columns,
    )


@_refusing_value_errors
def anomaly(owner: str, request: AnomalyRequest, *, max_rows: int | None = None) -> AnomalyResponse:
    table = data.load_table(request.data, owner, max_rows=max_rows)
    if request.model is not None:
        registry = get_registry()
        record = registry.resolve(
            owner, request.model.name, request.model.version, request.model.alias
        )
        if record.algorithm != "isolation_forest":
            raise UnprocessableContentError(
                f"model {record.name!r} version {record.version} is {record.algorithm}, "
                "not isolation_forest"
            )
        x = _aligned(table, record, request.data)
        result = algorithms.score_anomalies(registry.load(record), x)
        version: str | None = f"{record.name}@{record.version}"
    else:
        matrix = data.to_matrix(table, encode=request.data.encode, min_rows=2, what="anomaly")
        x = matrix.x
        if request.scale:
            from sklearn.preprocessing import StandardScaler

            x = StandardScaler().fit_transform(x)
        model = algorithms.isolation_forest(
            x,
            contamination=request.contamination,
            n_estimators=request.n_estimators,
            seed=request.seed,
        )
        result = algorithms.score_anomalies(model, x)
        version = None
    return AnomalyResponse(
        scores=result.scores,
        flags=result.flags,
        anomalies=sum(result.flags),
        threshold=result.threshold,
        model_version=version,
    )


@_refusing_value_errors
def feature_importance(
    owner: str, request: FeatureImportanceRequest, *, max_rows: int | None = None
) -> FeatureImportanceResponse:
    table = data.load_table(request.data, owner, max_rows=max_rows)
    matrix = data.to_matrix(
        table, encode=request.data.encode, target=request.target, min_rows=10, what="RandomForest"
    )
    assert matrix.target is not None
    result = algorithms.feature_importance(
        matrix.x,
        matrix.target,
        task=request.task,
        n_estimators=request.n_estimators,
        n_repeats=request.n_repeats,
        seed=request.seed,
    )
    importances = [
        Importance(
            feature=name,
            impurity=round(imp, 6),
            permutation_mean=round(mean, 6),
            permutation_std=round(std, 6),
        )
        for name, imp, mean, std in zip(
            matrix.columns,
            result.impurity,
            result.permutation_mean,
            result.permutation_std,
            strict=True,
        )
    ]
    importances.sort(key=lambda i: i.permutation_mean, reverse=True)
    return FeatureImportanceResponse(
        task=result.task, oob_score=round(result.oob_score, 6), importances=importances
    )


# --- batch -----------------------------------------------------------------------------------


def submit_batch(owner: str, request: BatchRequest, idempotency_key: str | None) -> Job:
    """An ``ml`` job running ``request.root.operation`` (see shared/ml/handlers.py). The body is
    validated already; a ``file_id`` must name one of the owner's files (404 now). Problems with
    the data itself (rows, values, columns) fail the job with the reason."""
    from shared.jobs.queues import ML
    from shared.jobs.service import submit_job

    operation = request.root
    if operation.data.file_id is not None:
        from shared.media.service import get_file

        get_file(owner, operation.data.file_id)
    job, _ = submit_job(
        owner, ML, operation.model_dump(mode="json"), idempotency_key=idempotency_key
    )
    return job


# --- registry ---------------------------------------------------------------------------------


def _version_out(record: VersionRecord, aliases: dict[str, int]) -> ModelVersion:
    # The record's fields that the API shows (storage details such as blob names are dropped).
    return ModelVersion.model_validate(
        {
            **dataclasses.asdict(record),
            "aliases": sorted(a for a, v in aliases.items() if v == record.version),
        }
    )


@_refusing_value_errors
def train_model(owner: str, request: TrainModelRequest) -> ModelVersion:
    table = data.load_table(request.data, owner)
    if request.target is not None and request.algorithm not in algorithms.SUPERVISED:
        raise UnprocessableContentError(f"{request.algorithm} takes no target column")
    matrix = data.to_matrix(
        table, encode=request.data.encode, target=request.target, what=request.algorithm
    )
    trained = algorithms.train(
        request.algorithm,
        request.params,
        matrix.x,
        matrix.target,
        task=request.task,
        scale=request.scale,
    )
    from shared.ml.onnx_serving import convert
    from shared.ml.registry import dumps

    params: dict[str, Any] = {
        **request.params,
        "scale": request.scale,
        "encode": request.data.encode,
        "target": request.target,
    }
    record = get_registry().register(
        owner=owner,
        name=request.name,
        algorithm=request.algorithm,
        task=trained.task,
        params=params,
        metrics=trained.metrics,
        features=matrix.columns,
        artefact=dumps(trained.estimator),
        description=request.description,
        created_by=owner,
        aliases=request.aliases,
        # None where it does not convert, or its outputs differ from scikit-learn's here
        onnx=convert(trained.estimator, request.algorithm, matrix.x),
    )
    return _version_out(record, dict.fromkeys(request.aliases, record.version))


def list_models(owner: str) -> ModelList:
    """The caller's models (each owner has its own namespace of names)."""
    return ModelList(
        models=[
            ModelSummary(
                name=row["name"],
                latest_version=row["latest_version"] or 0,
                aliases=row["aliases"],
                updated_at=row["updated_at"],
            )
            for row in get_registry().list_models(owner)
        ]
    )


def get_model(owner: str, name: str) -> ModelDetail:
    records, aliases = get_registry().versions(owner, name)
    return ModelDetail(
        name=name, aliases=aliases, versions=[_version_out(r, aliases) for r in records]
    )


def set_alias(owner: str, name: str, request: AliasRequest) -> ModelDetail:
    get_registry().set_alias(owner, name, request.alias, request.version)
    return get_model(owner, name)


def _aligned(table: Table, record: VersionRecord, source: DataInput) -> Any:
    """The table's features in the order the model was trained on; one-hot levels the model
    never saw are dropped and the ones absent here are zero."""
    import numpy as np

    target = record.params.get("target")
    if target is not None and target not in table.columns:
        target = None
    matrix = data.to_matrix(table, encode=str(record.params.get("encode", "none")), target=target)
    index = {name: i for i, name in enumerate(matrix.columns)}
    columns = []
    for feature in record.features:
        if feature in index:
            columns.append(matrix.x[:, index[feature]])
        elif "=" in feature and feature.split("=", 1)[0] in table.columns:
            columns.append(np.zeros(matrix.x.shape[0]))
        else:
            raise UnprocessableContentError(
                f"column {feature!r} that model {record.name!r} was trained on is missing"
            )
    return np.column_stack(columns)


@_refusing_value_errors
def predict(owner: str, name: str, request: PredictModelRequest) -> PredictModelResponse:
    registry = get_registry()
    record = registry.resolve(owner, name, request.version, request.alias)
    table = data.load_table(request.data, owner)
    x = _aligned(table, record, request.data)
    runtime: Literal["onnxruntime", "scikit-learn"]
    if record.onnx_sha256 is not None:
        from shared.ml import onnx_serving

        out = onnx_serving.predict(registry.load_onnx(record), x)
        runtime = "onnxruntime"
    else:
        out = algorithms.predict(registry.load(record), record.algorithm, x)
        runtime = "scikit-learn"
    return PredictModelResponse(
        name=record.name,
        version=record.version,
        algorithm=record.algorithm,
        runtime=runtime,
        **out,
    )
