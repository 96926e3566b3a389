"""Request and response models of ``/api/ml/...``. Pydantic only: importing this loads no numpy."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"

Cell = float | int | str | bool | None


class DataInput(BaseModel):
    """A table: ``columns`` + ``rows`` inline, or ``file_id`` of a file uploaded with
    ``POST /api/media/upload``: Parquet (recognised by its bytes) or CSV (a header row, comma
    separated)."""

    model_config = ConfigDict(extra="forbid")

    columns: list[str] | None = Field(default=None, max_length=1000)
    rows: list[list[Cell]] | None = None
    file_id: uuid.UUID | None = None
    encode: Literal["none", "onehot"] = Field(
        default="none",
        description="non-numeric feature columns: 'none' refuses them (422), 'onehot' encodes",
    )

    @model_validator(mode="after")
    def _one_source(self) -> DataInput:
        if (self.rows is None) == (self.file_id is None):
            raise ValueError("give either rows (with optional columns) or file_id")
        return self


class ClusterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: DataInput
    method: Literal["kmeans", "dbscan"] = "kmeans"
    k: int | None = Field(default=None, ge=2, le=100, description="kmeans: None picks k")
    k_min: int = Field(default=2, ge=2, le=100)
    k_max: int = Field(default=10, ge=2, le=100)
    eps: float = Field(default=0.5, gt=0, allow_inf_nan=False)
    min_samples: int = Field(default=5, ge=1, le=10_000)
    scale: bool = True
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class ClusterResponse(BaseModel):
    method: str
    k: int
    labels: list[int]
    centres: list[list[float]]
    sizes: dict[str, int]
    silhouette: float | None
    silhouette_by_k: dict[str, float] | None = None
    noise: int = 0
    columns: list[str]


class ModelRef(BaseModel):
    """A registered model: by ``version`` or ``alias`` (default alias ``production``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    version: int | None = Field(default=None, ge=1)
    alias: str | None = Field(default=None, pattern=NAME_PATTERN)


class AnomalyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: DataInput
    contamination: float | Literal["auto"] = Field(default="auto")
    n_estimators: int = Field(default=100, ge=1, le=1000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    scale: bool = False
    model: ModelRef | None = Field(
        default=None, description="score with a registered isolation_forest instead of fitting"
    )

    @model_validator(mode="after")
    def _contamination(self) -> AnomalyRequest:
        c = self.contamination
        if c != "auto" and not (isinstance(c, float) and 0.0 < c <= 0.5):
            raise ValueError("contamination must be 'auto' or a number in (0, 0.5]")
        return self


class AnomalyResponse(BaseModel):
    scores: list[float] = Field(description="higher is more anomalous")
    flags: list[bool]
    anomalies: int
    threshold: float
    model_version: str | None = None


class FeatureImportanceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: DataInput
    target: str = Field(min_length=1)
    task: Literal["auto", "classification", "regression"] = "auto"
    n_estimators: int = Field(default=200, ge=10, le=1000)
    n_repeats: int = Field(default=5, ge=1, le=50)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class Importance(BaseModel):
    feature: str
    impurity: float
    permutation_mean: float
    permutation_std: float


class FeatureImportanceResponse(BaseModel):
    task: str
    oob_score: float
    importances: list[Importance] = Field(description="sorted by permutation_mean, highest first")


class ClusterBatch(ClusterRequest):
    operation: Literal["cluster"]


class AnomalyBatch(AnomalyRequest):
    operation: Literal["anomaly"]


class FeatureImportanceBatch(FeatureImportanceRequest):
    operation: Literal["feature_importance"]


BatchOperation = Annotated[
    ClusterBatch | AnomalyBatch | FeatureImportanceBatch, Field(discriminator="operation")
]


class BatchRequest(RootModel[BatchOperation]):
    """``operation`` (``cluster`` | ``anomaly`` | ``feature_importance``) and that operation's
    body; runs as an ``ml`` job whose result file ``result.json`` is the operation's response."""


Algorithm = Literal["kmeans", "isolation_forest", "random_forest", "logistic_regression", "ridge"]


class TrainModelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    algorithm: Algorithm
    params: dict[str, Any] = Field(default_factory=dict)
    data: DataInput
    target: str | None = Field(default=None, description="supervised algorithms: the label")
    task: Literal["auto", "classification", "regression"] = "auto"
    scale: bool = False
    aliases: list[str] = Field(default_factory=list, max_length=10)
    description: str = Field(default="", max_length=2000)


class ModelVersion(BaseModel):
    name: str
    version: int
    algorithm: str
    task: str
    params: dict[str, Any]
    metrics: dict[str, float]
    features: list[str]
    sha256: str
    size: int
    created_by: str
    created_at: datetime
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    onnx_sha256: str | None = Field(
        default=None,
        description="SHA-256 of the ONNX copy that predict serves with onnxruntime; "
        "null: served by scikit-learn (not converted, or outputs differed)",
    )


class ModelSummary(BaseModel):
    name: str
    latest_version: int
    aliases: dict[str, int]
    updated_at: datetime


class ModelList(BaseModel):
    models: list[ModelSummary]


class ModelDetail(BaseModel):
    name: str
    aliases: dict[str, int]
    versions: list[ModelVersion]


class AliasRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alias: str = Field(pattern=NAME_PATTERN)
    version: int = Field(ge=1)


class PredictModelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: DataInput
    version: int | None = Field(default=None, ge=1)
    alias: str | None = Field(default=None, pattern=NAME_PATTERN)


class PredictModelResponse(BaseModel):
    name: str
    version: int
    algorithm: str
    runtime: Literal["onnxruntime", "scikit-learn"] = Field(
        description="what computed the predictions: the version's verified ONNX copy, or the "
        "skops estimator"
    )
    predictions: list[float | int | str]
    probabilities: list[dict[str, float]] | None = None
    scores: list[float] | None = None
