"""Streamed speech and transcription over real HTTP through devhost, with the real ``openai`` SDK
(sync and async, configured with nothing but the base URL and a key) and the real models:

- speech arrives in several pieces, the first long before the last (12 sentences);
- ``stream_format="sse"`` answers ``speech.audio.delta`` events and a ``speech.audio.done``;
- ``audio.transcriptions.create(stream=True)`` yields ``transcript.text.delta`` events, then
  ``transcript.text.done``, and streamed speech transcribes back to its text;
- refusals (unknown voice) are still whole error responses; ``instructions`` is accepted;
- word timestamps in ``verbose_json`` work through the SDK.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid

import httpx
import openai
import pytest
from openai.types.audio import (
    TranscriptionStreamEvent,
    TranscriptionTextDeltaEvent,
    TranscriptionTextDoneEvent,
)

from shared.voice.encoding import wav_header
from shared.voice.wer import word_error_rate
from tests.utils.auth import new_caller
from tests.voice_support import TEXT, TWELVE_SENTENCES, espeak_wav


def _key(name: str) -> str:
    return new_caller(name)["authorization"].removeprefix("Bearer ")


@pytest.fixture
def sdk(app_host: str) -> openai.OpenAI:
    # a caller of its own per test: the speech rate limit (10 a minute) is per caller
    return openai.OpenAI(base_url=f"{app_host}/v1", api_key=_key("stream-sdk"), timeout=120)


def _unique(text: str) -> str:
    return f"{text} Run {10_000 + uuid.uuid4().int % 90_000}."  # never a cache hit


def _wer(said: str, heard: str) -> float:
    """The word error rate of ``heard`` on ``said``, without the run number added after it."""
    return word_error_rate(said, " ".join(heard.split()[: len(said.split())]))


def test_speech_arrives_sentence_by_sentence_the_first_long_before_the_last(
    sdk: openai.OpenAI,
) -> None:
    # given a loaded voice (the first request of a process loads it) and a 12-sentence paragraph
    sdk.audio.speech.create(model="tts-1", voice="alloy", input=_unique("Warm up.")).read()
    text = TWELVE_SENTENCES
    arrivals: list[float] = []
    pieces: list[bytes] = []
    started = time.perf_counter()
    # when the SDK streams its speech as raw 24 kHz PCM
    with sdk.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=_unique(text), response_format="pcm"
    ) as response:
        assert response.headers["content-type"] == "audio/pcm"
        assert response.headers["x-voice-cache"] == "miss"
        for piece in response.iter_bytes():
            arrivals.append(time.perf_counter() - started)
            pieces.append(piece)
    # then it came in several pieces, the first while most sentences were still to synthesize
    assert len(pieces) >= 6, len(pieces)
    assert arrivals[0] < arrivals[-1] / 3, arrivals
    # and it is the text, spoken (24 kHz PCM, whisper round trip)
    pcm = b"".join(pieces)
    back = sdk.audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", wav_header(24_000, len(pcm)) + pcm)
    )
    assert _wer(text, back.text) < 0.15, back.text


def _sse(lines: list[str]) -> list[dict[str, object]]:
    return [json.loads(line[len("data: ") :]) for line in lines if line.startswith("data: ")]


def test_speech_as_server_sent_events_transcribes_back(sdk: openai.OpenAI) -> None:
    text = "The harbor lights came on one by one. A ferry left for the island."
    with sdk.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts",
        voice="coral",
        input=_unique(text),
        response_format="wav",
        stream_format="sse",
        instructions="Speak cheerfully.",  # accepted, and ignored: Piper cannot follow it
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _sse(list(response.iter_lines()))
    deltas = [e for e in events if e["type"] == "speech.audio.delta"]
    assert len(deltas) >= 2  # a piece per sentence
    assert events[-1]["type"] == "speech.audio.done"
    usage = events[-1]["usage"]
    assert isinstance(usage, dict)
    assert usage["input_tokens"] == usage["total_tokens"] == len(text) + len(" Run 12345.")
    wav = b"".join(base64.b64decode(str(e["audio"])) for e in deltas)
    assert wav[:4] == b"RIFF"
    back = sdk.audio.transcriptions.create(model="whisper-1", file=("speech.wav", wav))
    assert _wer(text, back.text) < 0.2, back.text


def test_refusals_come_before_the_stream_as_whole_errors(sdk: openai.OpenAI) -> None:
    with (
        pytest.raises(openai.UnprocessableEntityError) as unknown,
        sdk.audio.speech.with_streaming_response.create(
            model="tts-1", voice="nobody", input="Hello.", stream_format="sse"
        ),
    ):
        pass
    assert "nobody" in str(unknown.value)
    with (
        pytest.raises(openai.UnprocessableEntityError) as mute,
        sdk.audio.speech.with_streaming_response.create(
            model="tts-1", voice="alloy", input="\U000526da"
        ),
    ):
        pass
    assert "nothing the voice can pronounce" in str(mute.value)


def test_transcription_streams_delta_events_then_done(sdk: openai.OpenAI) -> None:
    spoken = espeak_wav(_unique(TEXT))  # four sentences, ~17 s, never a cache hit
    stream = sdk.audio.transcriptions.create(
        model="whisper-1", file=("twelve.wav", spoken), stream=True
    )
    events = list(stream)
    deltas = [e for e in events if isinstance(e, TranscriptionTextDeltaEvent)]
    done = events[-1]
    assert isinstance(done, TranscriptionTextDoneEvent)
    assert len(deltas) >= 2
    assert all(e.type == "transcript.text.delta" for e in events[:-1])
    assert "".join(d.delta for d in deltas) == done.text
    assert _wer(TEXT, done.text) < 0.15, done.text
    assert done.usage is not None
    assert done.usage.output_tokens > 0
    assert done.usage.total_tokens == done.usage.input_tokens + done.usage.output_tokens


def test_word_timestamps_in_verbose_json_through_the_sdk(sdk: openai.OpenAI) -> None:
    verbose = sdk.audio.transcriptions.create(
        model="whisper-1",
        file=("words.wav", espeak_wav("Please send the quarterly report to the finance team.")),
        response_format="verbose_json",
        timestamp_granularities=["word"],
    )
    assert verbose.words
    assert [w.word.strip(".,").lower() for w in verbose.words][:3] == ["please", "send", "the"]
    starts = [w.start for w in verbose.words]
    assert starts == sorted(starts)


def test_the_async_sdk_streams_speech_and_transcripts(app_host: str) -> None:
    text = "The garden gate was painted blue last spring. Children played near the old wall."

    async def scenario() -> tuple[int, bytes, list[TranscriptionStreamEvent]]:
        client = openai.AsyncOpenAI(
            base_url=f"{app_host}/v1", api_key=_key("stream-async"), timeout=120
        )
        try:
            async with client.audio.speech.with_streaming_response.create(
                model="tts-1", voice="alloy", input=_unique(text), response_format="mp3"
            ) as response:
                pieces = [piece async for piece in response.iter_bytes()]
            mp3 = b"".join(pieces)
            stream = await client.audio.transcriptions.create(
                model="whisper-1", file=("speech.mp3", mp3), stream=True
            )
            events = [event async for event in stream]
            return len(pieces), mp3, events
        finally:
            await client.close()

    count, mp3, events = asyncio.run(scenario())
    assert count >= 2
    assert mp3[:3] == b"ID3" or mp3[0] == 0xFF
    assert isinstance(events[-1], TranscriptionTextDoneEvent)
    assert any(isinstance(e, TranscriptionTextDeltaEvent) for e in events)
    assert _wer(text, events[-1].text) < 0.2, events[-1].text


def test_a_client_that_goes_away_ends_the_speech_stream(app_host: str) -> None:
    headers = new_caller("stream-gone")
    with httpx.Client(base_url=app_host, timeout=60, headers=headers) as client:
        body = {"input": _unique(TWELVE_SENTENCES), "response_format": "pcm"}
        with client.stream("POST", "/v1/audio/speech", json=body) as response:
            assert response.status_code == 200
            next(response.iter_bytes())
        # the connection is closed with most of the speech unsent: the stream ends on the server
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if client.get("/services/status").json()["streams_in_flight"] == 0:
                break
            time.sleep(0.05)
        assert client.get("/services/status").json()["streams_in_flight"] == 0


def test_a_cached_speech_is_sent_whole_at_once(sdk: openai.OpenAI) -> None:
    text = _unique("The kettle boiled while the toast was still warm.")
    with sdk.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=text, response_format="pcm"
    ) as first:
        streamed = first.read()
        assert first.headers["x-voice-cache"] == "miss"
    with sdk.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=text, response_format="pcm"
    ) as again:
        assert again.headers["x-voice-cache"] == "hit"
        assert int(again.headers["content-length"]) == len(streamed)
        assert again.read() == streamed


def test_stream_options_that_cannot_stream_are_refused(app_host: str) -> None:
    audio_file = {"file": ("a.wav", espeak_wav("Short and clear."), "audio/wav")}
    with httpx.Client(base_url=app_host, timeout=60, headers=new_caller("stream-opts")) as client:
        verbose = client.post(
            "/v1/audio/transcriptions",
            files=audio_file,
            data={"stream": "true", "response_format": "verbose_json"},
        )
        both = client.post(
            "/v1/audio/transcriptions?async=true", files=audio_file, data={"stream": "true"}
        )
        odd = client.post("/v1/audio/transcriptions", files=audio_file, data={"stream": "maybe"})
        plain = client.post("/v1/audio/transcriptions", files=audio_file, data={"stream": "false"})
        sse_format = client.post(
            "/v1/audio/speech", json={"input": "Hello.", "stream_format": "chunks"}
        )
    assert verbose.status_code == 400, verbose.text
    assert "json or text" in verbose.json()["error"]["message"]
    assert both.status_code == 400, both.text
    assert odd.status_code == 422, odd.text
    assert plain.status_code == 200
    assert plain.json()["text"]
    assert sse_format.status_code == 422, sse_format.text


def test_a_streamed_speech_is_replayed_for_the_same_idempotency_key(app_host: str) -> None:
    headers = {**new_caller("stream-replay"), "Idempotency-Key": f'"{uuid.uuid4()}"'}
    body = {"input": _unique("Say it once. Say it twice."), "response_format": "mp3"}
    with httpx.Client(base_url=app_host, timeout=60, headers=headers) as client:
        first = client.post("/v1/audio/speech", json=body)
        again = client.post("/v1/audio/speech", json=body)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
