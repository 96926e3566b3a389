"""The OpenAI-compatible backend against a real server (llama-cpp-python's, see conftest.py):
generation, streaming, and the failure policy: a backend that is down gives a quick 503 after the
configured retries, 5xx is retried, 4xx is not."""

from __future__ import annotations

import socket
import time

import pytest

from shared.llm import LLMBadRequestError, LLMUnavailableError
from shared.llm.base import ChatMessage
from tests.integration.llm.conftest import FlakyProxy, remote
from tests.utils.llama_server import MODEL_ALIAS, LlamaServer
from tests.utils.servers import free_port

QUESTION = [ChatMessage("user", "Name one colour of the sky.")]


def test_complete_through_the_server(llama_server: LlamaServer):
    completion = remote(llama_server.base_url).complete(QUESTION, max_tokens=16, temperature=0.0)
    assert completion.text.strip()
    assert completion.finish_reason in {"stop", "length"}
    assert completion.prompt_tokens > 0
    assert completion.completion_tokens > 0
    assert (completion.backend, completion.model) == ("openai", MODEL_ALIAS)


def test_a_base_url_ending_in_v1_works_too(llama_server: LlamaServer):
    from shared.llm.urls import normalize_base_url

    backend = remote(normalize_base_url(llama_server.base_url + "/v1/"))
    assert backend.complete(QUESTION, max_tokens=2).completion_tokens > 0


def test_stream_through_the_server(llama_server: LlamaServer):
    backend = remote(llama_server.base_url)
    pieces = list(backend.stream(QUESTION, max_tokens=16, temperature=0.0))
    assert len(pieces) > 1
    assert "".join(pieces).strip()


def test_the_model_is_discovered_when_unset(llama_server: LlamaServer):
    assert remote(llama_server.base_url, model=None).model == MODEL_ALIAS


def test_ping(llama_server: LlamaServer):
    remote(llama_server.base_url).ping()
    with pytest.raises(LLMUnavailableError):
        remote(f"http://127.0.0.1:{free_port()}").ping()


def test_nothing_listening_gives_503_quickly_after_the_retries():
    backend = remote(f"http://127.0.0.1:{free_port()}", max_retries=2)
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError, match=r"ConnectError .*after 3 attempts") as caught:
        backend.complete(QUESTION)
    assert caught.value.status == 503
    assert time.monotonic() - started < 2.0
    with pytest.raises(LLMUnavailableError):
        backend.stream(QUESTION)


def test_a_server_that_never_answers_is_bounded_by_the_read_timeout():
    # A socket that listens but never reads: the TCP handshake succeeds (the kernel's backlog),
    # then nothing comes back. Without a read timeout this would hang.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        backend = remote(
            f"http://127.0.0.1:{hung.getsockname()[1]}", timeout_seconds=0.3, max_retries=1
        )
        started = time.monotonic()
        with pytest.raises(LLMUnavailableError, match=r"ReadTimeout .*after 2 attempts"):
            backend.complete(QUESTION)
        assert time.monotonic() - started < 2.0


def test_a_server_killed_mid_test_gives_503():
    with LlamaServer() as server:
        backend = remote(server.base_url, max_retries=1)
        assert backend.complete(QUESTION, max_tokens=2).completion_tokens > 0
        server.kill()
        started = time.monotonic()
        with pytest.raises(LLMUnavailableError) as caught:
            backend.complete(QUESTION, max_tokens=2)
        assert caught.value.status == 503
        assert time.monotonic() - started < 2.0


def test_a_server_killed_mid_stream_ends_the_stream_with_503():
    with LlamaServer() as server:
        backend = remote(server.base_url)
        stream = backend.stream(
            [ChatMessage("user", "Write a long story about a dragon.")], max_tokens=400
        )
        assert next(stream)
        server.kill()
        started = time.monotonic()
        with pytest.raises(LLMUnavailableError, match="while streaming"):
            for _ in stream:
                pass
        assert time.monotonic() - started < 5.0


def test_a_5xx_then_success_is_retried(flaky_proxy: FlakyProxy):
    flaky_proxy.fail_next, flaky_proxy.fail_status = 2, 503
    completion = remote(flaky_proxy.base_url, max_retries=2).complete(QUESTION, max_tokens=4)
    assert completion.completion_tokens > 0
    assert flaky_proxy.posts == 3


def test_a_stream_is_retried_before_it_starts(flaky_proxy: FlakyProxy):
    flaky_proxy.fail_next, flaky_proxy.fail_status = 1, 502
    pieces = list(remote(flaky_proxy.base_url).stream(QUESTION, max_tokens=4))
    assert pieces
    assert flaky_proxy.posts == 2


def test_5xx_beyond_the_retries_is_503(flaky_proxy: FlakyProxy):
    flaky_proxy.fail_next, flaky_proxy.fail_status = 10, 500
    with pytest.raises(LLMUnavailableError, match=r"HTTP 500 .*after 2 attempts"):
        remote(flaky_proxy.base_url, max_retries=1).complete(QUESTION)
    assert flaky_proxy.posts == 2


def test_a_4xx_is_not_retried(flaky_proxy: FlakyProxy):
    # The real server's own 400: the prompt does not fit its 1024-token context.
    with pytest.raises(LLMBadRequestError, match="context length") as caught:
        remote(flaky_proxy.base_url).complete([ChatMessage("user", "word " * 3000)])
    assert caught.value.status == 422
    assert flaky_proxy.posts == 1
