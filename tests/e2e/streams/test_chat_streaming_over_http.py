"""Chat answers that arrive while the model writes them, over devhost, with the real clients:
the ``openai`` SDK (sync and async) and LangChain's ``ChatOpenAI(streaming=True)`` on
``/api/v1/chat/completions``, and ``POST /api/chat`` with ``"stream": true``. A client that goes
away stops the model (seen in the model's own counters), and the turn is saved all the same."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.utils.auth import auth_headers

STORY = "Write a long story about a lighthouse keeper and the sea."


@pytest.fixture
def caller() -> dict[str, str]:
    return auth_headers(f"chat-stream-{uuid.uuid4().hex[:8]}", scopes=["chat"])


@pytest.fixture
def client(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=300) as http:
        yield http


def sdk_for(app_host: str, caller: dict[str, str]) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{app_host}/v1",
        api_key=caller["authorization"].removeprefix("Bearer "),
        timeout=300,
    )


def llm_activity(client: httpx.Client) -> dict[str, int]:
    return dict(client.get("/services/status").json()["llm"])


def test_tokens_arrive_as_they_are_generated_with_usage_and_the_extension_fields(
    app_host: str, caller: dict[str, str]
):
    arrivals: list[float] = []
    content = ""
    last = None
    stream = sdk_for(app_host, caller).chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": STORY}],
        max_tokens=48,
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"retrieval": False},
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic())
            content += chunk.choices[0].delta.content
        last = chunk
    # then many chunks, spread over the generation: the first long before the last was made
    assert len(arrivals) >= 10
    assert arrivals[-1] - arrivals[0] > 0.1
    assert content.strip()
    assert last is not None
    assert last.usage is not None  # stream_options.include_usage: the usage chunk comes last
    assert last.usage.completion_tokens >= 10


def test_the_last_chunk_says_whether_the_answer_is_grounded_and_cites(
    app_host: str, client: httpx.Client, caller: dict[str, str]
):
    added = client.post(
        "/chat/documents",
        headers=caller,
        json={"text": "The harbour of Quellmoor closes every Tuesday at noon.", "source": "q.txt"},
    )
    assert added.status_code == 201, added.text
    raw = client.post(
        "/v1/chat/completions",
        headers=caller,
        json={
            "model": "default",
            "stream": True,
            "messages": [{"role": "user", "content": "When does the harbour of Quellmoor close?"}],
        },
    )
    events = [json.loads(line[6:]) for line in raw.text.splitlines() if line.startswith("data: {")]
    final = next(e for e in events if e["choices"] and e["choices"][0]["finish_reason"])
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    assert "tuesday" in text.lower()
    assert final["grounded"] is True
    assert final["citations"][0]["source"] == "q.txt"
    assert raw.text.rstrip().endswith("data: [DONE]")


def test_the_async_sdk_and_langchain_stream_too(app_host: str, caller: dict[str, str]):
    token = caller["authorization"].removeprefix("Bearer ")

    async def scenario() -> int:
        sdk = openai.AsyncOpenAI(base_url=f"{app_host}/v1", api_key=token, timeout=300)
        try:
            stream = await sdk.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": STORY}],
                max_tokens=24,
                stream=True,
                extra_body={"retrieval": False},
            )
            return len([c async for c in stream if c.choices and c.choices[0].delta.content])
        finally:
            await sdk.close()

    assert asyncio.run(scenario()) >= 5

    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(
        model="gpt-4o-mini",
        base_url=f"{app_host}/v1",
        api_key=token,
        streaming=True,
        max_tokens=24,
        extra_body={"retrieval": False},
    )
    pieces = [chunk.content for chunk in chat.stream(STORY) if chunk.content]
    assert len(pieces) >= 5


def test_a_client_that_goes_away_stops_the_model(
    app_host: str, client: httpx.Client, caller: dict[str, str]
):
    before = llm_activity(client)
    max_tokens = 400
    stream = sdk_for(app_host, caller).chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": STORY}],
        max_tokens=max_tokens,
        stream=True,
        extra_body={"retrieval": False},
    )
    received = 0
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            received += 1
            if received == 3:
                break
    stream.close()  # the client goes away
    deadline = time.monotonic() + 30
    while llm_activity(client)["generations_in_flight"] and time.monotonic() < deadline:
        time.sleep(0.1)
    after = llm_activity(client)
    assert after["generations_in_flight"] == 0
    # the model stopped soon after: far fewer pieces than it was allowed to write
    assert after["pieces_generated"] - before["pieces_generated"] < max_tokens / 2


def test_our_chat_streams_events_and_saves_the_turn_even_when_the_client_left(
    client: httpx.Client, caller: dict[str, str]
):
    events: list[tuple[str, str]] = []
    with client.stream(
        "POST",
        "/chat",
        headers=caller,
        json={"message": STORY, "stream": True, "options": {"max_tokens": 48}},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                events.append((event, line[6:]))
    names = [name for name, _ in events]
    assert names.count("delta") >= 5
    assert names[-1] == "done"
    done = json.loads(events[-1][1])
    written = "".join(json.loads(data)["text"] for name, data in events if name == "delta")
    assert written.strip() == done["answer"]
    session = client.get(f"/chat/sessions/{done['session_id']}", headers=caller).json()
    assert session["messages"][-1]["content"] == done["answer"]

    # when a client leaves after three pieces
    marker = f"({uuid.uuid4().hex[:6]})"
    other = f"{marker} {STORY}"
    with client.stream(
        "POST",
        "/chat",
        headers=caller,
        json={"message": other, "stream": True, "options": {"max_tokens": 300}},
    ) as response:
        seen = 0
        lines = response.iter_lines()
        while seen < 3:
            if next(lines).startswith("event: delta"):
                seen += 1
    # then its turn is saved all the same, with what was written (the session is listed as soon
    # as it is created, with no message; the turn lands when the stopped generation returns)
    deadline = time.monotonic() + 30
    saved = None
    while (saved is None or saved["message_count"] == 0) and time.monotonic() < deadline:
        listed = client.get("/chat/sessions", headers=caller).json()["sessions"]
        saved = next((s for s in listed if s["title"].startswith(marker)), None)
        time.sleep(0.2)
    assert saved is not None, listed
    assert saved["message_count"] == 2  # the question and the part of the answer written
