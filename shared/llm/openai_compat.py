"""A chat model behind any OpenAI-compatible ``/v1/chat/completions`` endpoint.

Ollama, vLLM, llama.cpp's server and llama-cpp-python's server speak the OpenAI dialect; Azure
OpenAI differs in its URL (a deployment plus an ``api-version`` query) and its ``api-key`` header
(``LLM_API_STYLE=azure``). One ``httpx.Client`` per process pools the connections; it is
thread-safe.

Failure policy: connection errors, timeouts, 408, 429 and 5xx are retried ``LLM_MAX_RETRIES``
times with jittered exponential back-off, then become ``LLMUnavailableError`` (503). 400/413/422
(e.g. the prompt overflows the context) become ``LLMBadRequestError`` (422) at once; 401/403/404
mean a misconfigured deployment, so they are a 503 too, also at once. A stream is retried only
until its response starts: text already handed out cannot be taken back.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import httpx

from shared.llm.base import (
    ChatMessage,
    Completion,
    Grounding,
    LLMBadRequestError,
    LLMUnavailableError,
    breaker_open_error,
    grounded_only,
)
from shared.llm.retry import backoff_delay, is_retryable_status, parse_retry_after
from shared.llm.structured import (
    StructuredAnswer,
    StructuredRequest,
    UnsupportedParameterError,
    parse_answer,
)
from shared.llm.urls import display_url

if TYPE_CHECKING:
    from shared.config import Settings

ApiStyle = Literal["openai", "azure"]
BAD_REQUEST_STATUSES = frozenset({400, 413, 422})
PING_TIMEOUT_SECONDS = 3.0


class OpenAICompatBackend:
    """``LLMBackend`` over HTTP. ``base_url`` has no ``/v1`` (see ``shared.llm.urls``)."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        api_style: ApiStyle = "openai",
        api_version: str = "2024-10-21",
        timeout_seconds: float = 60.0,
        connect_timeout_seconds: float = 3.0,
        max_retries: int = 2,
        grounding: Grounding = "auto",
        context_tokens: int = 2048,
        backoff_base_seconds: float = 0.5,
        backoff_cap_seconds: float = 8.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._display = display_url(self._base)
        self._key = api_key or ""
        self._style = api_style
        self._api_version = api_version
        self._max_retries = max_retries
        self._backoff = (backoff_base_seconds, backoff_cap_seconds)
        self._connect_timeout = connect_timeout_seconds
        self.grounded_only = grounded_only(grounding, default=False)
        self.context_tokens = context_tokens
        self._model = model or None
        self._model_lock = threading.Lock()
        if (
            api_style == "azure"
            and self._model is None
            and "/openai/deployments/" not in self._base
        ):
            raise LLMUnavailableError("LLM_API_STYLE=azure needs LLM_MODEL (the deployment name)")
        headers = {"Accept": "application/json"}
        if self._key:
            headers["api-key" if api_style == "azure" else "Authorization"] = (
                self._key if api_style == "azure" else f"Bearer {self._key}"
            )
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(
                timeout_seconds, connect=connect_timeout_seconds, pool=connect_timeout_seconds
            ),
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings, base_url: str) -> OpenAICompatBackend:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(
            base_url=base_url,
            model=settings.llm_model,
            api_key=key,
            api_style=settings.llm_api_style,
            api_version=settings.llm_api_version,
            timeout_seconds=settings.llm_timeout_seconds,
            connect_timeout_seconds=settings.llm_connect_timeout_seconds,
            max_retries=settings.llm_max_retries,
            grounding=settings.llm_grounding,
            context_tokens=settings.llm_context_tokens,
        )

    # -- the LLMBackend interface ---------------------------------------------------------------

    @property
    def model(self) -> str:
        """LLM_MODEL, else the first model the server lists (asked once; may raise 503)."""
        if self._model is None:
            with self._model_lock:
                if self._model is None:
                    self._model = self._first_listed_model()
        return self._model

    def count_tokens(self, text: str) -> int:
        """An estimate: about four characters per token for English text."""
        return math.ceil(len(text) / 4)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        stop: Sequence[str] | None = None,
        model: str | None = None,
    ) -> Completion:
        body = self._body(messages, max_tokens, temperature, stop, stream=False, model=model)
        response = self._send(body, stream=False)
        try:
            data = response.json()
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
            finish = choice.get("finish_reason") or "stop"
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise self._unavailable(f"unexpected answer from {self._display}: {exc!r}") from None
        usage = data.get("usage") or {}
        prompt_text = "".join(m.content for m in messages)
        return Completion(
            text=text,
            model=str(data.get("model") or self.model),
            prompt_tokens=int(usage.get("prompt_tokens") or self.count_tokens(prompt_text)),
            completion_tokens=int(usage.get("completion_tokens") or self.count_tokens(text)),
            finish_reason=str(finish),
            backend=self.name,
        )

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        stop: Sequence[str] | None = None,
        model: str | None = None,
    ) -> Iterator[str]:
        """Text pieces from the server's SSE stream. Connecting (with retries) happens now, so a
        backend that is down raises here, before the caller has sent anything to its client."""
        body = self._body(messages, max_tokens, temperature, stop, stream=True, model=model)
        return _SSEPieces(self._send(body, stream=True), self)

    def complete_request(self, request: StructuredRequest) -> StructuredAnswer:
        """``tools``, ``tool_choice``, ``parallel_tool_calls`` and ``response_format`` passed
        through as sent: the server honours them (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp).
        A server that refuses the request (400/422) while any of them is present is answered
        400 naming them, with the server's reason."""
        body = self._body(
            [],
            request.max_tokens,
            request.temperature,
            None,
            stream=False,
            model=request.model,
        )
        # An assistant turn that only calls tools may omit its content (OpenAI: null); "" says
        # the same to servers that follow OpenAI, and llama-cpp-python's server fails without it.
        body["messages"] = [
            {**m, "content": ""} if m.get("tool_calls") and m.get("content") is None else m
            for m in request.messages
        ]
        # OpenAI's default tool_choice with tools is "auto"; saying so changes nothing for
        # servers that follow OpenAI, and llama-cpp-python's server ignores tools without it.
        tool_choice = request.tool_choice or ("auto" if request.tools else None)
        extras = {
            name: value
            for name, value in (
                ("tools", request.tools),
                ("tool_choice", tool_choice),
                ("parallel_tool_calls", request.parallel_tool_calls),
                ("response_format", request.response_format),
            )
            if value is not None
        }
        body |= extras
        try:
            response = self._send(body, stream=False)
        except LLMBadRequestError as exc:
            if not extras:
                raise
            raise UnsupportedParameterError(
                ", ".join(extras), f"{self._display} refused the request: {exc.reason}"
            ) from None
        try:
            return parse_answer(response.json(), model=self.model, backend=self.name)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise self._unavailable(f"unexpected answer from {self._display}: {exc!r}") from None

    def ping(self) -> None:
        """One GET of the model list with a short timeout, no retries."""
        try:
            response = self._client.get(
                self._models_url(),
                params=self._params(),
                timeout=min(PING_TIMEOUT_SECONDS, self._connect_timeout * 2),
            )
        except httpx.HTTPError as exc:
            raise self._unavailable(f"{type(exc).__name__} from {self._display}") from None
        if response.status_code >= 400:
            raise self._unavailable(f"HTTP {response.status_code} from {self._display}")

    def close(self) -> None:
        self._client.close()

    # -- HTTP ----------------------------------------------------------------------------------

    def _chat_url(self) -> str:
        if self._style == "azure":
            if "/openai/deployments/" in self._base:
                return f"{self._base}/chat/completions"
            return f"{self._base}/openai/deployments/{self._model}/chat/completions"
        return f"{self._base}/v1/chat/completions"

    def _models_url(self) -> str:
        if self._style == "azure":
            return f"{self._base.split('/openai/', 1)[0]}/openai/models"
        return f"{self._base}/v1/models"

    def _params(self) -> dict[str, str]:
        return {"api-version": self._api_version} if self._style == "azure" else {}

    def _body(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
        *,
        stream: bool,
        model: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
        }
        if self._style != "azure":  # Azure takes the model from the deployment URL
            body["model"] = model or self.model
        if stop:
            body["stop"] = list(stop)
        return body

    def _send(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        """The response (status < 400) after retries; the caller closes a streamed one.

        The ``llm`` circuit breaker wraps the whole retried call: one request that exhausted
        its retries is one failure, and while the breaker is open no attempt is made at all."""
        from shared.resilience import DependencyOpenError, guard

        try:
            with guard("llm", counts=(LLMUnavailableError,)):
                return self._send_with_retries(body, stream=stream)
        except DependencyOpenError as exc:
            # Callers degrade on LLMUnavailableError (chat answers extractively): an open
            # breaker must reach them as that, not as a bare 503.
            raise breaker_open_error(exc) from None

    def _send_with_retries(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        url, params = self._chat_url(), self._params()
        attempts = self._max_retries + 1
        failure = ""
        for attempt in range(attempts):
            retry_after: float | None = None
            try:
                request = self._client.build_request("POST", url, json=body, params=params)
                response = self._client.send(request, stream=stream)
            except httpx.TransportError as exc:  # connect/read errors and timeouts
                failure = f"{type(exc).__name__} from {self._display}"
            else:
                if response.status_code < 400:
                    return response
                if stream:
                    response.read()
                response.close()
                if not is_retryable_status(response.status_code):
                    self._raise_for_status(response)
                failure = f"HTTP {response.status_code} from {self._display}"
                detail = _error_message(response)
                if detail:
                    failure += f": {detail}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempt + 1 < attempts:
                base, cap = self._backoff
                time.sleep(backoff_delay(attempt, base=base, cap=cap, retry_after=retry_after))
        raise self._unavailable(f"{failure} (after {attempts} attempts)")

    def _raise_for_status(self, response: httpx.Response) -> NoReturn:
        status = response.status_code
        detail = _error_message(response) or response.reason_phrase
        if status in BAD_REQUEST_STATUSES:
            raise LLMBadRequestError(f"HTTP {status}: {detail}", secrets=(self._key,))
        if status in (401, 403):
            raise self._unavailable(f"{self._display} refused the credentials (HTTP {status})")
        if status == 404:
            raise self._unavailable(
                f"HTTP 404 from {self._display}: {detail} (check LLM_BASE_URL and LLM_MODEL)"
            )
        raise LLMBadRequestError(f"HTTP {status}: {detail}", secrets=(self._key,))

    def _first_listed_model(self) -> str:
        try:
            response = self._client.get(self._models_url(), params=self._params())
            response.raise_for_status()
            models = response.json()["data"]
            return str(models[0]["id"])
        except httpx.HTTPError as exc:
            raise self._unavailable(
                f"cannot list the models of {self._display} ({type(exc).__name__}); set LLM_MODEL"
            ) from None
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise self._unavailable(
                f"{self._display} lists no model ({exc!r}); set LLM_MODEL"
            ) from None

    def _unavailable(self, reason: str) -> LLMUnavailableError:
        return LLMUnavailableError(reason, secrets=(self._key,))


class _SSEPieces(Iterator[str]):
    """The text deltas of an open ``text/event-stream`` response; closes it when done."""

    def __init__(self, response: httpx.Response, backend: OpenAICompatBackend) -> None:
        self._response = response
        self._backend = backend
        self._lines = response.iter_lines()
        self._done = False

    def __next__(self) -> str:
        while not self._done:
            try:
                line = next(self._lines)
            except StopIteration:
                self.close()
                break
            except httpx.HTTPError as exc:
                self.close()
                raise self._backend._unavailable(
                    f"{type(exc).__name__} while streaming from {self._backend._display}"
                ) from None
            piece = self._piece(line)
            if piece:
                return piece
        raise StopIteration

    def _piece(self, line: str) -> str | None:
        if not line.startswith("data:"):
            return None  # comments, event names, blank separators
        payload = line[len("data:") :].strip()
        if payload == "[DONE]":
            self.close()
            return None
        try:
            event = json.loads(payload)
        except ValueError:
            return None
        if isinstance(event, dict) and event.get("error"):
            self.close()
            message = event["error"]
            if isinstance(message, dict):
                message = message.get("message", "")
            raise self._backend._unavailable(f"the server failed mid-stream: {message}")
        try:
            content = event["choices"][0]["delta"].get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        return content if isinstance(content, str) else None

    def close(self) -> None:
        if not self._done:
            self._done = True
            self._response.close()

    def __del__(self) -> None:
        self.close()


def _error_message(response: httpx.Response) -> str:
    """The server's own error text (OpenAI, Ollama and FastAPI shapes), one line."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error is not None:
            return str(error)[:200]
    return ""
