"""Where the remote chat model is: LLM_BASE_URL forms, and OLLAMA_HOST read as Ollama reads it."""

from __future__ import annotations

import pytest

from shared.llm.urls import display_url, normalize_base_url, ollama_host_url, resolve_base_url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ollama", "http://ollama:11434"),
        ("ollama:8080", "http://ollama:8080"),
        ("0.0.0.0", "http://0.0.0.0:11434"),
        ("127.0.0.1:11434", "http://127.0.0.1:11434"),
        ("http://ollama:11434", "http://ollama:11434"),
        ("http://ollama", "http://ollama:80"),
        ("https://llm.example.com", "https://llm.example.com:443"),
        ("https://llm.example.com:8443/", "https://llm.example.com:8443"),
        ("HTTP://ollama:11434", "http://ollama:11434"),
        ("[::1]", "http://[::1]:11434"),
        ("[::1]:9000", "http://[::1]:9000"),
        ("::1", "http://[::1]:11434"),
        (":11435", "http://127.0.0.1:11435"),
        ("  ollama  ", "http://ollama:11434"),
        ("http://proxy:8080/ollama", "http://proxy:8080/ollama"),
    ],
)
def test_ollama_host_forms(value: str, expected: str):
    assert ollama_host_url(value) == expected


@pytest.mark.parametrize("value", ["ftp://ollama", "ollama:notaport", "ollama:70000"])
def test_bad_ollama_host_is_refused(value: str):
    with pytest.raises(ValueError, match=r"."):
        ollama_host_url(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000"),
        ("https://gw.example.com/llm/v1", "https://gw.example.com/llm"),
    ],
)
def test_base_url_with_or_without_v1(value: str, expected: str):
    assert normalize_base_url(value) == expected


@pytest.mark.parametrize("value", ["127.0.0.1:8000", "ftp://x", "http://"])
def test_base_url_must_be_http(value: str):
    with pytest.raises(ValueError, match="http"):
        normalize_base_url(value)


def test_llm_base_url_wins_over_ollama_host():
    assert resolve_base_url("http://vllm:8000/v1", "ollama") == "http://vllm:8000"
    assert resolve_base_url(None, "ollama") == "http://ollama:11434"
    assert resolve_base_url("", "ollama:1234") == "http://ollama:1234"


def test_neither_setting_means_the_embedded_model():
    assert resolve_base_url(None, None) is None
    assert resolve_base_url(" ", "") is None


def test_display_url_drops_credentials_and_query():
    assert (
        display_url("https://user:s3cret@llm.example.com:8443/x?api-key=s3cret")
        == "https://llm.example.com:8443/x"
    )
