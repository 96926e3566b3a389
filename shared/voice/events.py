"""Server-Sent Events of the voice endpoints, in the shapes OpenAI sends and its SDK parses.

Speech (``stream_format: "sse"``): ``speech.audio.delta`` events whose ``audio`` is base64 of the
next piece of the encoded file, then one ``speech.audio.done`` with ``usage``. Piper has no
tokens: ``input_tokens`` counts the input's characters (what OpenAI bills ``tts-1`` by),
``output_tokens`` is 0.

Transcription (``stream=true``): one ``transcript.text.delta`` per decoded segment (joined, the
deltas are the text: each after the first starts with a space), then ``transcript.text.done``
with the text and ``usage`` of type ``tokens``: ``input_tokens`` are audio tokens as Whisper's
encoder counts them (50 a second) and ``output_tokens`` the text tokens decoded.

Each generator closes its source however it ends, so a client that goes away stops the work.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Generator, Iterator

from shared.http.streams import sse_event
from shared.voice.stt import Segment

DELTA_BYTES = 48 * 1024  # audio per delta at most (a cached file is sent in pieces of this)
AUDIO_TOKENS_PER_SECOND = 50  # Whisper's encoder: 1,500 positions per 30 s window


def _closing(source: Iterator[object]) -> None:
    close = getattr(source, "close", None)
    if close is not None:
        close()


def speech_events(chunks: Iterator[bytes], characters: int) -> Generator[bytes]:
    """``chunks`` of encoded audio as ``speech.audio.delta`` events, then ``speech.audio.done``."""
    try:
        for chunk in chunks:
            for start in range(0, len(chunk), DELTA_BYTES):
                piece = base64.b64encode(chunk[start : start + DELTA_BYTES]).decode("ascii")
                yield sse_event(
                    {"type": "speech.audio.delta", "audio": piece}, event="speech.audio.delta"
                )
    finally:
        _closing(chunks)
    usage = {"input_tokens": characters, "output_tokens": 0, "total_tokens": characters}
    yield sse_event({"type": "speech.audio.done", "usage": usage}, event="speech.audio.done")


def transcript_events(segments: Iterator[Segment], duration: float) -> Generator[bytes]:
    """``segments`` as ``transcript.text.delta`` events, then ``transcript.text.done``."""
    texts: list[str] = []
    output_tokens = 0
    try:
        for segment in segments:
            output_tokens += segment.tokens
            if not segment.text:
                continue
            delta = segment.text if not texts else " " + segment.text
            texts.append(segment.text)
            yield sse_event(
                {"type": "transcript.text.delta", "delta": delta}, event="transcript.text.delta"
            )
    finally:
        _closing(segments)
    audio_tokens = math.ceil(duration * AUDIO_TOKENS_PER_SECOND)
    usage = {
        "type": "tokens",
        "input_tokens": audio_tokens,
        "input_token_details": {"audio_tokens": audio_tokens, "text_tokens": 0},
        "output_tokens": output_tokens,
        "total_tokens": audio_tokens + output_tokens,
    }
    done = {"type": "transcript.text.done", "text": " ".join(texts).strip(), "usage": usage}
    yield sse_event(done, event="transcript.text.done")
