"""Voice endpoints, OpenAI-compatible: speech to text (``v1/audio/transcriptions``, multipart),
text to speech (``v1/audio/speech``, JSON), the installed voices, and the aliases
``voice/recognize`` and ``voice/synthesize``. Long audio becomes a ``transcribe`` job (202).
Logic: ``shared/voice``. Importing this module registers the voice models in the catalog (no
weights are read, no heavy library is imported).
"""

from __future__ import annotations

import functools

import azure.functions as func

import shared.voice.stt  # noqa: F401 - registers the Whisper models in CATALOG
from shared.auth import Scope
from shared.config import get_settings
from shared.errors import BadRequestError, PayloadTooLargeError, UnprocessableContentError
from shared.http import body_bytes, endpoint, json_response, parse_body, parse_query
from shared.idempotency import idempotent
from shared.idempotency.keys import request_key
from shared.identity import current_owner
from shared.jobs.api import JobView, accepted_response
from shared.voice.api import (
    SpeechRequest,
    TranscriptionForm,
    TranscriptionQuery,
    TranscriptionResponse,
    VoicesResponse,
    VoiceView,
)

bp = func.Blueprint()  # type: ignore[no-untyped-call]

MULTIPART_OVERHEAD = 64 * 1024
CACHE_HEADER = "X-Voice-Cache"
STT_ERRORS = (400, 413, 415, 422, 429, 503)
TTS_ERRORS = (400, 413, 415, 422, 503)


def _transcribe(req: func.HttpRequest) -> func.HttpResponse:
    from shared.media.multipart import parse_form_parts
    from shared.voice import formats, service, stt

    limit = get_settings().voice_max_upload_bytes
    form = parse_form_parts(
        body_bytes(req, limit + MULTIPART_OVERHEAD), req.headers.get("content-type", "")
    )
    parts = form.parts
    file_part = parts.get("file")
    if file_part is None:
        raise BadRequestError("the form has no file part named 'file'")
    if file_part.size > limit:
        raise PayloadTooLargeError(f"the file is {file_part.size} bytes; the limit is {limit}")
    response_format = parts["response_format"].text() if "response_format" in parts else "json"
    if response_format not in formats.RESPONSE_FORMATS:
        raise UnprocessableContentError(
            f"response_format {response_format!r} is not supported",
            supported=list(formats.RESPONSE_FORMATS),
        )
    granularities = {
        p.text()
        for p in form.all_parts
        if p.name in ("timestamp_granularities[]", "timestamp_granularities")
    }
    options = stt.TranscribeOptions(
        model=stt.resolve_model(parts["model"].text() if "model" in parts else None),
        language=(parts["language"].text() or None) if "language" in parts else None,
        prompt=(parts["prompt"].text() or None) if "prompt" in parts else None,
        temperature=_temperature(parts["temperature"].text() if "temperature" in parts else ""),
        word_timestamps="word" in granularities,
    )
    query = parse_query(req, TranscriptionQuery)
    outcome = service.transcribe_upload(
        current_owner(),
        file_part.data(),
        options,
        force_async=query.async_,
        idempotency_key=request_key(req),
    )
    if outcome.job is not None:
        return accepted_response(outcome.job)
    assert outcome.transcript is not None
    headers = {CACHE_HEADER: "hit" if outcome.cached else "miss"}
    body = formats.render(outcome.transcript, response_format, options.word_timestamps)
    if isinstance(body, dict):
        return json_response(body, headers=headers)
    return func.HttpResponse(
        body,
        status_code=200,
        mimetype=formats.MEDIA_TYPES[response_format].split(";")[0],
        charset="utf-8",
        headers=headers,
    )


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


def _speech(req: func.HttpRequest) -> func.HttpResponse:
    from shared.voice import tts

    request = parse_body(req, SpeechRequest)
    tts.check_model(request.model)
    speech = tts.synthesize(request.input, request.voice, request.speed, request.response_format)
    headers = {CACHE_HEADER: "hit" if speech.cached else "miss", "X-Voice": speech.voice}
    return func.HttpResponse(
        speech.audio, status_code=200, mimetype=speech.media_type, headers=headers
    )


# One contract per operation, shared by its OpenAI-style route and its alias (each route must be
# a function of its own in the function index).
stt_endpoint = functools.partial(
    endpoint,
    request=TranscriptionForm,
    request_media_type="multipart/form-data",
    query=TranscriptionQuery,
    response=TranscriptionResponse,
    errors=STT_ERRORS,
    tags=("voice",),
    scope=Scope.VOICE,
    also=((202, JobView),),
)
tts_endpoint = functools.partial(
    endpoint,
    request=SpeechRequest,
    errors=TTS_ERRORS,
    tags=("voice",),
    response_media_type="audio/mpeg",
    scope=Scope.VOICE,
)


@bp.route(route="v1/audio/transcriptions", methods=["POST"])
@stt_endpoint(
    "OpenAI-compatible speech to text (multipart: file, model, language, prompt, temperature,"
    " response_format json|text|srt|vtt|verbose_json); long audio or ?async=true: a job (202)"
)
@idempotent()
def audio_transcriptions(req: func.HttpRequest) -> func.HttpResponse:
    return _transcribe(req)


@bp.route(route="voice/recognize", methods=["POST"])
@stt_endpoint("Speech to text (alias of v1/audio/transcriptions)")
@idempotent()
def voice_recognize(req: func.HttpRequest) -> func.HttpResponse:
    return _transcribe(req)


@bp.route(route="v1/audio/speech", methods=["POST"])
@tts_endpoint(
    "OpenAI-compatible text to speech (model, input, voice, speed, response_format"
    " wav|pcm|flac|mp3|opus|aac)"
)
@idempotent()
def audio_speech(req: func.HttpRequest) -> func.HttpResponse:
    return _speech(req)


@bp.route(route="voice/synthesize", methods=["POST"])
@tts_endpoint("Text to speech (alias of v1/audio/speech)")
@idempotent()
def voice_synthesize(req: func.HttpRequest) -> func.HttpResponse:
    return _speech(req)


@bp.route(route="v1/audio/voices", methods=["GET"])
@endpoint(
    "The installed voices and output formats",
    response=VoicesResponse,
    tags=("voice",),
    scope=Scope.VOICE,
)
def audio_voices(req: func.HttpRequest) -> func.HttpResponse:
    from shared.speech.piper import DEFAULT_VOICE
    from shared.voice import audio, tts

    return json_response(
        VoicesResponse(
            voices=[VoiceView(name=v, default=v == DEFAULT_VOICE) for v in tts.voices()],
            formats=sorted(audio.OUTPUT_FORMATS),
        )
    )


__all__ = ["JobView", "bp"]
