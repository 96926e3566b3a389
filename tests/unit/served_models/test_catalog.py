"""The models catalog: every served model and every default client alias, in OpenAI's shape, and
the same names accepted by the services that take a model."""

from __future__ import annotations

import pytest

from shared.config import Settings, parse_aliases
from shared.errors import NotFoundError, UnprocessableContentError
from shared.served_models.listing import ModelList, get_model, list_models
from shared.served_models.names import ModelKind, resolve
from shared.voice import stt, tts

OPENAI_DEFAULTS = {
    "whisper-1": "transcription",
    "tts-1": "speech",
    "tts-1-hd": "speech",
    "text-embedding-3-small": "embeddings",
    "text-embedding-ada-002": "embeddings",
}


def test_the_list_has_openais_shape_and_every_kind(settings: Settings) -> None:
    listed = list_models()

    body = listed.model_dump(mode="json")
    assert body["object"] == "list"
    for card in body["data"]:
        assert card["object"] == "model"
        assert isinstance(card["created"], int)
        assert card["owned_by"] == "platform"
    kinds = {card["id"]: card["kind"] for card in body["data"]}
    assert kinds["all-MiniLM-L6-v2"] == "embeddings"
    assert kinds["whisper-tiny.en"] == kinds["whisper-base"] == "transcription"
    assert kinds["piper"] == "speech"
    assert "chat" in kinds.values()
    ids = [card["id"] for card in body["data"]]
    assert len(ids) == len(set(ids))
    assert ModelList.model_validate(body) == listed


def test_the_default_client_aliases_are_listed_and_resolve(settings: Settings) -> None:
    cards = {card.id: card for card in list_models().data}
    for alias, kind in OPENAI_DEFAULTS.items():
        assert cards[alias].kind == kind
        assert get_model(alias) == cards[alias]
    assert cards["whisper-1"].root == "whisper-base"
    assert cards["tts-1"].root == cards["tts-1-hd"].root == "piper"
    assert cards["text-embedding-3-small"].root == "all-MiniLM-L6-v2"


def test_an_unknown_model_is_404() -> None:
    with pytest.raises(NotFoundError, match="gpt-9"):
        get_model("gpt-9")


def test_the_services_accept_every_listed_name(settings: Settings) -> None:
    for card in list_models().data:
        if card.kind == ModelKind.TRANSCRIPTION:
            assert stt.resolve_model(card.id) == card.root
        elif card.kind == ModelKind.SPEECH:
            assert tts.check_model(card.id) == card.root
        elif card.kind == ModelKind.EMBEDDINGS:
            assert resolve(ModelKind.EMBEDDINGS, card.id) == card.root
    with pytest.raises(UnprocessableContentError):
        tts.check_model("tts-9")
    with pytest.raises(UnprocessableContentError):
        stt.resolve_model("whisper-large")


def test_aliases_come_from_the_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings):
    monkeypatch.setenv("STT_MODEL_ALIASES", "whisper-1=whisper-tiny.en,fast=whisper-tiny.en")
    monkeypatch.setenv("EMBEDDINGS_MODEL_ALIASES", "my-embedder=all-MiniLM-L6-v2,bad=nope")
    from shared.config import reset_settings

    reset_settings()
    ids = {card.id: card.root for card in list_models().data}

    assert ids["whisper-1"] == ids["fast"] == "whisper-tiny.en"
    assert stt.resolve_model("fast") == "whisper-tiny.en"
    assert ids["my-embedder"] == "all-MiniLM-L6-v2"
    # an alias of a model that is not served is neither listed nor accepted
    assert "bad" not in ids
    assert "text-embedding-3-small" not in ids
    assert resolve(ModelKind.EMBEDDINGS, "bad") is None


def test_a_served_name_cannot_be_shadowed_by_an_alias(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("STT_MODEL_ALIASES", "whisper-base=whisper-tiny.en")
    from shared.config import reset_settings

    reset_settings()
    assert stt.resolve_model("whisper-base") == "whisper-base"


def test_a_malformed_alias_setting_fails_at_start() -> None:
    assert parse_aliases(" a = b ,, c=d ") == {"a": "b", "c": "d"}
    with pytest.raises(ValueError, match="alias=model"):
        Settings(tts_model_aliases="tts-1")
    with pytest.raises(ValueError, match="alias=model"):
        Settings(stt_model_aliases="whisper-1=")


def test_a_chat_server_that_is_down_leaves_the_other_models_listed(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from shared.config import reset_settings
    from shared.llm import reset_llm
    from tests.utils.servers import free_port

    monkeypatch.setenv("LLM_BASE_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("LLM_MODEL", raising=False)
    reset_settings()
    reset_llm()
    try:
        kinds = {card.kind for card in list_models().data}
        ids = {card.id for card in list_models().data}
    finally:
        reset_llm()

    assert kinds == {"embeddings", "speech", "transcription", "chat"}
    # the server's model is unknown: the aliases still resolve to "the configured model"
    assert {"gpt-4o-mini", "whisper-1", "tts-1"} <= ids


def test_a_named_remote_chat_model_is_listed_without_asking_the_server(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from shared.config import reset_settings
    from shared.llm import reset_llm
    from tests.utils.servers import free_port

    monkeypatch.setenv("LLM_BASE_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("LLM_MODEL", "qwen2.5:7b")
    reset_settings()
    reset_llm()
    try:
        cards = {card.id: card for card in list_models().data}
    finally:
        reset_llm()

    assert cards["qwen2.5:7b"].kind == "chat"
    assert cards["gpt-4o-mini"].root == "qwen2.5:7b"
