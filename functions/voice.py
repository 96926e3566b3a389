"""Voice endpoints, OpenAI-compatible: speech to text (``v1/audio/transcriptions``, multipart),
text to speech (``v1/audio/speech``, JSON), the installed voices, and the aliases
``voice/recognize`` and ``voice/synthesize``. Long audio becomes a ``transcribe`` job (202).
Logic: ``shared/voice``. Importing this module registers the voice models in the catalog (no
weights are read, no heavy library is imported).
"""

from __future__ import annotations

import functools
import uuid
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

import shared.voice.stt  # noqa: F401 - registers the Whisper models in CATALOG
from shared.auth import Principal, Scope, authorize
from shared.config import get_settings
from shared.errors import BadRequestError, UnprocessableContentError
from shared.http import HttpCall, json_response
from shared.http.api import Api
from shared.http.executor import run_blocking
from shared.http.streams import SSE_HEADERS, StreamedResponse
from shared.jobs.api import JobView, accepted_response
from shared.voice.api import (
    SpeechRequest,
    TranscriptionForm,
    TranscriptionQuery,
    TranscriptionResponse,
    VoicesResponse,
    VoiceView,
)
from shared.voice.formats import MEDIA_TYPES

if TYPE_CHECKING:
    from shared.voice.stt import TranscribeOptions
    from shared.voice.uploads import AudioForm

api = Api(tags=("voice",), scope=Scope.VOICE)
bp = api.blueprint

MULTIPART_OVERHEAD = 64 * 1024
CACHE_HEADER = "X-Voice-Cache"
STT_ERRORS = (400, 413, 415, 422, 429, 503)
TTS_ERRORS = (400, 413, 415, 422, 429, 503)
STREAMED_FORMATS = ("json", "text")  # stream=true: the events are the same for both


def _upload_limit() -> int:
    return get_settings().voice_max_upload_bytes + MULTIPART_OVERHEAD


async def _transcribe(
    request: Request, query: TranscriptionQuery, owner: str, idempotency_key: str | None
) -> Response:
    """Read the upload as it arrives (``shared.voice.uploads``), then transcribe it in a worker
    thread; the received file is let go however the request ends."""
    from shared.voice.uploads import receive_audio_form

    form = await receive_audio_form(request, get_settings().voice_max_upload_bytes)
    try:
        return await run_blocking(_transcribe_form, form, query, owner, idempotency_key)
    finally:
        form.audio.close()


def _transcribe_form(
    form: AudioForm, query: TranscriptionQuery, owner: str, idempotency_key: str | None
) -> Response:
    from shared.voice import formats, service, stt

    parts = form.fields
    response_format = parts.get("response_format") or "json"
    if response_format not in formats.RESPONSE_FORMATS:
        raise UnprocessableContentError(
            f"response_format {response_format!r} is not supported",
            supported=list(formats.RESPONSE_FORMATS),
        )
    granularities = {
        value
        for name, value in form.all_fields
        if name in ("timestamp_granularities[]", "timestamp_granularities")
    }
    stream = _flag(parts.get("stream", ""))
    options = stt.TranscribeOptions(
        model=stt.resolve_model(parts.get("model")),
        language=parts.get("language") or None,
        prompt=parts.get("prompt") or None,
        temperature=_temperature(parts.get("temperature", "")),
        word_timestamps="word" in granularities,
    )
    if stream:
        return _transcript_stream(owner, form.audio.file.read(), options, query, response_format)
    outcome = service.transcribe_upload(
        owner,
        form.audio,
        options,
        force_async=query.async_,
        idempotency_key=idempotency_key,
    )
    if outcome.job is not None:
        return accepted_response(outcome.job)
    assert outcome.transcript is not None
    headers = {CACHE_HEADER: "hit" if outcome.cached else "miss"}
    body = formats.render(outcome.transcript, response_format, options.word_timestamps)
    if isinstance(body, dict):
        return json_response(body, headers=headers)
    return Response(body, headers=headers, media_type=formats.MEDIA_TYPES[response_format])


