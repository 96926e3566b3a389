"""Redis caches: transcripts keyed by the audio's sha256 and the options
(``voice:cache:{sha256}:{options}``), synthesized speech by voice, speed, format and text
(``voice:tts:{digest}``). TTL ``VOICE_CACHE_TTL_SECONDS`` (0: off). A Redis outage degrades to
no cache (logged), never to an error."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from shared.config import get_settings

if TYPE_CHECKING:
    from shared.voice.stt import TranscribeOptions, Transcript

logger = logging.getLogger(__name__)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def transcript_key(audio_sha256: str, options: TranscribeOptions) -> str:
    return f"voice:cache:{audio_sha256}:{_digest(options.cache_key())}"


def speech_key(voice: str, speed: float, response_format: str, text: str) -> str:
    return f"voice:tts:{_digest(f'{voice}|{speed:g}|{response_format}|{text}')}"


def _get(key: str) -> bytes | None:
    import redis

    from shared.resilience import DependencyOpenError, redis_guard
    from shared.stores.redis import RedisService, get_redis

    if get_settings().voice_cache_ttl_seconds <= 0:
        return None
    try:
        with redis_guard():
            value = get_redis(RedisService.VOICE).get(key)
    except (redis.RedisError, DependencyOpenError) as exc:
        logger.warning("voice cache read failed: %s", exc)
        return None
    return value if isinstance(value, bytes) else None


def _set(key: str, value: bytes) -> None:
    import redis

    from shared.resilience import DependencyOpenError, redis_guard
    from shared.stores.redis import RedisService, get_redis

    ttl = get_settings().voice_cache_ttl_seconds
    if ttl <= 0:
        return
    try:
        with redis_guard():
            get_redis(RedisService.VOICE).set(key, value, ex=ttl)
    except (redis.RedisError, DependencyOpenError) as exc:
        logger.warning("voice cache write failed: %s", exc)


def get_transcript(audio_sha256: str, options: TranscribeOptions) -> Transcript | None:
    from shared.voice.stt import Transcript

    raw = _get(transcript_key(audio_sha256, options))
    if raw is None:
        return None
    try:
        data: dict[str, Any] = json.loads(raw)
        return Transcript.from_json(data)
    except (ValueError, KeyError, TypeError):
        return None


def put_transcript(audio_sha256: str, options: TranscribeOptions, transcript: Transcript) -> None:
    _set(transcript_key(audio_sha256, options), json.dumps(transcript.as_json()).encode())


def get_speech(key: str) -> bytes | None:
    return _get(key)


def put_speech(key: str, audio: bytes) -> None:
    if len(audio) <= get_settings().voice_cache_max_bytes:
        _set(key, audio)
