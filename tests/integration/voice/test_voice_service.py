"""Speech to text and text to speech with the real models, Redis, PostgreSQL and Azurite."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest

from shared.jobs.models import JobStatus
from shared.voice import model_names, service, stt, tts
from shared.voice.wer import word_error_rate
from tests.utils.queues import private_job_queue
from tests.voice_support import TEXT, espeak_wav, silence_wav


@pytest.fixture
def owner() -> str:
    return f"key:voice-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def transcribe_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Transcribe jobs of the test go to a queue of their own."""
    with private_job_queue(monkeypatch, "transcribe") as name:
        yield name


def test_tiny_en_transcribes_generated_speech_under_10_percent_wer(owner: str) -> None:
    from shared.voice.store import voice_repository

    data = espeak_wav()
    outcome = service.transcribe_upload(owner, data, stt.TranscribeOptions())
    assert outcome.transcript is not None
    assert word_error_rate(TEXT, outcome.transcript.text) < 0.10
    assert outcome.transcript.segments
    assert outcome.transcript.language == "en"

    import hashlib

    row = voice_repository().get_sample(owner, hashlib.sha256(data).hexdigest())
    assert row is not None
    assert row["status"] == "done"
    assert row["metadata"]["model"] == model_names.TINY_EN


def test_the_second_call_is_served_from_the_cache_without_running_the_model(owner: str) -> None:
    from shared.voice import cache

    data = espeak_wav("A cached sentence that is transcribed only once.", speed=160)
    options = stt.TranscribeOptions(word_timestamps=True)
    with contextlib.suppress(Exception):
        import hashlib

        from shared.stores.redis import RedisService, get_redis

        get_redis(RedisService.VOICE).delete(
            cache.transcript_key(hashlib.sha256(data).hexdigest(), options)
        )
    runs = stt.RUNS.runs
    first = service.transcribe_upload(owner, data, options)
    assert stt.RUNS.runs == runs + 1
    assert not first.cached
    second = service.transcribe_upload(owner, data, options)
    assert stt.RUNS.runs == runs + 1
    assert second.cached
    assert second.transcript == first.transcript
    assert first.transcript is not None
    assert any(s.words for s in first.transcript.segments)


def test_silence_is_an_empty_transcript_not_an_error(owner: str) -> None:
    outcome = service.transcribe_upload(owner, silence_wav(3.0), stt.TranscribeOptions())
    assert outcome.transcript is not None
    assert outcome.transcript.text == ""


def test_piper_speech_transcribes_back_to_its_text(owner: str) -> None:
    from shared.voice import audio

    text = "The library opens early in the morning and closes late in the evening."
    speech = tts.synthesize(text, None, 1.0, "flac", owner=owner)
    decoded = audio.decode(speech.read())
    transcript = stt.transcribe(decoded.samples, stt.TranscribeOptions())
    assert word_error_rate(text, transcript.text) < 0.10


def test_speech_is_cached_by_voice_text_and_format(owner: str) -> None:
    text = f"Cache check number {uuid.uuid4().int % 1000}."
    first = tts.synthesize(text, "alloy", 1.0, "opus", owner=owner)
    first_audio = first.read()  # cached once it has been synthesized whole
    second = tts.synthesize(text, "en_US-joe-medium", 1.0, "opus", owner=owner)
    assert not first.cached
    assert second.cached
    assert first_audio == second.read()
    assert not tts.synthesize(text, None, 1.0, "wav", owner=owner).cached


def test_long_audio_becomes_a_transcribe_job_that_stores_the_transcript(
    owner: str, transcribe_queue: str
) -> None:
    from shared.jobs.queues import poison_name
    from shared.jobs.results import read_result
    from shared.jobs.runner import run_until_empty
    from shared.jobs.service import get_job, worker_job_repository
    from shared.stores.storage import get_queue
    from shared.voice.handlers import transcribe_audio

    outcome = service.transcribe_upload(
        owner, espeak_wav(), stt.TranscribeOptions(), force_async=True
    )
    assert outcome.job is not None
    assert outcome.transcript is None
    summary = run_until_empty(
        "transcribe",
        transcribe_audio,
        queue_name=transcribe_queue,
        repo=worker_job_repository(),
        queue=get_queue(transcribe_queue),
        poison=get_queue(poison_name(transcribe_queue)),
    )
    assert summary.outcomes == {"succeeded": 1}
    done = get_job(owner, outcome.job.id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.result is not None
    assert word_error_rate(TEXT, done.result["text"]) < 0.10
    assert read_result(outcome.job.id, "transcript.json") is not None
