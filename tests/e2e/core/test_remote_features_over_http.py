"""The AI core reaching its features in another app, both real devhost processes: the remote
app authenticates the core app's service key (CORE_REMOTE_API_KEY), refuses calls without it,
and an analysis through the core app gets the same result as in-process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from datasets.core_tickets import planted
from shared.auth import Scope
from shared.auth.authenticate import get_api_key_store
from shared.classify.api import ClassifyRequest
from shared.core.clients import HttpClassify, HttpEmbeddings, RemoteCredentialError
from shared.resilience import reset_breakers
from tests.utils.app_host import start_app_host
from tests.utils.auth import FUNCTION_KEY, TENANT, new_caller

TEXTS = ["My invoice was charged twice.", "I cannot log in to my account."]


def service_key(*scopes: Scope) -> str:
    """An API key of a service user of the feature app (both apps share this database)."""
    _, key = get_api_key_store().issue(
        tenant=TENANT,
        user=f"core-service-{uuid.uuid4().hex[:8]}",
        name="the AI core app",
        scopes=scopes,
        created_by="tests",
    )
    return key


@pytest.fixture
def feature_url(app_host: str) -> Iterator[str]:
    """The feature app's /api base with its function key in the query, as the setting holds it."""
    reset_breakers()
    yield f"{app_host}?code={FUNCTION_KEY}"
    reset_breakers()


def test_the_remote_app_serves_the_core_apps_service_key(feature_url: str, app_host: str) -> None:
    key = service_key(Scope.ML)

    vectors = HttpEmbeddings(feature_url, "embeddings", 30, key).embed(TEXTS)
    labels = HttpClassify(feature_url, "classify", 30, key).classify(
        "ignored", ClassifyRequest(texts=TEXTS, label_set="support_intent")
    )

    direct = httpx.post(
        f"{app_host}/embeddings",
        json={"texts": TEXTS},
        headers={"x-functions-key": FUNCTION_KEY, "authorization": f"Bearer {key}"},
        timeout=30,
    )
    np.testing.assert_allclose(vectors, direct.json()["embeddings"], atol=1e-6)
    assert [r.label for r in labels.results] == ["billing", "account_access"]


@pytest.mark.parametrize("scopes", [(), (Scope.VOICE,)], ids=["no key", "key without ml"])
def test_a_missing_or_refused_credential_is_503_naming_the_setting(
    feature_url: str, scopes: tuple[Scope, ...]
) -> None:
    key = service_key(*scopes) if scopes else None
    with pytest.raises(RemoteCredentialError, match="CORE_REMOTE_API_KEY") as refused:
        HttpEmbeddings(feature_url, "embeddings", 30, key).embed(TEXTS)
    assert refused.value.status == 503
    assert ("was refused" if key else "is not set") in refused.value.detail


@pytest.fixture(scope="module")
def core_app(app_host: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second app whose embeddings and classification are the first app's, by URL."""
    feature = f"{app_host}?code={FUNCTION_KEY}"
    env = {
        "CORE_EMBEDDINGS_URL": feature,
        "CORE_CLASSIFY_URL": feature,
        "CORE_REMOTE_API_KEY": service_key(Scope.ML),
        "GRAPH_PATH": str(Path(tmp_path_factory.mktemp("remote-core")) / "concepts.lbug"),
    }
    with start_app_host(env) as url:
        yield url


def test_an_analysis_through_remote_features(core_app: str) -> None:
    texts, truth = planted(12)
    body = {"items": [{"text": t} for t in texts], "k": 3, "label_set": "support_intent"}
    with httpx.Client(base_url=core_app, timeout=180) as client:
        analyzed = client.post("/analyze", headers=new_caller("remote-core"), json=body)

    assert analyzed.status_code == 200, analyzed.text
    result = analyzed.json()
    assert result["degraded"] == []
    assert len(result["clusters"]) == 3
    topics = {t for t in truth if t}
    by_topic = {
        topic: {r["cluster"] for r, t in zip(result["items"], truth, strict=True) if t == topic}
        for topic in topics
    }
    assert all(len(clusters) == 1 for clusters in by_topic.values()), by_topic


def test_without_the_service_key_the_analysis_says_what_to_set(
    app_host: str, tmp_path: Path
) -> None:
    # The same deployment before this fix: the remote app answered 401 to every call.
    feature = f"{app_host}?code={FUNCTION_KEY}"
    env = {
        "CORE_EMBEDDINGS_URL": feature,
        "CORE_CLASSIFY_URL": feature,
        "CORE_REMOTE_API_KEY": "",
        "GRAPH_PATH": str(tmp_path / "concepts.lbug"),
    }
    with start_app_host(env) as url, httpx.Client(base_url=url, timeout=60) as client:
        refused = client.post(
            "/analyze", headers=new_caller("remote-core"), json={"items": [{"text": "hello"}]}
        )

    assert refused.status_code == 503, refused.text
    assert "CORE_REMOTE_API_KEY is not set" in refused.json()["detail"]
