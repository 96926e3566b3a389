"""The ``openai`` SDK (sync and async) and LangChain's ``ChatOpenAI``, configured with nothing but
the base URL and an API key, as Open WebUI, LangChain and LiteLLM configure them: the models list
they call first, embeddings, chat, speech and transcription, and errors whose message the SDK
shows."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.utils.auth import auth_headers
from tests.voice_support import espeak_wav


@pytest.fixture(scope="module")
def api_key(app_host: str) -> Iterator[str]:
    """An issued API key (``mlp_...``) with the scopes an assistant client needs."""
    admin = auth_headers("openai-sdk-admin", scopes=["admin"])
    issued = httpx.post(
        f"{app_host}/auth/keys",
        headers=admin,
        json={
            "user": f"sdk-{uuid.uuid4().hex[:8]}",
            "name": "sdk",
            "scopes": ["chat", "ml", "voice"],
        },
        timeout=30,
    )
    assert issued.status_code == 201, issued.text
    yield issued.json()["key"]
    httpx.delete(f"{app_host}/auth/keys/{issued.json()['id']}", headers=admin, timeout=30)


@pytest.fixture(scope="module")
def sdk(app_host: str, api_key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{app_host}/v1", api_key=api_key, timeout=120)


def test_the_models_list_has_the_names_clients_send_by_default(sdk: openai.OpenAI):
    listed = {model.id: model for model in sdk.models.list()}
    for name in (
        "whisper-1",
        "tts-1",
        "tts-1-hd",
        "text-embedding-3-small",
        "text-embedding-ada-002",
    ):
        assert name in listed, sorted(listed)
        assert listed[name].object == "model"
    assert "all-MiniLM-L6-v2" in listed
    assert sdk.models.retrieve("whisper-1").id == "whisper-1"
    # a model id with a slash in it is found too
    slashed = [name for name in listed if "/" in name]
    for name in slashed:
        assert sdk.models.retrieve(name).id == name


def test_an_error_shows_the_servers_message_in_the_sdk(sdk: openai.OpenAI):
    with pytest.raises(openai.NotFoundError) as missing:
        sdk.models.retrieve("no-such-model")
    assert "no-such-model" in str(missing.value)
    with pytest.raises(openai.BadRequestError) as invalid:
        sdk.embeddings.create(model="text-embedding-3-small", input=[])
    # the SDK shows the server's own words, not only "Error code: 400"
    assert str(invalid.value) == "Error code: 400 - input is empty; send at least one text"
    with pytest.raises(openai.UnprocessableEntityError) as unknown_voice:
        sdk.audio.speech.create(model="tts-1", voice="nobody", input="hi")
    assert "nobody" in str(unknown_voice.value)


def test_a_wrong_key_is_401_with_the_reason(app_host: str):
    stranger = openai.OpenAI(base_url=f"{app_host}/v1", api_key="mlp_nope_nope", timeout=30)
    with pytest.raises(openai.AuthenticationError) as refused:
        stranger.models.list()
    assert refused.value.status_code == 401
    assert "credential" in str(refused.value).lower() or "key" in str(refused.value).lower()


def test_embeddings_chat_speech_and_transcription_with_default_names(sdk: openai.OpenAI):
    vectors = sdk.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert len(vectors.data) == 2
    assert len(vectors.data[0].embedding) == 384

    reply = sdk.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello."}], max_tokens=16
    )
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content

    speech = sdk.audio.speech.create(
        model="tts-1", voice="alloy", input="The client works unchanged.", response_format="wav"
    )
    audio = speech.read()
    assert audio[:4] == b"RIFF"

    transcript = sdk.audio.transcriptions.create(
        model="whisper-1", file=("spoken.wav", espeak_wav("The client works unchanged."))
    )
    assert "client" in transcript.text.lower()


def test_the_async_sdk_lists_and_embeds(app_host: str, api_key: str):
    async def scenario() -> tuple[list[str], int]:
        client = openai.AsyncOpenAI(base_url=f"{app_host}/v1", api_key=api_key, timeout=120)
        try:
            names = [model.id async for model in client.models.list()]
            embedded = await client.embeddings.create(model="text-embedding-ada-002", input="x")
            return names, len(embedded.data[0].embedding)
        finally:
            await client.close()

    names, dimensions = asyncio.run(scenario())
    assert "whisper-1" in names
    assert dimensions == 384


def test_langchain_chat_openai_with_base_url_and_key(app_host: str, api_key: str):
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(
        model="gpt-4o-mini", base_url=f"{app_host}/v1", api_key=api_key, max_tokens=16
    )
    answer = chat.invoke("Say hello.")
    assert isinstance(answer.content, str)
    assert answer.content
