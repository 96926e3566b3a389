"""Chat-model backends behind one interface (``LLMBackend``), chosen by settings.

``get_llm()`` returns the process's backend: an OpenAI-compatible server when LLM_BASE_URL (or,
as the seed deployments name it, OLLAMA_HOST) is set, else the embedded SmolLM2 model. Importing
this package is cheap: httpx and llama_cpp are imported when a backend is first built or used.
"""

from __future__ import annotations

import threading

from shared.llm.base import (
    ChatMessage,
    Completion,
    LLMBackend,
    LLMBadRequestError,
    LLMUnavailableError,
)

__all__ = [
    "ChatMessage",
    "Completion",
    "LLMBackend",
    "LLMBadRequestError",
    "LLMUnavailableError",
    "get_llm",
    "reset_llm",
]

_lock = threading.Lock()
_backend: LLMBackend | None = None


def get_llm() -> LLMBackend:
    """The process-wide backend, built from the settings on first call (cheap: nothing is loaded
    or connected yet). Raises ``LLMUnavailableError`` for a configuration that cannot work."""
    global _backend  # noqa: PLW0603 (a per-process singleton, reset by reset_llm)
    if _backend is None:
        with _lock:
            if _backend is None:
                _backend = _build()
    return _backend


def reset_llm() -> None:
    """Forget the backend (tests, settings reloads); the next ``get_llm`` builds a new one."""
    global _backend
    with _lock:
        old, _backend = _backend, None
    close = getattr(old, "close", None)
    if callable(close):
        close()


def _build() -> LLMBackend:
    from shared.config import get_settings
    from shared.llm.urls import resolve_base_url

    settings = get_settings()
    try:
        base_url = resolve_base_url(settings.llm_base_url, settings.ollama_host)
    except ValueError as exc:
        raise LLMUnavailableError(f"bad LLM_BASE_URL/OLLAMA_HOST: {exc}") from None
    if base_url is None:
        from shared.llm.embedded import EmbeddedBackend

        return EmbeddedBackend.from_settings(settings)
    from shared.llm.openai_compat import OpenAICompatBackend

    return OpenAICompatBackend.from_settings(settings, base_url)
