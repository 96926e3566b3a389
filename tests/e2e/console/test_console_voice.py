"""The Voice page in headless Chromium against devhost, with a fake microphone fed by a WAV of
speech (espeak-ng, tests/voice_support.py): the recording's transcript appears, typed text is
heard while it streams (Web Audio got audio and played it), and a spoken question gets its
transcript, an answer and the answer's speech."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from devhost.browser import chromium
from tests.utils.browser import (
    axe_violations,
    console_context,
    page_errors,
    screenshot,
    sign_in,
)
from tests.voice_support import espeak_wav

QUESTION = "What is the capital of France?"


@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("voice") / "question.wav"
    path.write_bytes(espeak_wav(QUESTION, speed=140))
    return path


@pytest.fixture(scope="module")
def browser(spoken_wav: Path) -> Iterator[Browser]:
    """Chromium whose microphone plays ``spoken_wav`` (looped), allowed without a prompt, and
    which plays audio without a prior gesture (the headless page has no speakers either way)."""
    flags = (
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={spoken_wav}",
        "--autoplay-policy=no-user-gesture-required",
    )
    with chromium(extra_flags=flags) as launched:
        yield launched


def record(page: Page, button: str, seconds: int) -> None:
    """Press ``button``, let the fake microphone speak for ``seconds``, then stop."""
    page.get_by_role("button", name=button).click()
    expect(page.get_by_text(f"Recording… {seconds} s")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name=re.compile("^Stop recording")).click()


def seconds(region: Locator, what: str) -> float:
    """The seconds of audio a Playback line shows (``what``: "Audio received" or "Audio played")."""
    return float(region.get_by_role("status", name=what).inner_text().split()[0])


def test_recording_is_transcribed_as_it_is_decoded(
    browser: Browser, console_url: str, api_key: str
):
    with console_context(browser) as context:
        page = context.new_page()
        errors = page_errors(page)
        sign_in(page, console_url, api_key)
        page.get_by_role("link", name="Voice").click()
        expect(page.get_by_role("heading", name="Voice", level=1)).to_be_visible()
        with page.expect_response(re.compile(r"/api/v1/audio/transcriptions$")) as answered:
            record(page, "Record", 4)
        # asked with stream=true: segments come as Server-Sent Events while they are decoded
        assert answered.value.headers["content-type"].startswith("text/event-stream")
        transcript = page.get_by_role("status", name="Transcript")
        expect(transcript).to_contain_text(re.compile(r"capital \w+ France", re.I), timeout=60_000)
        screenshot(page, "voice")
        assert axe_violations(page) == []
        assert errors == []


def test_typed_text_is_heard_while_it_streams(browser: Browser, console_url: str, api_key: str):
    with console_context(browser) as context:
        page = context.new_page()
        errors = page_errors(page)
        sign_in(page, console_url, api_key)
        page.get_by_role("link", name="Voice").click()
        page.get_by_label("Text to read aloud").fill(
            "The first sentence is about rivers. The second sentence is about mountains."
        )
        page.get_by_role("button", name="Speak").click()
        speak = page.get_by_role("region", name="Text to speech")
        played = speak.get_by_role("status", name="Audio played")
        # audio plays while the rest still streams, then everything received has been played
        expect(played).not_to_have_text("0.0 s played", timeout=60_000)
        expect(played).to_contain_text("all played", timeout=60_000)
        received = seconds(speak, "Audio received")
        assert received > 1  # two sentences of speech, not a click
        assert seconds(speak, "Audio played") == received
        screenshot(page, "voice-speak")
        assert errors == []


def test_a_spoken_question_is_answered_aloud(browser: Browser, console_url: str, api_key: str):
    with console_context(browser) as context:
        page = context.new_page()
        errors = page_errors(page)
        sign_in(page, console_url, api_key)
        page.get_by_role("link", name="Voice").click()
        record(page, "Ask by voice", 4)
        converse = page.get_by_role("region", name="Talk to the assistant")
        expect(converse).to_contain_text(re.compile(r"You asked.*capital \w+ France", re.I | re.S),
                                         timeout=60_000)  # fmt: skip
        # the answer's sentences arrive as text and as speech, which plays
        played = converse.get_by_role("status", name="Audio played")
        expect(played).not_to_have_text("0.0 s played", timeout=120_000)
        expect(converse.locator(".badge")).to_be_visible(timeout=120_000)  # done: grounded or not
        expect(played).to_contain_text("all played", timeout=60_000)
        assert seconds(converse, "Audio played") == seconds(converse, "Audio received") > 1
        screenshot(page, "voice-converse")
        assert axe_violations(page) == []
        assert errors == []
