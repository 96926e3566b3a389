"""The seed's routes, called as the seed's clients call them: one credential, no function key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.utils.auth import auth_headers
from tests.voice_support import espeak_wav


@pytest.fixture
def client(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=120) as http:
        yield http


@pytest.fixture
def caller() -> dict[str, str]:
    # A bearer token alone: what an OpenAI-style client or a seed client sends.
    headers = auth_headers(f"seed-{uuid.uuid4().hex[:8]}", scopes=["voice", "chat"])
    return {"authorization": headers["authorization"]}


def test_synthesize_then_recognize_through_the_seed_routes(client, caller):
    spoken = client.post(
        "/v1/voice/synthesize",
        headers=caller,
        json={"input": "The seed routes work.", "response_format": "wav"},
    )
    assert spoken.status_code == 200, spoken.text
    assert spoken.content[:4] == b"RIFF"
    heard = client.post(
        "/v1/voice/recognize",
        headers=caller,
        files={"file": ("question.wav", espeak_wav("Seeds grow into trees."))},
    )
    assert heard.status_code == 200, heard.text
    assert "tree" in heard.json()["text"].lower()


def test_chat_send_and_reasoning_through_the_seed_routes(client, caller):
    added = client.post(
        "/chat/documents",
        headers=caller,
        json={"text": "The lighthouse of Varn is painted green.", "source": "varn.txt"},
    )
    assert added.status_code == 201, added.text
    sent = client.post(
        "/v1/chat/send", headers=caller, json={"message": "What colour is the lighthouse of Varn?"}
    )
    assert sent.status_code == 200, sent.text
    answer = sent.json()
    assert "green" in answer["answer"].lower()
    assert answer["session_id"]
    reasoned = client.post(
        "/v1/chat/reasoning",
        headers=caller,
        json={"question": "What colour is the lighthouse of Varn?"},
    )
    assert reasoned.status_code == 200, reasoned.text
    assert [s["kind"] for s in reasoned.json()["steps"]] == ["retrieve", "relate", "conclude"]


def test_seed_routes_answer_errors_in_openai_shape(client, caller):
    response = client.post("/v1/chat/send", headers=caller, json={"message": ""})
    assert response.status_code == 422
    assert response.json()["error"]["param"] == "message"
