"""The in-process versus by-URL seam: chosen by settings, same Protocol either way."""

from __future__ import annotations

import pytest

from shared.config import reset_settings
from shared.core.clients import (
    HttpClassify,
    HttpEmbeddings,
    InProcessClassify,
    InProcessEmbeddings,
    RemoteFeatureError,
    classify_client,
    embeddings_client,
)
from shared.resilience import reset_breakers
from tests.utils.servers import free_port


def test_clients_are_in_process_by_default(settings):
    assert isinstance(embeddings_client(), InProcessEmbeddings)
    assert isinstance(classify_client(), InProcessClassify)


def test_a_url_setting_selects_the_remote_app(monkeypatch, settings):
    monkeypatch.setenv("CORE_EMBEDDINGS_URL", "http://embeddings.internal/api?code=k")
    monkeypatch.setenv("CORE_CLASSIFY_URL", "http://classify.internal/api")
    reset_settings()
    assert isinstance(embeddings_client(), HttpEmbeddings)
    assert isinstance(classify_client(), HttpClassify)


def test_an_unreachable_remote_app_is_a_503(monkeypatch, settings):
    reset_breakers()
    monkeypatch.setenv("CORE_EMBEDDINGS_URL", f"http://127.0.0.1:{free_port()}/api")
    reset_settings()
    with pytest.raises(RemoteFeatureError) as caught:
        embeddings_client().embed(["hello"])
    assert caught.value.status == 503
    reset_breakers()