def _flag(raw: str) -> bool:
    """A multipart boolean as the openai SDK sends it ("true"/"false")."""
    value = raw.strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise UnprocessableContentError(f"stream {raw[:20]!r} is not true or false")


def _transcript_stream(
    owner: str,
    data: bytes,
    options: TranscribeOptions,
    query: TranscriptionQuery,
    response_format: str,
) -> Response:
    from shared.voice import events, service

    if query.async_:
        raise BadRequestError("stream=true and ?async=true exclude each other")
    if response_format not in STREAMED_FORMATS:
        raise BadRequestError(
            f"stream=true answers transcript.text.delta events; response_format"
            f" {response_format!r} cannot stream (use json or text, or leave stream out)"
        )
    streamed = service.stream_upload(owner, data, options)
    headers = {**SSE_HEADERS, CACHE_HEADER: "hit" if streamed.cached else "miss"}
    body = events.transcript_events(streamed.segments, streamed.duration)
    return StreamedResponse(body, headers=headers, media_type="text/event-stream")


def _temperature(raw: str) -> float:
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise UnprocessableContentError(f"temperature {raw!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise UnprocessableContentError("temperature must be between 0 and 1")
    return value


def _speech(body: SpeechRequest, owner: str) -> Response:
    from shared.voice import events, tts

    # Validated, counted against the caller's TTS_RATE_LIMIT and the first sentence synthesized
    # before anything is sent: every refusal is a whole error response.
    speech = tts.speak(owner, body)
    headers = {CACHE_HEADER: "hit" if speech.cached else "miss", "X-Voice": speech.voice}
    if body.stream_format == "sse":
        sse = events.speech_events(speech.chunks, len(body.input))
        return StreamedResponse(
            sse, headers={**SSE_HEADERS, **headers}, media_type="text/event-stream"
        )
    if speech.cached:
        return Response(b"".join(speech.chunks), headers=headers, media_type=speech.media_type)
    return StreamedResponse(speech.chunks, headers=headers, media_type=speech.media_type)


# A transcript in another response_format than JSON (text, srt, vtt), or streamed (stream=true).
TRANSCRIPT_MEDIA_TYPES = (
    *sorted(
        {media_type.split(";")[0] for media_type in MEDIA_TYPES.values()} - {"application/json"}
    ),
    "text/event-stream",
)

# One contract per operation, shared by its OpenAI-style route and its alias (each route must be
# a function of its own in the function index).
stt_endpoint = functools.partial(
    api.post,
    request=TranscriptionForm,
    request_media_type="multipart/form-data",
    response=TranscriptionResponse,
    errors=STT_ERRORS,
    also=((202, JobView),),
    also_media_types=TRANSCRIPT_MEDIA_TYPES,
    streamed_body=True,  # read as it arrives (shared.voice.uploads)
)
tts_endpoint = functools.partial(api.post, errors=TTS_ERRORS, response_media_type="audio/mpeg")


@stt_endpoint(
    "v1/audio/transcriptions",
    "OpenAI-compatible speech to text (multipart: file, model, language, prompt, temperature,"
    " response_format json|text|srt|vtt|verbose_json, stream=true: Server-Sent Events"
    " transcript.text.delta/done); long audio or ?async=true: a job (202)",
)
async def audio_transcriptions(
    request: Request, query: TranscriptionQuery, caller: Principal, idempotency_key: str | None
) -> Response:
    return await _transcribe(request, query, caller.owner, idempotency_key)


@stt_endpoint("voice/recognize", "Speech to text (alias of v1/audio/transcriptions)")
async def voice_recognize(
    request: Request, query: TranscriptionQuery, caller: Principal, idempotency_key: str | None
) -> Response:
    return await _transcribe(request, query, caller.owner, idempotency_key)


@stt_endpoint("v1/voice/recognize", "Speech to text (the seed's route; v1/audio/transcriptions)")
async def voice_recognize_v1(
    request: Request, query: TranscriptionQuery, caller: Principal, idempotency_key: str | None
) -> Response:
    return await _transcribe(request, query, caller.owner, idempotency_key)


@tts_endpoint(
    "v1/audio/speech",
    "OpenAI-compatible text to speech, streamed sentence by sentence (model, input, voice, speed,"
    " response_format wav|pcm|flac|mp3|opus|aac, stream_format audio|sse, instructions ignored)",
)
def audio_speech(body: SpeechRequest, caller: Principal) -> Response:
    return _speech(body, caller.owner)


@tts_endpoint("voice/synthesize", "Text to speech (alias of v1/audio/speech)")
def voice_synthesize(body: SpeechRequest, caller: Principal) -> Response:
    return _speech(body, caller.owner)


@tts_endpoint("v1/voice/synthesize", "Text to speech (the seed's route; v1/audio/speech)")
def voice_synthesize_v1(body: SpeechRequest, caller: Principal) -> Response:
    return _speech(body, caller.owner)


class ConverseForm(BaseModel):
    """``multipart/form-data``: the spoken question in part ``file`` (any audio the
    transcriptions endpoint reads); optional ``session_id`` and ``voice``."""

    file: bytes = Field(description="the question, spoken")
    session_id: uuid.UUID | None = Field(default=None, description="a session to continue")
    model: str | None = Field(
        default=None, description="transcription model (default: the fastest, whisper-tiny.en)"
    )
    voice: str | None = Field(default=None, description="the voice that answers")


def _converse(call: HttpCall, caller: Principal) -> Response:
    from shared.media.multipart import parse_form_parts
    from shared.voice import converse

    authorize(caller, Scope.CHAT)  # the turn is a chat turn too: both scopes
    owner = caller.owner
    parts = parse_form_parts(call.get_body(), call.headers.get("content-type", "")).parts
    if "file" not in parts:
        raise BadRequestError("the form has no file part named 'file'")
    session_id = _form_uuid(parts["session_id"].text()) if "session_id" in parts else None
    voice = converse.admit(owner, parts["voice"].text() if "voice" in parts else None)
    model = parts["model"].text() if "model" in parts else None
    heard = converse.hear(parts["file"].data(), model)
    return StreamedResponse(
        converse.converse_events(owner, heard, session_id, voice),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


def _form_uuid(raw: str) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise UnprocessableContentError(f"session_id {raw[:64]!r} is not a session id") from None


converse_endpoint = functools.partial(
    api.post,
    request=ConverseForm,
    request_media_type="multipart/form-data",
    response_media_type="text/event-stream",
    errors=(*STT_ERRORS, 404),
    body_limit=_upload_limit,
)


@converse_endpoint(
    "voice/converse",
    "A spoken turn: the question transcribed, answered with your documents and spoken back while"
    " it is written (Server-Sent Events: transcript, delta, audio per sentence, done); needs the"
    " voice and chat scopes",
)
def voice_converse(call: HttpCall, caller: Principal) -> Response:
    return _converse(call, caller)


@converse_endpoint("v1/voice/converse", "A spoken turn (alias of voice/converse)")
def voice_converse_v1(call: HttpCall, caller: Principal) -> Response:
    return _converse(call, caller)


@api.get("v1/audio/voices", "The installed voices and output formats")
def audio_voices() -> VoicesResponse:
    from shared.speech.piper import DEFAULT_VOICE
    from shared.voice import audio, tts

    return VoicesResponse(
        voices=[VoiceView(name=v, default=v == DEFAULT_VOICE) for v in tts.voices()],
        formats=sorted(audio.OUTPUT_FORMATS),
    )


__all__ = ["JobView", "bp"]
