"""Text to speech for the audio endpoints: the Piper synthesizer from ``shared.speech.piper``
(its bundled voice plus any listed in ``TTS_EXTRA_VOICES``), loudness-normalised and encoded in
the requested format, cached by voice, speed, format and text.

Every synthesis is counted against the caller's ``TTS_RATE_LIMIT`` (``shared.speech.limits``),
after the request is validated (a refused request costs no token). Text that yields no audio (an
unpronounceable character, punctuation alone) is 422: there is nothing to encode."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.config import get_settings
from shared.errors import BadRequestError, PayloadTooLargeError, UnprocessableContentError
from shared.speech import piper
from shared.voice import cache
from shared.voice.api import SpeechRequest
from shared.voice.model_names import SPEECH_MODEL

# OpenAI's voice names all map to the default voice, so clients written for OpenAI work as is.
OPENAI_VOICES = frozenset(
    {"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse"}
)
# The one speech model served; OpenAI's names (tts-1, tts-1-hd...) are aliases of it
# (TTS_MODEL_ALIASES, resolved by shared.served_models).

_extra_lock = threading.Lock()
_extra_loaded = threading.Event()


def _register_extra_voices() -> None:
    """Register the voices of ``TTS_EXTRA_VOICES`` once per process (paths that do not exist
    are skipped: listing a voice must not break the others)."""
    if _extra_loaded.is_set():
        return
    with _extra_lock:
        for raw in get_settings().tts_extra_voices.split(","):
            path = Path(raw.strip())
            if raw.strip() and path.is_file():
                piper.register_voice(path.name.removesuffix(".onnx"), path)
        _extra_loaded.set()


def voices() -> list[str]:
    _register_extra_voices()
    return piper.voices()


def resolve_voice(name: str | None) -> str:
    _register_extra_voices()
    if not name or name in OPENAI_VOICES:
        return piper.DEFAULT_VOICE
    if name not in piper.voices():
        raise UnprocessableContentError(f"unknown voice {name!r}", voices=piper.voices())
    return name


@dataclass
class Speech:
    """Speech on its way out: ``chunks`` are encoded audio, each sent as soon as it exists.

    A cache hit is one chunk, the whole file. Otherwise the first sentence is already
    synthesized when this is returned (so text with nothing to say is a 422, not a broken
    stream) and the rest is synthesized as ``chunks`` is iterated; closing ``chunks`` stops
    synthesis."""

    chunks: Iterator[bytes]
    media_type: str
    voice: str
    cached: bool

    def read(self) -> bytes:
        """All of the audio: synthesizes what is left (and so caches it)."""
        return b"".join(self.chunks)


def check_text(text: str) -> None:
    """400 for empty text or text that is not valid Unicode; 413 over ``TTS_MAX_CHARS``."""
    if not text.strip():
        raise BadRequestError("input is empty: there is no text to speak")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # JSON can carry a lone surrogate (\ud800); no synthesizer can read it.
        raise BadRequestError("input is not valid Unicode (a lone surrogate)") from None
    limit = get_settings().tts_max_chars
    if len(text) > limit:
        raise PayloadTooLargeError(
            f"input is {len(text)} characters; at most {limit} are spoken synchronously"
        )


def check_model(model: str | None) -> str:
    """The served speech model ``model`` names (None: the default); 422 listing the names."""
    from shared.served_models.names import ModelKind, names, resolve

    if not model:
        return SPEECH_MODEL
    resolved = resolve(ModelKind.SPEECH, model)
    if resolved is None:
        known = sorted(n.id for n in names(ModelKind.SPEECH))
        raise UnprocessableContentError(f"unknown speech model {model[:100]!r}", models=known)
    return resolved


def speak(owner: str, request: SpeechRequest) -> Speech:
    """``POST /api/v1/audio/speech`` for ``owner``: the model checked (422 for one not served),
    then :func:`synthesize` counted against ``owner``'s rate limit."""
    check_model(request.model)
    return synthesize(
        request.input, request.voice, request.speed, request.response_format, owner=owner
    )


def synthesize(
    text: str,
    voice: str | None,
    speed: float,
    response_format: str,
    *,
    owner: str | None = None,
) -> Speech:
    """Speech for ``text``, streamed: 400/413 for bad text (:func:`check_text`), 422 for an
    unknown voice or format and for text that yields no audio, 429 over the caller's rate
    limit, all before the first byte.

    ``owner`` is the caller the synthesis counts against; None: the authenticated caller of
    this request (401 outside one), so no path can synthesize without being counted."""
    from shared.identity import current_owner
    from shared.speech.limits import admit_speech
    from shared.voice import audio

    if response_format not in audio.OUTPUT_FORMATS:
        raise UnprocessableContentError(
            f"response_format {response_format!r} is not supported",
            supported=sorted(audio.OUTPUT_FORMATS),
        )
    check_text(text)
    name = resolve_voice(voice)
    admit_speech(owner if owner is not None else current_owner())
    media_type = audio.media_type_of(response_format)
    key = cache.speech_key(name, speed, response_format, text)
    if (hit := cache.get_speech(key)) is not None:
        return Speech(iter([hit]), media_type, name, cached=True)
    from shared.telemetry.work import model_span

    # The span covers the first sentence (time to first audio); the rest streams after it.
    with model_span("synthesize", name, characters=len(text)):
        chunks = _synthesized(piper.get_synthesizer(name), text, speed, response_format, key)
        first = next(chunks, b"")  # the first sentence, or 422 when no sentence has audio
    return Speech(_starting_with(first, chunks), media_type, name, cached=False)


def _synthesized(
    synthesizer: piper.PiperSynthesizer, text: str, speed: float, response_format: str, key: str
) -> Generator[bytes]:
    """Encoded audio of ``text`` sentence by sentence; the whole goes to the cache when it
    ended normally (and fits). Closing it stops Piper between two sentences."""
    from shared.voice import audio, encoding

    encoder = encoding.StreamEncoder(response_format, synthesizer.sample_rate)
    level = audio.LoudnessLeveler()
    sent: list[bytes] = []
    audible = False
    try:
        for pcm in synthesizer.stream(text, speed=speed):
            audible = audible or bool(pcm)
            if data := encoder.feed(level(pcm)) if pcm else b"":
                sent.append(data)
                yield data
        if not audible:
            # Piper skips what its phonemizer cannot pronounce (unassigned code points, some
            # symbols, punctuation alone); encoders cannot encode zero frames (this was a 500).
            raise UnprocessableContentError(
                "input has nothing the voice can pronounce (no words, digits or speakable"
                " symbols); send text with words in it"
            )
        if tail := encoder.finish():
            sent.append(tail)
            yield tail
    finally:
        encoder.close()
    whole = b"".join(sent)
    cache.put_speech(key, encoding.complete_wav(whole) if response_format == "wav" else whole)


def _starting_with(first: bytes, rest: Generator[bytes]) -> Generator[bytes]:
    """``first``, then ``rest``; closing this closes ``rest`` (and so stops synthesis)."""
    try:
        yield first
        yield from rest
    finally:
        rest.close()


def time_to_first_chunk(text: str, voice: str | None = None) -> float:
    """Seconds until Piper yields its first chunk of ``text`` (benchmarks)."""
    synthesizer = piper.get_synthesizer(resolve_voice(voice))
    started = time.perf_counter()
    next(iter(synthesizer.stream(text)), b"")
    return time.perf_counter() - started
