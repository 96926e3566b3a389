"""``GET /api/v1/models``: every model the deployment serves, in OpenAI's shape, with the names
OpenAI-style clients send by default (``whisper-1``, ``tts-1``, ``text-embedding-3-small``...).
Clients such as Open WebUI and LangChain call it first. Logic: ``shared/served_models``."""

from __future__ import annotations

from shared.http.api import Api
from shared.served_models.listing import ModelCard, ModelList, get_model, list_models

api = Api(tags=("models", "openai"))  # any valid credential: the list is no secret of a scope
bp = api.blueprint


@api.get("v1/models", "The served models and their aliases (OpenAI's list shape)")
def models_list() -> ModelList:
    return list_models()


@api.get(
    "v1/models/{*model_id}",
    "One served model or alias (ids may contain '/', e.g. sentence-transformers/...)",
    errors=(404,),
)
def models_get(model_id: str) -> ModelCard:
    return get_model(model_id)
