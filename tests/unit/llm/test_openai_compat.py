"""The OpenAI-compatible client's decisions, on an in-process HTTP transport: what it sends, what
it retries, what each failure becomes, and that the API key never reaches an error message."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from shared.llm import LLMBadRequestError, LLMUnavailableError, get_llm, reset_llm
from shared.llm.base import ChatMessage
from shared.llm.openai_compat import OpenAICompatBackend

KEY = "sk-test-very-secret-key-123"
HELLO = [ChatMessage("user", "hello")]


def ok_body(text: str = "Hi there") -> dict:
    return {
        "model": "m",
        "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2},
    }


class Script:
    """Answers requests from a list of (status, body, headers); records every request."""

    def __init__(self, *answers: tuple[int, object, dict[str, str]]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body, headers = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(body, Exception):
            raise body
        return httpx.Response(status, json=body, headers=headers)


def backend(script: Script, **kwargs) -> OpenAICompatBackend:
    options: dict[str, Any] = {
        "base_url": "http://llm.test",
        "model": "m",
        "api_key": KEY,
        "max_retries": 2,
        "backoff_base_seconds": 0.001,
        "backoff_cap_seconds": 0.01,
        "transport": httpx.MockTransport(script),
    }
    options.update(kwargs)
    return OpenAICompatBackend(**options)


def test_a_completion_request_and_its_answer():
    script = Script((200, ok_body(), {}))
    completion = backend(script).complete(HELLO, max_tokens=7, temperature=0.0, stop=["\n"])
    assert completion.text == "Hi there"
    assert (completion.prompt_tokens, completion.completion_tokens) == (5, 2)
    assert (completion.finish_reason, completion.backend) == ("stop", "openai")
    (request,) = script.requests
    assert str(request.url) == "http://llm.test/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    body = json.loads(request.content)
    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "hello"}],
        "max_tokens": 7,
        "temperature": 0.0,
        "stream": False,
        "stop": ["\n"],
    }


def test_no_key_sends_no_authorization_header():
    script = Script((200, ok_body(), {}))
    backend(script, api_key=None).complete(HELLO)
    assert "Authorization" not in script.requests[0].headers


def test_azure_style_uses_the_deployment_url_and_api_key_header():
    script = Script((200, ok_body(), {}))
    azure = backend(
        script, base_url="https://r.openai.azure.com", api_style="azure", api_version="2024-10-21"
    )
    azure.complete(HELLO)
    (request,) = script.requests
    assert request.url.path == "/openai/deployments/m/chat/completions"
    assert request.url.params["api-version"] == "2024-10-21"
    assert request.headers["api-key"] == KEY
    assert "Authorization" not in request.headers
    assert "model" not in json.loads(request.content)


def test_azure_style_needs_a_deployment():
    with pytest.raises(LLMUnavailableError, match="LLM_MODEL"):
        backend(Script((200, ok_body(), {})), api_style="azure", model=None)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_then_succeed(status: int):
    script = Script((status, {"error": "busy"}, {}), (200, ok_body(), {}))
    assert backend(script).complete(HELLO).text == "Hi there"
    assert len(script.requests) == 2


def test_connection_errors_are_retried_up_to_the_limit_then_503():
    script = Script((0, httpx.ConnectError("refused"), {}))
    with pytest.raises(LLMUnavailableError, match=r"ConnectError .*after 3 attempts"):
        backend(script, max_retries=2).complete(HELLO)
    assert len(script.requests) == 3


def test_timeouts_are_retried():
    script = Script((0, httpx.ReadTimeout("slow"), {}), (200, ok_body(), {}))
    assert backend(script).complete(HELLO).text == "Hi there"
    assert len(script.requests) == 2


def test_zero_retries_means_one_attempt():
    script = Script((503, {}, {}))
    with pytest.raises(LLMUnavailableError, match="HTTP 503"):
        backend(script, max_retries=0).complete(HELLO)
    assert len(script.requests) == 1


@pytest.mark.parametrize("status", [400, 413, 422])
def test_bad_requests_are_not_retried_and_become_422(status: int):
    overflow = {"error": {"message": "maximum context length is 2048 tokens"}}
    script = Script((status, overflow, {}))
    with pytest.raises(LLMBadRequestError, match="maximum context length") as caught:
        backend(script).complete(HELLO)
    assert caught.value.status == 422
    assert len(script.requests) == 1


@pytest.mark.parametrize("status", [401, 403, 404])
def test_configuration_errors_are_not_retried_and_become_503(status: int):
    script = Script((status, {"error": "no"}, {}))
    with pytest.raises(LLMUnavailableError) as caught:
        backend(script).complete(HELLO)
    assert caught.value.status == 503
    assert len(script.requests) == 1


def test_the_key_never_appears_in_error_messages():
    # A server that echoes the credentials it got, in every failure shape.
    echo = {"error": {"message": f"invalid key {KEY}"}}
    cases = [
        Script((401, echo, {})),
        Script((400, echo, {})),
        Script((503, echo, {})),
        Script((0, httpx.ConnectError(f"cannot reach with {KEY}"), {})),
    ]
    for script in cases:
        with pytest.raises((LLMUnavailableError, LLMBadRequestError)) as caught:
            backend(script).complete(HELLO)
        error = caught.value
        assert isinstance(error, LLMUnavailableError | LLMBadRequestError)
        for text in (str(error), error.detail, error.reason, repr(error.extensions)):
            assert KEY not in text
        # No chained exception carries the original text into logged tracebacks either.
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__


def test_the_model_defaults_to_the_first_the_server_lists():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "llama3.2:1b"}, {"id": "other"}]})
        return httpx.Response(200, json=ok_body())

    remote = OpenAICompatBackend(base_url="http://llm.test", transport=httpx.MockTransport(handler))
    assert remote.model == "llama3.2:1b"


def test_a_stream_yields_the_deltas_and_stops_at_done():
    events = [
        {"choices": [{"delta": {"role": "assistant"}}]},
        {"choices": [{"delta": {"content": "Hel"}}]},
        {"choices": [{"delta": {"content": "lo"}}]},
        {"choices": [{"delta": {}, "finish_reason": "stop"}]},
    ]
    sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"

    def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["stream"] is True
        return httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})

    remote = backend(Script((200, {}, {})), transport=httpx.MockTransport(handler))
    assert list(remote.stream(HELLO)) == ["Hel", "lo"]


def test_grounding_setting_overrides_the_remote_default():
    assert backend(Script((200, {}, {}))).grounded_only is False
    assert backend(Script((200, {}, {})), grounding="extractive").grounded_only is True


def test_get_llm_follows_the_settings(monkeypatch, settings):
    monkeypatch.delenv("LLM_BASE_URL", raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    from shared.config import reset_settings

    reset_settings()
    reset_llm()
    try:
        embedded = get_llm()
        assert embedded.name == "embedded"
        assert embedded.grounded_only is True
        assert get_llm() is embedded
        monkeypatch.setenv("OLLAMA_HOST", "ollama-box")
        monkeypatch.setenv("LLM_MODEL", "llama3.2:1b")
        reset_settings()
        reset_llm()
        remote = get_llm()
        assert (remote.name, remote.model) == ("openai", "llama3.2:1b")
        assert isinstance(remote, OpenAICompatBackend)
        assert remote._chat_url() == "http://ollama-box:11434/v1/chat/completions"
    finally:
        reset_settings()
        reset_llm()
