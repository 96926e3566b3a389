"""The voice endpoints over real HTTP through devhost: the openai SDK, every response_format,
the cache, and the errors for bad input."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import httpx
import openai
import pytest

from shared.voice.wer import word_error_rate
from tests.utils.auth import auth_headers
from tests.voice_support import TEXT, espeak_wav, silence_wav

KEY = auth_headers("voice-e2e")
STT = "/v1/audio/transcriptions"
TTS = "/v1/audio/speech"


@pytest.fixture
def client(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=60, headers=KEY) as http:
        yield http


@pytest.fixture
def sdk(app_host: str) -> openai.OpenAI:
    # The SDK sends its api_key as "Authorization: Bearer": the caller's JWT.
    return openai.OpenAI(
        base_url=f"{app_host}/v1",
        api_key=KEY["authorization"].removeprefix("Bearer "),
    )


def _post_audio(
    client: httpx.Client, data: bytes, path: str = STT, **fields: str
) -> httpx.Response:
    return client.post(path, files={"file": ("clip.wav", data, "audio/wav")}, data=fields)


def test_the_openai_sdk_transcribes_and_speaks(sdk: openai.OpenAI) -> None:
    transcript = sdk.audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", espeak_wav())
    )
    assert word_error_rate(TEXT, transcript.text) < 0.10

    text = "Good evening, and welcome to the news."
    speech = sdk.audio.speech.create(
        model="tts-1", voice="alloy", input=text, response_format="wav"
    )
    audio = speech.read()
    assert audio[:4] == b"RIFF"
    back = sdk.audio.transcriptions.create(model="whisper-1", file=("back.wav", audio))
    assert word_error_rate(text, back.text) < 0.10


def _seconds(stamp: str) -> float:
    h, m, rest = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(rest)


def test_every_response_format_parses(client: httpx.Client) -> None:
    data = espeak_wav()
    body = _post_audio(client, data, response_format="json")
    assert body.status_code == 200, body.text
    assert set(body.json()) == {"text"}

    text = _post_audio(client, data, response_format="text")
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text.strip() == body.json()["text"]

    for fmt in ("srt", "vtt"):
        subtitles = _post_audio(client, data, response_format=fmt).text
        stamps = re.findall(r"(\d\d:\d\d:\d\d[,.]\d\d\d) --> (\d\d:\d\d:\d\d[,.]\d\d\d)", subtitles)
        assert stamps, subtitles
        times = [_seconds(t) for pair in stamps for t in pair]
        assert times == sorted(times)
        assert subtitles.startswith("WEBVTT") == (fmt == "vtt")

    verbose = client.post(
        STT,
        files={"file": ("clip.wav", data, "audio/wav")},
        data={"response_format": "verbose_json", "timestamp_granularities[]": ["word", "segment"]},
    ).json()
    assert verbose["language"] == "en"
    assert verbose["duration"] > 5
    assert verbose["segments"]
    assert verbose["words"]
    starts = [w["start"] for w in verbose["words"]]
    assert starts == sorted(starts)


def test_the_second_identical_upload_is_a_cache_hit(client: httpx.Client) -> None:
    data = espeak_wav(f"Cache test {uuid.uuid4().hex[:6]} finished.", speed=170)
    first = _post_audio(client, data, path="/voice/recognize")
    second = _post_audio(client, data, path="/voice/recognize")
    assert first.status_code == second.status_code == 200
    assert first.headers["x-voice-cache"] == "miss"
    assert second.headers["x-voice-cache"] == "hit"
    assert first.json() == second.json()


def test_silence_is_an_empty_transcript(client: httpx.Client) -> None:
    response = _post_audio(client, silence_wav(2.0))
    assert response.status_code == 200
    assert response.json() == {"text": ""}


def test_async_transcription_is_a_job(client: httpx.Client) -> None:
    response = client.post(
        f"{STT}?async=true",
        files={"file": ("clip.wav", espeak_wav("Queued for later.", speed=140), "audio/wav")},
        headers=auth_headers(f"voice-{uuid.uuid4().hex[:8]}"),
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"].startswith("/api/jobs/")
    assert response.json()["kind"] == "transcribe"


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        (b"", 400, "empty"),
        (b"definitely not audio " * 40, 415, "not audio"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 8, 415, ""),
    ],
)
def test_bad_audio_is_refused_with_the_reason(
    client: httpx.Client, payload: bytes, status: int, fragment: str
) -> None:
    response = _post_audio(client, payload)
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]["message"]  # OpenAI's error object under /v1


def test_oversized_upload_is_413(client: httpx.Client) -> None:
    response = _post_audio(client, b"\x00" * (25 * 1024 * 1024 + 1))
    assert response.status_code == 413


def test_bad_transcription_options_are_422(client: httpx.Client) -> None:
    data = espeak_wav()
    assert _post_audio(client, data, model="whisper-huge").status_code == 422
    assert _post_audio(client, data, response_format="docx").status_code == 422
    assert _post_audio(client, data, temperature="hot").status_code == 422
    assert client.post(STT, content=b"x", headers={"content-type": "text/plain"}).status_code == 415


@pytest.mark.parametrize("fmt", ["wav", "pcm", "flac", "mp3", "opus", "aac"])
def test_speech_in_every_format(client: httpx.Client, fmt: str) -> None:
    response = client.post(TTS, json={"input": "Format check.", "response_format": fmt})
    assert response.status_code == 200, response.text
    assert len(response.content) > 1000


def test_speech_errors(client: httpx.Client) -> None:
    assert client.post(TTS, json={"input": "   "}).status_code == 400
    unsupported = client.post(TTS, json={"input": "hi", "response_format": "wma"})
    assert unsupported.status_code == 422
    assert "mp3" in unsupported.json()["error"]["message"]  # what would have been accepted
    assert client.post(TTS, json={"input": "hi", "voice": "nobody"}).status_code == 422
    assert client.post(TTS, json={"input": "x" * 5000}).status_code == 413
    assert client.post(TTS, json={"input": "hi", "speed": 9}).status_code == 422
    assert (
        client.post(
            "/voice/synthesize", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )


def test_voices_and_model_status(client: httpx.Client) -> None:
    voices = client.get("/v1/audio/voices").json()
    assert {"name": "en_US-joe-medium", "default": True} in voices["voices"]
    assert "opus" in voices["formats"]
    models = {m["name"] for m in client.get("/models/status").json()["models"]}
    assert {"whisper-tiny.en", "whisper-base", "piper-en_US-joe-medium"} <= models
    assert json.dumps(voices)
