"""Resolving a model name a client sent to the served model it means.

Each kind of model has its served names (fixed by the code: what is installed) and aliases (from
the settings ``<KIND>_MODEL_ALIASES``, ``alias=model,...``): clients written for OpenAI keep
their default model names. An alias whose target is not served is ignored with a warning, never
an error at request time, so a typo in a setting cannot take an endpoint down; it simply stays
unknown (and unlisted).

Importing this module loads no model: the served names are constants of the feature modules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from shared.config import get_settings, parse_aliases

logger = logging.getLogger(__name__)

# The chat alias target that means "the backend's configured model" (LLM_MODEL, or the
# embedded model): a client's "gpt-4o-mini" then reaches whatever this deployment runs.
CHAT_DEFAULT = "default"
# Chat model names that always mean the backend's configured model.
CHAT_DEFAULT_NAMES = frozenset({"", CHAT_DEFAULT, "platform"})


class ModelKind(StrEnum):
    """What a model does; each kind has its own endpoint and its own aliases setting."""

    CHAT = "chat"
    EMBEDDINGS = "embeddings"
    SPEECH = "speech"
    TRANSCRIPTION = "transcription"


@dataclass(frozen=True)
class ServedName:
    """A name a client may send: ``root`` is the served model it resolves to (itself when the
    name is a served model's own)."""

    id: str
    kind: ModelKind
    root: str

    @property
    def is_alias(self) -> bool:
        return self.id != self.root


def served(kind: ModelKind) -> dict[str, str]:
    """The served model names of ``kind`` (and their fixed synonyms) -> the served model."""
    if kind is ModelKind.EMBEDDINGS:
        from shared.inference.text_models import EMBEDDING_MODEL, MODEL_ALIASES

        return dict.fromkeys(sorted(MODEL_ALIASES), EMBEDDING_MODEL)
    if kind is ModelKind.TRANSCRIPTION:
        from shared.voice.model_names import ALIASES, BASE, TINY_EN

        return {TINY_EN: TINY_EN, BASE: BASE, **ALIASES}
    if kind is ModelKind.SPEECH:
        from shared.voice.model_names import SPEECH_MODEL

        return {SPEECH_MODEL: SPEECH_MODEL}
    model = chat_backend_model()
    return {model: model} if model else {}


def chat_backend_model() -> str | None:
    """The chat backend's model name, or None when the backend cannot say now (a remote server
    without ``LLM_MODEL`` that does not answer): then no chat model is listed."""
    from shared.llm import LLMUnavailableError, get_llm

    try:
        return get_llm().model
    except LLMUnavailableError as exc:
        logger.warning("the chat model is not listed: %s", exc.reason)
        return None


def aliases(kind: ModelKind) -> dict[str, str]:
    """The configured aliases of ``kind`` whose target is served -> the served model."""
    settings = get_settings()
    raw = {
        ModelKind.CHAT: settings.chat_model_aliases,
        ModelKind.EMBEDDINGS: settings.embeddings_model_aliases,
        ModelKind.SPEECH: settings.tts_model_aliases,
        ModelKind.TRANSCRIPTION: settings.stt_model_aliases,
    }[kind]
    own = served(kind)
    resolved: dict[str, str] = {}
    for alias, named in parse_aliases(raw).items():
        target = named
        if kind is ModelKind.CHAT and named == CHAT_DEFAULT:
            target = chat_backend_model() or CHAT_DEFAULT
        if target in own:
            resolved[alias] = own[target]
        elif kind is ModelKind.CHAT:
            resolved[alias] = target  # a remote server may serve models this app cannot list
        else:
            logger.warning(
                "model alias %s=%s ignored: %s serves no such model", alias, target, kind
            )
    return resolved


def names(kind: ModelKind) -> list[ServedName]:
    """Every name of ``kind`` a client may send, served names first, then aliases."""
    own = served(kind)
    listed = [ServedName(name, kind, root) for name, root in own.items()]
    listed += [ServedName(a, kind, t) for a, t in aliases(kind).items() if a not in own]
    return listed


def resolve(kind: ModelKind, name: str) -> str | None:
    """The served model ``name`` means, or None when ``kind`` has no model of that name.

    Served names win over aliases: an alias can never hide a model the deployment serves."""
    own = served(kind)
    if name in own:
        return own[name]
    return aliases(kind).get(name)
