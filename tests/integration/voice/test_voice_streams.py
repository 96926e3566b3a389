"""Streamed speech and transcription in-process, with the real Piper and Whisper models: audio
leaves after the first sentence, and a client that goes away stops synthesis and decoding (the
process-wide counters of sentences synthesized and segments decoded stop growing)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from functions.voice import api as voice_api
from shared.speech import piper
from shared.voice import audio, stt, tts
from shared.voice.wer import word_error_rate
from tests.utils.auth import new_caller
from tests.voice_support import TWELVE_SENTENCES as TWELVE
from tests.voice_support import espeak_wav


@pytest.fixture
def owner() -> str:
    return f"key:voice-stream-{uuid.uuid4().hex[:12]}"


def _unique(text: str) -> str:
    return f"{text} Run {uuid.uuid4().int % 100_000}."  # never a cache hit


def test_the_first_audio_exists_after_the_first_sentence(owner: str) -> None:
    # given a 13-sentence text (twelve and a run number)
    before = piper.SENTENCES.count
    # when speech for it is opened
    speech = tts.synthesize(_unique(TWELVE), None, 1.0, "mp3", owner=owner)
    # then one sentence has been synthesized, not thirteen
    assert piper.SENTENCES.count - before == 1
    chunks = list(speech.chunks)
    assert piper.SENTENCES.count - before == 13
    assert len(chunks) >= 13  # a piece per sentence, and the encoder's tail
    assert not speech.cached


def test_streamed_speech_is_cached_whole_and_a_hit_is_one_piece(owner: str) -> None:
    text = _unique("The cache keeps what was streamed. It gives it back at once.")
    streamed = tts.synthesize(text, None, 1.0, "wav", owner=owner).read()
    hit = tts.synthesize(text, None, 1.0, "wav", owner=owner)
    assert hit.cached
    whole = hit.read()
    # the stream's header says "length unknown"; the cached file has its real sizes
    assert streamed[4:8] == b"\xff\xff\xff\xff"
    assert int.from_bytes(whole[40:44], "little") == len(whole) - 44
    assert whole[44:] == streamed[44:]


class _Client:
    """An ASGI client that reads ``keep`` body messages, then goes away."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.received: list[bytes] = []
        self.status = 0
        self.gone = asyncio.Event()

    async def call(self, route: str, headers: dict[str, str], body: bytes, ctype: str) -> None:
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "server": ("localhost", 80),
            "path": f"/api/{route}",
            "raw_path": f"/api/{route}".encode(),
            "query_string": b"",
            "headers": [
                (k.lower().encode(), v.encode())
                for k, v in {**headers, "content-type": ctype}.items()
            ],
            "client": ("127.0.0.1", 1),
            "root_path": "",
        }
        sent_body = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await self.gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            elif message["type"] == "http.response.body" and message.get("body"):
                self.received.append(message["body"])
                if len(self.received) >= self.keep:
                    self.gone.set()

        from starlette.requests import Request

        function = voice_api.functions[route.replace("v1/audio/", "audio_")]
        response = await function(Request(scope, receive))
        await response(scope, receive, send)


def test_a_client_that_goes_away_stops_synthesis() -> None:
    # given a client that reads the first piece of a 13-sentence speech, then goes away
    client = _Client(keep=1)
    body = json.dumps({"input": _unique(TWELVE), "response_format": "pcm"}).encode()
    before = piper.SENTENCES.count
    asyncio.run(client.call("v1/audio/speech", new_caller("stream-gone"), body, "application/json"))
    # then the response ended and synthesis stopped within a sentence or two of the first
    assert client.status == 200
    stopped_at = piper.SENTENCES.count - before
    assert 1 <= stopped_at <= 3, stopped_at
    assert piper.SENTENCES.count - before == stopped_at  # nothing runs on for nobody


def _multipart(fields: dict[str, str], audio_bytes: bytes) -> tuple[bytes, str]:
    boundary = "voicestreamboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        f"Content-Type: audio/wav\r\n\r\n".encode()
        + audio_bytes
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_a_client_that_goes_away_stops_decoding() -> None:
    # given ~80 s of speech (three of Whisper's 30 s windows) sent with stream=true
    long_text = " ".join([TWELVE] * 2) + f" Number {uuid.uuid4().int % 100_000}."
    body, ctype = _multipart({"stream": "true"}, espeak_wav(long_text))
    # when the client reads the first event and goes away
    client = _Client(keep=1)
    before = stt.SEGMENTS.runs
    asyncio.run(client.call("v1/audio/transcriptions", new_caller("stt-gone"), body, ctype))
    stopped_at = stt.SEGMENTS.runs - before
    # then decoding stopped in the first window: a complete run decodes all 26 sentences
    assert client.status == 200
    assert client.received[0].startswith(b"event: transcript.text.delta")
    assert 1 <= stopped_at < 20, stopped_at
    assert stt.SEGMENTS.runs - before == stopped_at


def test_streamed_pcm_is_24_khz_and_transcribes_back(owner: str) -> None:
    text = "The lighthouse keeper counted the ships that passed in the night."
    pcm = tts.synthesize(_unique(text), None, 1.0, "pcm", owner=owner).read()
    from shared.voice.encoding import wav_header

    decoded = audio.decode(wav_header(24_000, len(pcm)) + pcm)
    transcript = stt.transcribe(decoded.samples, stt.TranscribeOptions())
    said = " ".join(transcript.text.split()[: len(text.split())])  # without the run number
    assert word_error_rate(text, said) < 0.15
    assert 3.0 < len(pcm) / 48_000 < 8.0  # seconds at 24 kHz, 2 bytes a sample
