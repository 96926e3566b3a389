"""scikit-learn behind small functions that take a float matrix and return plain results.

Each function checks what the algorithm needs (rows, k, classes) and raises a 422
``UnprocessableContentError`` with the reason instead of letting scikit-learn fail with a 500.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from shared.errors import UnprocessableContentError

FloatArray = npt.NDArray[np.float64]

# Silhouette is O(n^2): it is computed on a seeded sample of at most this many rows.
SILHOUETTE_SAMPLE = 1000
# A numeric target with at most this many distinct integer values is a classification target.
MAX_AUTO_CLASSES = 20


@dataclass
class ClusterResult:
    method: str
    k: int
    labels: list[int]
    centres: list[list[float]]
    sizes: dict[str, int]
    silhouette: float | None
    silhouette_by_k: dict[str, float] | None = None
    noise: int = 0


@dataclass
class AnomalyResult:
    scores: list[float]
    flags: list[bool]
    threshold: float


@dataclass
class ImportanceResult:
    task: str
    oob_score: float
    impurity: list[float]
    permutation_mean: list[float]
    permutation_std: list[float]


@dataclass
class Trained:
    estimator: Any
    task: str
    metrics: dict[str, float] = field(default_factory=dict)


def _scaled(x: FloatArray, scale: bool) -> tuple[FloatArray, Any]:
    if not scale:
        return x, None
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    return scaler.fit_transform(x), scaler


def silhouette(x: FloatArray, labels: npt.NDArray[Any], seed: int = 0) -> float | None:
    """Mean silhouette on a seeded sample; None when there are fewer than 2 clusters."""
    from sklearn.metrics import silhouette_score

    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(labels):
        return None
    sample = min(SILHOUETTE_SAMPLE, len(labels))
    rng = np.random.default_rng(seed)
    index = rng.choice(len(labels), size=sample, replace=False) if sample < len(labels) else None
    xs, ls = (x, labels) if index is None else (x[index], labels[index])
    if len(np.unique(ls)) < 2:
        return None
    return float(silhouette_score(xs, ls))


def _sizes(labels: npt.NDArray[Any]) -> dict[str, int]:
    counts = np.bincount(labels + 1)  # labels start at -1 (DBSCAN noise)
    return {str(i - 1): int(c) for i, c in enumerate(counts.tolist()) if c}


def kmeans(x: FloatArray, k: int, seed: int) -> Any:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=1, random_state=seed).fit(x)


def _best_k(
    xs: FloatArray,
    k_min: int,
    k_max: int,
    seed: int,
    progress: Callable[[float], None] | None,
) -> tuple[Any, dict[str, float]]:
    """The KMeans of best silhouette for k in [k_min, k_max] and each k's silhouette."""
    n = xs.shape[0]
    if k_min > k_max:
        raise UnprocessableContentError(f"k_min ({k_min}) is greater than k_max ({k_max})")
    top = min(k_max, n - 1)
    if top < k_min:
        raise UnprocessableContentError(
            f"choosing k in [{k_min}, {k_max}] needs at least {k_min + 1} rows; got {n}"
        )
    best: tuple[float, Any] | None = None
    scores: dict[str, float] = {}
    for candidate in range(k_min, top + 1):
        model = kmeans(xs, candidate, seed)
        value = silhouette(xs, model.labels_, seed)
        if progress is not None:
            progress((candidate - k_min + 1) / (top - k_min + 1))
        if value is None:
            continue
        scores[str(candidate)] = round(value, 6)
        if best is None or value > best[0]:
            best = (value, model)
    if best is None:
        raise UnprocessableContentError("no k in the range gives at least 2 distinct clusters")
    return best[1], scores


def cluster(
    x: FloatArray,
    *,
    method: str,
    k: int | None,
    k_min: int,
    k_max: int,
    eps: float,
    min_samples: int,
    scale: bool,
    seed: int,
    progress: Callable[[float], None] | None = None,
) -> ClusterResult:
    """KMeans with a given k or the k of best silhouette in [k_min, k_max]; or DBSCAN.
    ``progress`` is called with the fraction done after each k tried (a batch job's checkpoint)."""
    n = x.shape[0]
    xs, scaler = _scaled(x, scale)
    if method == "dbscan":
        from sklearn.cluster import DBSCAN

        if n < 2:
            raise UnprocessableContentError("DBSCAN needs at least 2 rows")
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(xs)
        clusters = sorted(int(v) for v in np.unique(labels) if v >= 0)
        centres = [x[labels == c].mean(axis=0).tolist() for c in clusters]
        clustered = labels >= 0
        score = silhouette(xs[clustered], labels[clustered], seed) if clustered.any() else None
        return ClusterResult(
            "dbscan",
            len(clusters),
            labels.tolist(),
            centres,
            _sizes(labels),
            score,
            noise=int((labels < 0).sum()),
        )
    scores: dict[str, float] | None = None
    if k is None:
        fitted, scores = _best_k(xs, k_min, k_max, seed, progress)
    else:
        if n < k:
            raise UnprocessableContentError(f"k={k} needs at least {k} rows; got {n}")
        fitted = kmeans(xs, k, seed)
    labels = fitted.labels_
    centres = fitted.cluster_centers_
    if scaler is not None:
        centres = scaler.inverse_transform(centres)
    return ClusterResult(
        "kmeans",
        int(fitted.n_clusters),
        labels.tolist(),
        centres.tolist(),
        _sizes(labels),
        silhouette(xs, labels, seed),
        scores,
    )


