"""The algorithms find the structure planted in generated data, and refuse what they cannot do."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from shared.errors import UnprocessableContentError
from shared.ml import algorithms


def test_kmeans_chooses_the_planted_number_of_clusters():
    x, truth = make_blobs(n_samples=400, centers=4, n_features=5, random_state=3)
    result = algorithms.cluster(
        x, method="kmeans", k=None, k_min=2, k_max=8, eps=0.5, min_samples=5, scale=True, seed=0
    )
    assert result.k == 4
    assert sorted(result.sizes.values()) == [100, 100, 100, 100]
    assert result.silhouette is not None
    assert result.silhouette > 0.6
    assert result.silhouette_by_k is not None
    by_k = result.silhouette_by_k
    assert max(by_k, key=by_k.__getitem__) == "4"
    # every planted blob is one cluster
    for blob in range(4):
        assert len({result.labels[i] for i in np.flatnonzero(truth == blob)}) == 1
    # centres are in the original units (not the scaled ones)
    assert np.abs(np.asarray(result.centres)).max() > 3


def test_kmeans_with_a_given_k_and_too_few_rows():
    x, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    result = algorithms.cluster(
        x, method="kmeans", k=3, k_min=2, k_max=10, eps=0.5, min_samples=5, scale=False, seed=0
    )
    assert result.k == 3
    assert len(result.centres) == 3
    with pytest.raises(UnprocessableContentError, match="at least 5 rows"):
        algorithms.cluster(
            x[:4],
            method="kmeans",
            k=5,
            k_min=2,
            k_max=10,
            eps=0.5,
            min_samples=5,
            scale=False,
            seed=0,
        )


def test_dbscan_finds_the_blobs_and_marks_noise():
    x, _ = make_blobs(
        n_samples=300, centers=[[0, 0], [10, 10], [0, 10]], cluster_std=0.5, random_state=1
    )
    x = np.vstack([x, [[5, 5], [20, -20]]])
    result = algorithms.cluster(
        x, method="dbscan", k=None, k_min=2, k_max=10, eps=1.0, min_samples=5, scale=False, seed=0
    )
    assert result.k == 3
    assert result.noise >= 2
    assert result.labels[-1] == -1
    assert result.labels[-2] == -1


def test_isolation_forest_flags_the_planted_anomalies():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 6))
    planted = rng.choice(1000, size=10, replace=False)
    x[planted] += 9
    model = algorithms.isolation_forest(x, contamination=0.01, n_estimators=100, seed=0)
    result = algorithms.score_anomalies(model, x)
    flagged = set(np.flatnonzero(result.flags))
    assert flagged == set(planted)
    assert min(result.scores[i] for i in planted) > max(
        s for i, s in enumerate(result.scores) if i not in flagged
    )


def test_feature_importance_finds_the_two_features_the_target_depends_on():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 10))
    y = 3 * x[:, 2] - 2 * x[:, 7] + 0.1 * rng.normal(size=500)
    result = algorithms.feature_importance(
        x, y.tolist(), task="auto", n_estimators=100, n_repeats=3, seed=0
    )
    assert result.task == "regression"
    top = sorted(range(10), key=lambda i: -result.permutation_mean[i])[:2]
    assert set(top) == {2, 7}
    assert set(sorted(range(10), key=lambda i: -result.impurity[i])[:2]) == {2, 7}
    assert result.oob_score > 0.8


def test_feature_importance_classification_is_detected():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 10))
    labels = ["up" if a + b > 0 else "down" for a, b in zip(x[:, 0], x[:, 4], strict=True)]
    result = algorithms.feature_importance(
        x, labels, task="auto", n_estimators=100, n_repeats=3, seed=0
    )
    assert result.task == "classification"
    assert set(sorted(range(10), key=lambda i: -result.permutation_mean[i])[:2]) == {0, 4}


def test_too_few_rows_and_a_single_class_are_422():
    x = np.zeros((5, 3))
    with pytest.raises(UnprocessableContentError, match="at least 10 rows"):
        algorithms.feature_importance(
            x, [0.0] * 5, task="auto", n_estimators=10, n_repeats=1, seed=0
        )
    with pytest.raises(UnprocessableContentError, match="2 classes"):
        algorithms.feature_importance(
            np.random.default_rng(0).normal(size=(20, 2)),
            ["a"] * 20,
            task="auto",
            n_estimators=10,
            n_repeats=1,
            seed=0,
        )


def test_training_checks_parameters():
    x = np.random.default_rng(0).normal(size=(50, 3))
    with pytest.raises(UnprocessableContentError, match="unknown parameters"):
        algorithms.train("kmeans", {"n_clusters": 3, "bogus": 1}, x, None, task="auto", scale=False)
    with pytest.raises(UnprocessableContentError, match="wrong type"):
        algorithms.train("kmeans", {"n_clusters": "three"}, x, None, task="auto", scale=False)
    with pytest.raises(UnprocessableContentError, match="could not be trained"):
        algorithms.train(
            "kmeans", {"n_clusters": 3, "max_iter": -1}, x, None, task="auto", scale=False
        )
    trained = algorithms.train("kmeans", {"n_clusters": 3}, x, None, task="auto", scale=True)
    assert trained.task == "clustering"
    assert "inertia" in trained.metrics
