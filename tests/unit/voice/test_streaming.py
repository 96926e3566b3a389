"""Streamed speech encoding and the voice endpoints' Server-Sent Events, without models: every
format gives bytes before the end, decodes back whole, and the events parse as the openai SDK's
types."""

from __future__ import annotations

import base64
import io
import json
import wave
from collections.abc import Iterator

import numpy as np
import pytest
from openai.types.audio import TranscriptionTextDeltaEvent, TranscriptionTextDoneEvent

from shared.voice import audio, encoding, events
from shared.voice.stt import Segment


def _tone(seconds: float, rate: int = 22_050) -> bytes:
    return (np.sin(np.arange(int(seconds * rate)) * 0.05) * 3000).astype("<i2").tobytes()


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "opus", "aac"])
def test_each_piece_is_encoded_as_it_comes_and_the_whole_decodes(fmt: str) -> None:
    # given an encoder fed four 1 s sentences
    encoder = encoding.StreamEncoder(fmt, 22_050)
    pieces = [encoder.feed(_tone(1.0)) for _ in range(4)]
    tail = encoder.finish()
    # then every sentence gave bytes before the end, and together they are one valid file
    assert all(pieces), [len(p) for p in pieces]
    decoded = audio.decode(b"".join(pieces) + tail)
    assert 3.9 < decoded.seconds < 4.2


def test_pcm_is_24_khz_16_bit_little_endian_without_a_seam() -> None:
    encoder = encoding.StreamEncoder("pcm", 22_050)
    out = b"".join(encoder.feed(_tone(0.5)) for _ in range(4)) + encoder.finish()
    # 2 s at 24 kHz, 2 bytes a sample (the resampler's state carries across pieces)
    assert abs(len(out) - 2 * 24_000 * 2) <= 2 * 64


def test_a_streamed_wav_says_its_length_is_unknown_until_completed() -> None:
    encoder = encoding.StreamEncoder("wav", 22_050)
    streamed = encoder.feed(_tone(1.0)) + encoder.feed(_tone(1.0)) + encoder.finish()
    assert streamed[:4] == b"RIFF"
    assert streamed[4:8] == streamed[40:44] == b"\xff\xff\xff\xff"
    complete = encoding.complete_wav(streamed)
    with wave.open(io.BytesIO(complete)) as wav:
        assert (wav.getframerate(), wav.getnframes()) == (22_050, 44_100)
    # what a streaming client holds decodes too
    assert 1.9 < audio.decode(streamed).seconds < 2.1


def test_the_leveler_keeps_one_gain_across_sentences() -> None:
    level = audio.LoudnessLeveler()
    quiet = _tone(0.5)
    first = np.frombuffer(level(quiet), "<i2")
    second = np.frombuffer(level(quiet), "<i2")
    assert np.array_equal(first, second)
    assert first.max() > np.frombuffer(quiet, "<i2").max()  # raised to the target
    assert level(b"") == b""


def _parse(stream: bytes) -> list[dict[str, object]]:
    """The data of each event, as an SSE client reads it."""
    found = []
    for block in stream.decode().split("\n\n"):
        lines = [line for line in block.split("\n") if line.startswith("data: ")]
        if lines:
            found.append(json.loads("\n".join(line[6:] for line in lines)))
    return found


def test_speech_events_carry_base64_audio_then_done_with_usage() -> None:
    chunks = iter([b"a" * 10, b"b" * (events.DELTA_BYTES + 5)])
    parsed = _parse(b"".join(events.speech_events(chunks, characters=42)))
    deltas = [e for e in parsed if e["type"] == "speech.audio.delta"]
    assert len(deltas) == 3  # the large piece is cut in two
    audio_bytes = b"".join(base64.b64decode(str(e["audio"])) for e in deltas)
    assert audio_bytes == b"a" * 10 + b"b" * (events.DELTA_BYTES + 5)
    assert parsed[-1] == {
        "type": "speech.audio.done",
        "usage": {"input_tokens": 42, "output_tokens": 0, "total_tokens": 42},
    }


def test_transcript_events_are_the_openai_sdk_types_and_add_up_to_the_text() -> None:
    segments = [
        Segment(0, 0.0, 2.0, "Hello there.", tokens=4),
        Segment(1, 2.0, 3.0, "", tokens=1),
        Segment(2, 3.0, 5.0, "General Kenobi.", tokens=5),
    ]
    parsed = _parse(b"".join(events.transcript_events(iter(segments), duration=5.0)))
    deltas = [TranscriptionTextDeltaEvent.model_validate(e) for e in parsed[:-1]]
    done = TranscriptionTextDoneEvent.model_validate(parsed[-1])
    assert [d.delta for d in deltas] == ["Hello there.", " General Kenobi."]
    assert "".join(d.delta for d in deltas) == done.text == "Hello there. General Kenobi."
    assert done.usage is not None
    assert (done.usage.input_tokens, done.usage.output_tokens) == (250, 10)
    assert done.usage.total_tokens == 260


def test_closing_the_events_closes_their_source() -> None:
    closed = []

    def source() -> Iterator[bytes]:
        try:
            yield b"x"
            yield b"y"
        finally:
            closed.append(True)

    stream = events.speech_events(source(), characters=1)
    next(stream)
    stream.close()
    assert closed == [True]
