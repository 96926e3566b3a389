"""A spoken conversation turn: a question as audio in, the answer as text and speech out, streamed.

``hear`` transcribes the question before anything is sent (so a bad clip is a proper 400/413/415/
422, not a broken stream). ``converse_events`` then answers it with the chat pipeline
(retrieval, citations, ``grounded``; the turn is saved in the session) and speaks the answer
while it is written: each sentence is synthesized as soon as its text is complete.

The answer is one Server-Sent Events stream, which a browser (``fetch`` + a stream reader) and the
``openai``-style SSE clients can read, in order:

- ``transcript``: ``{"text"}``, what was heard;
- ``delta``: ``{"text"}``, a piece of the answer as it is written;
- ``audio``: ``{"audio": <base64 WAV>, "text": <the sentence>, "index"}``, one sentence of
  speech, a WAV of its own (16-bit mono) that plays by itself;
- ``done``: the ``ChatResponse`` (``session_id``, ``answer``, ``citations``, ``grounded``...);
- ``error``: a problem object, when the turn fails after the stream started.

The turn counts once against the caller's speech rate limit (``TTS_RATE_LIMIT``), however many
sentences it speaks.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from shared.chat.api import ChatRequest
from shared.chat.streaming import Finished, pieces_then_result
from shared.errors import PayloadTooLargeError, UnprocessableContentError
from shared.http.executor import run_blocking
from shared.http.streams import STREAM_FAILED, error_event, sse_event

# A sentence is complete at . ! ? (or a line break) followed by space: speak it then.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Heard:
    """The question as transcribed."""

    text: str
    seconds: float


def hear(audio: bytes, model: str | None = None) -> Heard:
    """Transcribe a spoken question (blocking). ``model``: a transcription model or alias; by
    default the fastest one (a turn is waited for: whisper-tiny.en answers a short question in
    a fraction of base's time). 400 empty, 415 not audio, 413 longer than a question may be
    (``VOICE_SYNC_MAX_SECONDS``), 422 when no speech was heard or for an unknown model."""
    from shared.config import get_settings
    from shared.voice import audio as audio_codec
    from shared.voice import stt

    decoded = audio_codec.decode(audio)
    limit = get_settings().voice_sync_max_seconds
    if decoded.seconds > limit:
        raise PayloadTooLargeError(
            f"the question is {decoded.seconds:.0f} s long; a spoken turn takes at most {limit:g} s"
        )
    options = stt.TranscribeOptions(model=stt.resolve_model(model))
    text = stt.transcribe(decoded.samples, options).text.strip()
    if not text:
        raise UnprocessableContentError("no speech was heard in the audio")
    return Heard(text, decoded.seconds)


def admit(owner: str, voice: str | None) -> str:
    """The voice to speak with (422 for an unknown one), the turn counted against the caller's
    speech rate limit (429)."""
    from shared.speech.limits import admit_speech
    from shared.voice.tts import resolve_voice

    name = resolve_voice(voice)
    admit_speech(owner)
    return name


def speak_sentence(text: str, voice: str) -> bytes:
    """One sentence as a WAV of its own (blocking); empty when it has nothing to pronounce."""
    from shared.speech import piper
    from shared.speech.synthesizer import wav_bytes
    from shared.voice import audio as audio_codec

    synthesizer = piper.get_synthesizer(voice)
    pcm = b"".join(synthesizer.stream(text))
    if not pcm:
        return b""
    return wav_bytes(audio_codec.normalize_loudness(pcm), synthesizer.sample_rate)


async def converse_events(
    owner: str, heard: Heard, session_id: uuid.UUID | None, voice: str
) -> AsyncIterator[Any]:
    """The events of one turn (see the module docstring)."""
    from shared.chat.service import chat

    yield sse_event({"text": heard.text}, event="transcript")
    request = ChatRequest(message=heard.text, session_id=session_id)
    pending = ""
    spoken = 0
    try:
        async with aclosing(pieces_then_result(lambda sink: chat(owner, request, sink))) as items:
            async for item in items:
                if isinstance(item, Finished):
                    if pending.strip():
                        yield await _audio_event(pending.strip(), voice, spoken)
                    yield sse_event(item.result.model_dump_json(by_alias=True), event="done")
                    return
                yield sse_event({"text": item}, event="delta")
                pending += item
                *complete, pending = _SENTENCE_END.split(pending)
                for sentence in (s.strip() for s in complete):
                    if sentence:
                        yield await _audio_event(sentence, voice, spoken)
                        spoken += 1
    except Exception as exc:
        yield error_event(exc, "spoken turn")
        yield STREAM_FAILED


async def _audio_event(sentence: str, voice: str, index: int) -> bytes:
    wav = await run_blocking(speak_sentence, sentence, voice)
    audio = base64.b64encode(wav).decode()
    return sse_event({"audio": audio, "text": sentence, "index": index}, event="audio")
