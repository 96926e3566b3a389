"""Speech over real HTTP through devhost as clients send it: input that yields no audio is 422
(it was a 500), emoji are spoken by name, OpenAI's model names work with the openai SDK, and the
per-caller speech rate limit answers 429 with Retry-After."""

from __future__ import annotations

import httpx
import openai
import pytest

from shared.voice.wer import word_error_rate
from tests.utils.auth import new_caller

TTS = "/v1/audio/speech"


def test_input_that_yields_no_audio_is_422_on_both_routes(app_host: str) -> None:
    headers = {**new_caller("speech-empty"), "content-type": "application/json"}
    with httpx.Client(base_url=app_host, timeout=60, headers=headers) as client:
        for path in ("/voice/synthesize", TTS):
            # JSON's surrogate pair for U+526DA, an unassigned code point Piper cannot speak
            response = client.post(path, content=b'{"input": "\\ud909\\udeda"}')
            assert response.status_code == 422, response.text
            if path == TTS:  # the OpenAI route answers in OpenAI's error shape
                assert response.headers["content-type"] == "application/json"
                message = response.json()["error"]["message"]
            else:
                assert response.headers["content-type"].startswith("application/problem+json")
                message = response.json()["detail"]
            assert "nothing the voice can pronounce" in message
        lone = client.post(TTS, content=b'{"input": "\\ud800 alone"}')
        assert lone.status_code == 400, lone.text


def test_the_openai_sdk_speaks_emoji_by_name_with_openai_model_names(app_host: str) -> None:
    caller = new_caller("speech-sdk")
    sdk = openai.OpenAI(
        base_url=f"{app_host}/v1",
        api_key=caller["authorization"].removeprefix("Bearer "),
    )

    speech = sdk.audio.speech.create(
        model="tts-1-hd", voice="nova", input="🤖 🔥", response_format="wav"
    )
    audio = speech.read()
    back = sdk.audio.transcriptions.create(model="whisper-1", file=("emoji.wav", audio))

    assert audio[:4] == b"RIFF"
    assert word_error_rate("robot face fire", back.text) <= 0.34
    with pytest.raises(openai.UnprocessableEntityError):
        sdk.audio.speech.create(model="tts-9", voice="alloy", input="hi")


def test_synchronous_speech_is_rate_limited_per_caller(app_host: str) -> None:
    # TTS_RATE_LIMIT is 10 a minute in the local settings; the same text is a cache hit after
    # the first call, and still counts.
    with httpx.Client(base_url=app_host, timeout=60, headers=new_caller("speech-rate")) as client:
        body = {"input": "Rate limited.", "response_format": "wav"}
        statuses = [client.post(TTS, json=body).status_code for _ in range(10)]
        refused = client.post("/voice/synthesize", json=body)
    with httpx.Client(base_url=app_host, timeout=60, headers=new_caller("speech-rate")) as other:
        someone_else = other.post(TTS, json=body)

    assert statuses == [200] * 10
    assert refused.status_code == 429, refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert someone_else.status_code == 200
