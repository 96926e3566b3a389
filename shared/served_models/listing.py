"""``GET /v1/models`` and ``GET /v1/models/{id}`` in OpenAI's shape.

``{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}, ...]}``: every
chat, embedding, speech and transcription model this deployment serves, and every alias that
resolves to one. Beside OpenAI's four fields each card says its ``kind`` and its ``root`` (the
served model an alias resolves to; vLLM names the same field ``root``): clients ignore fields
they do not know.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shared.errors import NotFoundError
from shared.served_models.names import ModelKind, ServedName, names

# OpenAI's ``created`` is the Unix time the model was published; ours are installed from pinned
# packages, so one fixed time (2026-01-01T00:00:00Z) keeps the listing identical on every
# instance and every call (clients only read it as an integer).
CREATED = 1_767_225_600
OWNER = "platform"


class ModelCard(BaseModel):
    """One model (or alias) as OpenAI's ``/v1/models`` lists it."""

    id: str
    object: Literal["model"] = "model"
    created: int = CREATED
    owned_by: str = OWNER
    kind: ModelKind = Field(description="extension: chat, embeddings, speech or transcription")
    root: str = Field(description="extension: the served model this name resolves to")


class ModelList(BaseModel):
    """OpenAI's list of models."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


def _card(name: ServedName) -> ModelCard:
    return ModelCard(id=name.id, kind=name.kind, root=name.root)


def list_models() -> ModelList:
    """Every model name a client may send, by kind (chat, embeddings, speech, transcription)."""
    seen: set[str] = set()
    cards: list[ModelCard] = []
    for kind in ModelKind:
        for name in names(kind):
            # One id, one card: a name two kinds share is listed once (the first kind's).
            if name.id not in seen:
                seen.add(name.id)
                cards.append(_card(name))
    return ModelList(data=cards)


def get_model(model_id: str) -> ModelCard:
    """The card of ``model_id``; 404 (OpenAI's answer) when no kind serves that name."""
    for card in list_models().data:
        if card.id == model_id:
            return card
    raise NotFoundError(f"the model {model_id[:100]!r} does not exist")
