"""Speech that cannot be made is the client's error, never a 500; and the per-caller speech rate
limit holds on every path that makes speech (synchronous synthesis and read-aloud jobs share one
window). Real Piper, Redis, PostgreSQL and Azurite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from shared.config import reset_settings
from shared.errors import BadRequestError, RateLimitedError, UnauthorizedError
from shared.errors import UnprocessableContentError as Unprocessable
from shared.voice import tts
from shared.voice.api import SpeechRequest
from tests.utils.pdfs import make_pdf
from tests.utils.queues import private_job_queue


@pytest.fixture
def owner() -> str:
    return f"tests/speech-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def speech_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with private_job_queue(monkeypatch, "speech") as name:
        yield name


@pytest.mark.parametrize(
    "text",
    [
        "\U000526da",  # what JSON "\ud909\udeda" decodes to: an unassigned code point
        "\u200b\u200b",  # zero-width spaces
        "...",
    ],
)
@pytest.mark.parametrize("response_format", ["mp3", "wav"])
def test_text_that_yields_no_audio_is_422(owner: str, text: str, response_format: str) -> None:
    with pytest.raises(Unprocessable, match="nothing the voice can pronounce"):
        tts.synthesize(text, None, 1.0, response_format, owner=owner)


def test_an_emoji_among_words_is_spoken(owner: str) -> None:
    speech = tts.synthesize("Good morning 😀", None, 1.0, "wav", owner=owner)
    assert len(speech.read()) > 1000


def test_a_lone_surrogate_is_a_bad_request(owner: str) -> None:
    with pytest.raises(BadRequestError, match="lone surrogate"):
        tts.synthesize("speak \ud800 this", None, 1.0, "wav", owner=owner)


def test_synthesis_outside_an_authenticated_call_names_no_one_and_is_refused() -> None:
    with pytest.raises(UnauthorizedError):
        tts.synthesize("Who is asking?", None, 1.0, "wav")


def test_speak_resolves_the_model_and_counts_against_the_caller(
    owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTS_RATE_LIMIT", "2")
    reset_settings()
    request = SpeechRequest(model="tts-1-hd", input="Counted once.", response_format="wav")

    tts.speak(owner, request)
    tts.speak(owner, request)  # a cache hit counts too: one budget of requests
    with pytest.raises(RateLimitedError) as refused:
        tts.speak(owner, request)

    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    tts.speak(f"{owner}-other", request)  # per caller
    with pytest.raises(Unprocessable, match="unknown speech model"):
        tts.speak(f"{owner}-third", request.model_copy(update={"model": "tts-9"}))


def test_synchronous_speech_and_read_aloud_jobs_share_one_window(
    owner: str, speech_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.media.documents import submit_speech
    from shared.media.service import upload_file

    monkeypatch.setenv("TTS_RATE_LIMIT", "3")
    monkeypatch.setenv("MAX_CONCURRENT_JOBS", "10")
    reset_settings()
    record, _ = upload_file(owner, make_pdf(1), "doc.pdf")

    def read_aloud() -> object:
        return submit_speech(
            owner,
            record.id,
            first_page=1,
            last_page=1,
            voice="en_US-joe-medium",
            joined=False,
            idempotency_key=None,
        )

    tts.synthesize("One.", None, 1.0, "wav", owner=owner)
    read_aloud()
    tts.synthesize("Two.", None, 1.0, "wav", owner=owner)
    with pytest.raises(RateLimitedError):
        read_aloud()
    with pytest.raises(RateLimitedError):
        tts.synthesize("Three.", None, 1.0, "wav", owner=owner)
