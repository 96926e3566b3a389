"""Over HTTP: every chat response says whether it is grounded, and a question about the caller's
documents that they do not answer gets the no-source answer, on /api/chat and on the
OpenAI-compatible /api/v1/chat/completions (issue #18)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from shared.chat.no_source import NO_SOURCE_ANSWER
from tests.chat_support import ZORBLANDIA
from tests.utils.auth import new_caller


@pytest.fixture
def client(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=120) as http:
        yield http


def test_answers_say_when_they_have_no_source(client):
    caller = new_caller("nosource")
    added = client.post("/chat/documents", headers=caller, json={"text": ZORBLANDIA})
    assert added.status_code == 201, added.text

    cited = client.post("/chat", headers=caller, json={"message": "What is Zorblandia's capital?"})
    absent = client.post("/chat", headers=caller, json={"message": "Who painted the Mona Lisa?"})
    hello = client.post("/chat", headers=caller, json={"message": "Hello there!"})
    openai = client.post(
        "/v1/chat/completions",
        headers=caller,
        json={
            "model": "default",
            "messages": [{"role": "user", "content": "Who wrote Moby-Dick?"}],
        },
    )

    for response in (cited, absent, hello, openai):
        assert response.status_code == 200, response.text
    assert (cited.json()["grounded"], bool(cited.json()["citations"])) == (True, True)
    assert absent.json()["grounded"] is False
    assert absent.json()["answer_mode"] == "no_source"
    assert absent.json()["answer"] == NO_SOURCE_ANSWER
    assert hello.json()["answer_mode"] == "conversational"
    assert openai.json()["grounded"] is False
    assert openai.json()["answer_mode"] == "no_source"
    assert openai.json()["choices"][0]["message"]["content"] == NO_SOURCE_ANSWER


def test_a_reopened_session_still_says_which_answers_had_no_source(client):
    # given a session with a cited answer and then a no-source answer
    caller = new_caller("nosource-history")
    added = client.post("/chat/documents", headers=caller, json={"text": ZORBLANDIA})
    assert added.status_code == 201, added.text
    cited = client.post("/chat", headers=caller, json={"message": "What is Zorblandia's capital?"})
    assert cited.status_code == 200, cited.text
    session_id = cited.json()["session_id"]
    absent = client.post(
        "/chat",
        headers=caller,
        json={"message": "Who painted the Mona Lisa?", "session_id": session_id},
    )
    assert absent.status_code == 200, absent.text

    # when the session is read back
    history = client.get(f"/chat/sessions/{session_id}", headers=caller)

    # then each stored answer keeps its mode and groundedness; questions have neither
    assert history.status_code == 200, history.text
    stored = [(m["role"], m["answer_mode"], m["grounded"]) for m in history.json()["messages"]]
    assert stored == [
        ("user", None, None),
        ("assistant", cited.json()["answer_mode"], True),
        ("user", None, None),
        ("assistant", "no_source", False),
    ]
