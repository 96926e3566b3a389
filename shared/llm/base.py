"""The one interface every chat-model backend implements, and the errors it raises.

A backend turns chat messages into text: ``complete`` returns the whole answer, ``stream`` yields
it piece by piece. Backends raise only two errors: ``LLMUnavailableError`` (503: the backend is
down, too slow, or misconfigured; retrying later may help) and ``LLMBadRequestError`` (422: the
request itself cannot be served, e.g. the prompt is longer than the context window). Neither
message ever contains an API key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from shared.errors import ServiceUnavailableError, UnprocessableContentError

if TYPE_CHECKING:
    from shared.llm.structured import StructuredAnswer, StructuredRequest

Role = Literal["system", "user", "assistant"]
Grounding = Literal["auto", "extractive", "generative"]


@dataclass(frozen=True)
class ChatMessage:
    """One turn of a conversation."""

    role: Role
    content: str


@dataclass(frozen=True)
class Completion:
    """A finished answer. ``finish_reason`` is the backend's: "stop", "length", ..."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    backend: str


class LLMUnavailableError(ServiceUnavailableError):
    """The chat-model backend cannot answer now (down, timing out, misconfigured): HTTP 503.

    ``reason`` is a one-line explanation meant for logs and the problem detail; it is built from
    status codes and exception types, and every known secret is masked out of it.
    """

    def __init__(self, reason: str, *, secrets: Iterable[str] = ()) -> None:
        self.reason = redact(reason, secrets)
        super().__init__(f"the language model is unavailable: {self.reason}")


def breaker_open_error(exc: ServiceUnavailableError) -> LLMUnavailableError:
    """The ``llm`` circuit breaker's refusal as the backend error callers already handle (chat
    degrades to an extractive answer on ``LLMUnavailableError``), keeping its Retry-After."""
    error = LLMUnavailableError(exc.detail)
    error.headers = dict(exc.headers)
    return error


class LLMBadRequestError(UnprocessableContentError):
    """The backend refused this request as invalid (e.g. context overflow): HTTP 422."""

    def __init__(self, reason: str, *, secrets: Iterable[str] = ()) -> None:
        self.reason = redact(reason, secrets)
        super().__init__(f"the language model refused the request: {self.reason}")


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by ``***``, cut to one line of 300 chars."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:300]


def grounded_only(setting: Grounding, *, default: bool) -> bool:
    """Whether answers must be built from cited passages (LLM_GROUNDING; "auto": the backend's)."""
    if setting == "extractive":
        return True
    if setting == "generative":
        return False
    return default


class LLMBackend(Protocol):
    """A chat model. Implementations are thread-safe and live once per process (``get_llm``)."""

    @property
    def name(self) -> str:
        """``"embedded"`` or ``"openai"``."""
        ...

    @property
    def model(self) -> str:
        """The model's name as the backend knows it."""
        ...

    @property
    def grounded_only(self) -> bool:
        """True: the model may only phrase answers built from cited passages (tiny models)."""
        ...

    @property
    def context_tokens(self) -> int:
        """Prompt plus answer must fit in this many tokens."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text``: exact for the embedded model, an estimate for a remote one."""
        ...

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        stop: Sequence[str] | None = None,
        model: str | None = None,
    ) -> Completion:
        """The whole answer. Raises ``LLMUnavailableError`` or ``LLMBadRequestError``.
        ``model`` overrides the configured model where the backend serves several (a remote
        server); the embedded backend serves one and ignores it."""
        ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        stop: Sequence[str] | None = None,
        model: str | None = None,
    ) -> Iterator[str]:
        """The answer's text pieces as they are generated (same errors as ``complete``, which
        may also arrive mid-stream). Close the iterator to stop generating early."""
        ...

    def complete_request(self, request: StructuredRequest) -> StructuredAnswer:
        """The model's own reply to an OpenAI-shaped request with tools and/or a response format
        (``shared.llm.structured``): tool calls, or JSON conforming to the schema. Raises
        ``UnsupportedParameterError`` (400 naming the parameter) for what this backend cannot
        honour, and the errors of ``complete``."""
        ...

    def ping(self) -> None:
        """Return when the backend can answer; raise ``LLMUnavailableError`` otherwise."""
        ...