def isolation_forest(
    x: FloatArray, *, contamination: float | str, n_estimators: int, seed: int
) -> Any:
    from sklearn.ensemble import IsolationForest

    if x.shape[0] < 2:
        raise UnprocessableContentError("IsolationForest needs at least 2 rows")
    return IsolationForest(
        n_estimators=n_estimators, contamination=contamination, random_state=seed
    ).fit(x)


def score_anomalies(model: Any, x: FloatArray) -> AnomalyResult:
    """Scores (higher: more anomalous) and flags of a fitted IsolationForest (or pipeline)."""
    decision = model.decision_function(x)  # < 0: outlier
    scores = -decision
    return AnomalyResult(np.round(scores, 6).tolist(), (decision < 0).tolist(), 0.0)


def detect_task(y: list[Any], task: str) -> str:
    """``classification`` for text labels or few distinct integers, else ``regression``."""
    if task != "auto":
        if task == "regression" and any(isinstance(v, str) for v in y):
            raise UnprocessableContentError("a regression target must be numeric")
        return task
    if any(isinstance(v, str) for v in y):
        return "classification"
    distinct = set(y)
    if all(float(v).is_integer() for v in distinct) and len(distinct) <= MAX_AUTO_CLASSES:
        return "classification"
    return "regression"


def _target(y: list[Any], task: str) -> npt.NDArray[Any]:
    if task == "classification":
        if all(isinstance(v, float) and v.is_integer() for v in y):
            labels = np.asarray([int(v) for v in y])
        else:
            labels = np.asarray([str(v) for v in y])
        if len(np.unique(labels)) < 2:
            raise UnprocessableContentError("classification needs at least 2 classes")
        return labels
    return np.asarray(y, dtype=np.float64)


def feature_importance(
    x: FloatArray, y: list[Any], *, task: str, n_estimators: int, n_repeats: int, seed: int
) -> ImportanceResult:
    """RandomForest impurity importances, permutation importances on a held-out quarter (on the
    training rows when there are fewer than 40), and the out-of-bag score."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import train_test_split

    if x.shape[0] < 10:
        raise UnprocessableContentError(
            f"feature importance needs at least 10 rows; got {x.shape[0]}"
        )
    task = detect_task(y, task)
    target = _target(y, task)
    forest_class = RandomForestClassifier if task == "classification" else RandomForestRegressor
    forest = forest_class(n_estimators=n_estimators, oob_score=True, random_state=seed, n_jobs=-1)
    if x.shape[0] >= 40:
        stratify = target if task == "classification" and _stratifiable(target) else None
        x_fit, x_eval, y_fit, y_eval = train_test_split(
            x, target, test_size=0.25, random_state=seed, stratify=stratify
        )
    else:
        x_fit, x_eval, y_fit, y_eval = x, x, target, target
    forest.fit(x_fit, y_fit)
    permuted = permutation_importance(
        forest, x_eval, y_eval, n_repeats=n_repeats, random_state=seed, n_jobs=1
    )
    oob = float(forest.oob_score_)
    return ImportanceResult(
        task,
        oob if math.isfinite(oob) else 0.0,
        [float(v) for v in forest.feature_importances_],
        [float(v) for v in permuted.importances_mean],
        [float(v) for v in permuted.importances_std],
    )


def _stratifiable(target: npt.NDArray[Any]) -> bool:
    _, counts = np.unique(target, return_counts=True)
    return bool(counts.min() >= 2)


# --- training for the registry --------------------------------------------------------------

ALLOWED_PARAMS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "kmeans": {"n_clusters": int, "n_init": int, "max_iter": int, "random_state": int},
    "isolation_forest": {
        "n_estimators": int,
        "contamination": (float, str),
        "max_samples": (int, float, str),
        "random_state": int,
    },
    "random_forest": {
        "n_estimators": int,
        "max_depth": (int, type(None)),
        "min_samples_leaf": int,
        "max_features": (int, float, str, type(None)),
        "random_state": int,
    },
    "logistic_regression": {"C": (float, int), "max_iter": int},
    "ridge": {"alpha": (float, int)},
}
SUPERVISED = {"random_forest", "logistic_regression", "ridge"}


def check_params(algorithm: str, params: dict[str, Any]) -> dict[str, Any]:
    allowed = ALLOWED_PARAMS[algorithm]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise UnprocessableContentError(
            f"unknown parameters for {algorithm}: {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    for name, value in params.items():
        kinds = allowed[name]
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise UnprocessableContentError(f"parameter {name!r} has the wrong type")
    if algorithm == "random_forest" and params.get("n_estimators", 100) > 1000:
        raise UnprocessableContentError("n_estimators is at most 1000")
    return params


def train(
    algorithm: str,
    params: dict[str, Any],
    x: FloatArray,
    y: list[Any] | None,
    *,
    task: str,
    scale: bool,
    seed: int = 0,
) -> Trained:
    """Fit ``algorithm`` (optionally behind a StandardScaler) and measure it on its data."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    params = check_params(algorithm, dict(params))
    n = x.shape[0]
    target: npt.NDArray[Any] | None = None
    if algorithm in SUPERVISED:
        if y is None:
            raise UnprocessableContentError(f"{algorithm} needs a target column")
        if algorithm == "logistic_regression":
            task = "classification"
        elif algorithm == "ridge":
            task = "regression"
        task = detect_task(y, task)
        target = _target(y, task)
        if n < 10:
            raise UnprocessableContentError(f"{algorithm} needs at least 10 rows; got {n}")
    else:
        task = "clustering" if algorithm == "kmeans" else "anomaly"
    estimator = _estimator(algorithm, params, task, seed)
    model: Any = (
        Pipeline([("scale", StandardScaler()), ("model", estimator)]) if scale else estimator
    )
    if algorithm == "kmeans" and n < params.get("n_clusters", 8):
        raise UnprocessableContentError(
            f"kmeans with n_clusters={params.get('n_clusters', 8)} needs as many rows; got {n}"
        )
    if algorithm == "isolation_forest" and n < 2:
        raise UnprocessableContentError("isolation_forest needs at least 2 rows")
    try:
        model.fit(x, target) if target is not None else model.fit(x)
    except ValueError as exc:  # scikit-learn's InvalidParameterError is a ValueError
        raise UnprocessableContentError(f"{algorithm} could not be trained: {exc}") from exc
    return Trained(model, task, _metrics(algorithm, model, x, target, task, seed))


