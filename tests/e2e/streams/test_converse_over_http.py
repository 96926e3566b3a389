"""A spoken conversation turn over devhost: a question spoken into ``POST /api/voice/converse``
comes back as its transcript, a cited answer written and spoken while it is made, and audio that
transcribes back to that answer."""

from __future__ import annotations

import base64
import io
import json
import uuid
import wave
from collections.abc import Iterator

import httpx
import pytest

from tests.utils.auth import auth_headers
from tests.voice_support import espeak_wav


@pytest.fixture
def client(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=300) as http:
        yield http


def events_of(response: httpx.Response) -> list[tuple[str, dict]]:
    events, name = [], ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:])))
    return events


def joined_wav(clips: list[bytes]) -> bytes:
    frames, rate = [], 22050
    for clip in clips:
        with wave.open(io.BytesIO(clip)) as wav:
            rate = wav.getframerate()
            frames.append(wav.readframes(wav.getnframes()))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(frames))
    return out.getvalue()


def test_a_spoken_question_is_answered_in_text_and_speech_with_its_source(client):
    caller = auth_headers(f"converse-{uuid.uuid4().hex[:8]}", scopes=["voice", "chat"])
    added = client.post(
        "/chat/documents",
        headers=caller,
        json={"text": "The city museum opens at nine in the morning.", "source": "museum.txt"},
    )
    assert added.status_code == 201, added.text

    with client.stream(
        "POST",
        "/voice/converse",
        headers=caller,
        files={"file": ("question.wav", espeak_wav("When does the city museum open?"))},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = events_of(response)

    names = [name for name, _ in events]
    assert names[0] == "transcript"
    assert "museum" in events[0][1]["text"].lower()
    assert "audio" in names
    assert names[-1] == "done"
    done = events[-1][1]
    assert done["grounded"] is True
    assert done["citations"][0]["source"] == "museum.txt"
    assert "nine" in done["answer"].lower() or "9" in done["answer"]
    # the first audio left before the answer was done being written
    assert names.index("audio") < len(names) - 1
    # and the speech says the answer: it transcribes back to its words
    clips = [base64.b64decode(data["audio"]) for name, data in events if name == "audio"]
    heard = client.post(
        "/v1/audio/transcriptions",
        headers=caller,
        files={"file": ("answer.wav", joined_wav(clips))},
    )
    assert heard.status_code == 200, heard.text
    said = heard.json()["text"].lower()
    assert "nine" in said or "9" in said


def test_a_turn_needs_the_chat_scope_as_well_and_audio_with_speech(client):
    voice_only = auth_headers(f"converse-{uuid.uuid4().hex[:8]}", scopes=["voice"])
    refused = client.post(
        "/voice/converse", headers=voice_only, files={"file": ("q.wav", espeak_wav("Hello."))}
    )
    assert refused.status_code == 403
    both = auth_headers(f"converse-{uuid.uuid4().hex[:8]}", scopes=["voice", "chat"])
    not_audio = client.post(
        "/v1/voice/converse", headers=both, files={"file": ("q.wav", b"not audio at all" * 50)}
    )
    assert not_audio.status_code == 415
    assert not_audio.json()["error"]["message"]
