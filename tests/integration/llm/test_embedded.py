"""The embedded backend really generates with SmolLM2 on llama-cpp-python, in this process."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from shared.llm import LLMBadRequestError, LLMUnavailableError
from shared.llm.base import ChatMessage
from shared.llm.embedded import EmbeddedBackend, default_model_path, model_file_status

QUESTION = [
    ChatMessage("system", "You are a concise assistant."),
    ChatMessage("user", "Name one colour of the sky."),
]


@pytest.fixture(scope="module")
def embedded() -> EmbeddedBackend:
    return EmbeddedBackend(context_tokens=1024, threads=2)


def test_the_model_file_comes_from_the_pypi_package():
    path = model_file_status()
    assert path == default_model_path()
    assert path.suffix == ".gguf"
    assert path.stat().st_size > 50_000_000


def test_complete_generates_text(embedded: EmbeddedBackend):
    completion = embedded.complete(QUESTION, max_tokens=24, temperature=0.0)
    assert completion.text.strip()
    assert completion.finish_reason in {"stop", "length"}
    assert completion.prompt_tokens > 0
    assert 0 < completion.completion_tokens <= 24
    assert (completion.backend, completion.model) == ("embedded", "SmolLM2-135M-Instruct.Q4_1")


def test_max_tokens_bounds_the_answer(embedded: EmbeddedBackend):
    completion = embedded.complete(
        [ChatMessage("user", "Write a long story about a dragon.")], max_tokens=5
    )
    assert completion.finish_reason == "length"
    assert completion.completion_tokens == 5


def test_stream_yields_pieces_that_make_the_answer(embedded: EmbeddedBackend):
    pieces = list(embedded.stream(QUESTION, max_tokens=24, temperature=0.0))
    assert len(pieces) > 1
    whole = embedded.complete(QUESTION, max_tokens=24, temperature=0.0).text
    assert "".join(pieces) == whole  # greedy decoding: the same text either way


def test_an_abandoned_stream_frees_the_model(embedded: EmbeddedBackend):
    stream = embedded.stream(QUESTION, max_tokens=50)
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert embedded.complete(QUESTION, max_tokens=3).completion_tokens > 0


def test_concurrent_calls_are_serialised_not_corrupted(embedded: EmbeddedBackend):
    expected = embedded.complete(QUESTION, max_tokens=16, temperature=0.0).text
    results: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            results.append(embedded.complete(QUESTION, max_tokens=16, temperature=0.0).text)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert results == [expected] * 4


def test_token_count_is_exact(embedded: EmbeddedBackend):
    assert embedded.count_tokens("") == 0
    assert 0 < embedded.count_tokens("Hello world") < embedded.count_tokens("Hello world " * 10)


def test_a_prompt_over_the_context_window_is_a_bad_request(embedded: EmbeddedBackend):
    with pytest.raises(LLMBadRequestError) as caught:
        embedded.complete([ChatMessage("user", "word " * 3000)], max_tokens=8)
    assert caught.value.status == 422
    assert embedded.complete(QUESTION, max_tokens=3).text  # still usable afterwards


def test_a_missing_model_file_is_unavailable(tmp_path: Path):
    missing = EmbeddedBackend(model_path=tmp_path / "nope.gguf")
    with pytest.raises(LLMUnavailableError, match=r"missing: nope\.gguf") as caught:
        missing.complete(QUESTION)
    assert caught.value.status == 503
    with pytest.raises(LLMUnavailableError):
        missing.ping()


def test_a_broken_model_file_is_unavailable(tmp_path: Path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(LLMUnavailableError, match="cannot be loaded"):
        EmbeddedBackend(model_path=broken).ping()