def _estimator(algorithm: str, params: dict[str, Any], task: str, seed: int) -> Any:
    from sklearn.cluster import KMeans
    from sklearn.ensemble import (
        IsolationForest,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LogisticRegression, Ridge

    if algorithm == "kmeans":
        return KMeans(**{"n_init": 1, "random_state": seed, **params})
    if algorithm == "isolation_forest":
        return IsolationForest(**{"random_state": seed, **params})
    if algorithm == "random_forest":
        forest = RandomForestClassifier if task == "classification" else RandomForestRegressor
        return forest(**{"random_state": seed, "oob_score": True, **params})
    if algorithm == "logistic_regression":
        return LogisticRegression(**params)
    return Ridge(**params)


def _final(model: Any) -> Any:
    return model.steps[-1][1] if hasattr(model, "steps") else model


def _metrics(  # noqa: PLR0917 - one call site
    algorithm: str,
    model: Any,
    x: FloatArray,
    target: npt.NDArray[Any] | None,
    task: str,
    seed: int,
) -> dict[str, float]:
    final = _final(model)
    metrics: dict[str, float] = {"rows": float(x.shape[0])}
    if algorithm == "kmeans":
        metrics["inertia"] = float(final.inertia_)
        labels = model.predict(x)
        score = silhouette(x, labels, seed)
        if score is not None:
            metrics["silhouette"] = score
    elif algorithm == "isolation_forest":
        metrics["anomaly_fraction"] = float((model.predict(x) == -1).mean())
    else:
        metrics["train_score"] = float(model.score(x, target))
        oob = getattr(final, "oob_score_", None)
        if oob is not None and math.isfinite(oob):
            metrics["oob_score"] = float(oob)
    return {k: round(v, 6) for k, v in metrics.items()}


def predict(model: Any, algorithm: str, x: FloatArray) -> dict[str, Any]:
    """Predictions of a registered model: labels or values, class probabilities, anomaly scores."""
    if algorithm == "isolation_forest":
        result = score_anomalies(model, x)
        return {"predictions": [int(f) for f in result.flags], "scores": result.scores}
    out: dict[str, Any] = {}
    predictions = model.predict(x)
    numeric = predictions.dtype.kind in "iuf"
    out["predictions"] = predictions.tolist() if numeric else [_plain(v) for v in predictions]
    if hasattr(model, "predict_proba") and algorithm in {"random_forest", "logistic_regression"}:
        try:
            probabilities = model.predict_proba(x)
        except AttributeError:  # a regressor
            return out
        classes = [str(_plain(c)) for c in model.classes_]
        out["probabilities"] = [
            {c: round(float(p), 6) for c, p in zip(classes, row, strict=True)}
            for row in probabilities
        ]
    return out


def _plain(value: Any) -> float | int | str:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, str | int | float):
        return value
    return str(value)
