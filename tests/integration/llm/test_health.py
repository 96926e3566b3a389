"""The chat model's dependency check: cheap, never raises, names what is wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.config import reset_settings
from shared.health.checks import check_dependencies
from shared.llm import reset_llm
from shared.llm.health import LLM_CHECK
from tests.utils.llama_server import LlamaServer
from tests.utils.servers import free_port


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("LLM_BASE_URL", "OLLAMA_HOST", "LLM_MODEL_PATH"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    reset_llm()
    yield monkeypatch
    reset_settings()
    reset_llm()


def test_the_embedded_model_is_checked_without_loading_it(fresh: pytest.MonkeyPatch):
    [status] = check_dependencies([LLM_CHECK])
    assert status.ok, status.error
    assert status.name == "llm"
    assert not status.required  # the platform works without a chat model
    assert status.latency_ms is not None
    assert status.latency_ms < 500


def test_a_missing_embedded_model_fails_the_check(fresh: pytest.MonkeyPatch, tmp_path):
    fresh.setenv("LLM_MODEL_PATH", str(tmp_path / "gone.gguf"))
    reset_settings()
    [status] = check_dependencies([LLM_CHECK])
    assert not status.ok
    assert "gone.gguf" in (status.error or "")


def test_a_remote_server_is_pinged(fresh: pytest.MonkeyPatch, llama_server: LlamaServer):
    fresh.setenv("LLM_BASE_URL", llama_server.base_url)
    reset_settings()
    assert check_dependencies([LLM_CHECK])[0].ok
    fresh.setenv("LLM_BASE_URL", f"http://127.0.0.1:{free_port()}")
    reset_settings()
    reset_llm()
    [status] = check_dependencies([LLM_CHECK])
    assert not status.ok
    assert "LLMUnavailableError" in (status.error or "")
