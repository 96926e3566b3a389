"""Chat over HTTP through devhost: documents (text and an uploaded PDF), answers with citations,
sessions owned by their user, the OpenAI SDK against /api/v1/chat/completions, and bad input."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.chat_support import ORBITS, ZORBLANDIA
from tests.utils.auth import new_caller


@pytest.fixture
def client(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=60) as http:
        yield http


@pytest.fixture
def alice() -> dict[str, str]:
    return new_caller("alice")


def two_page_pdf(first: str, second: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in (first, second):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def add_text(client: httpx.Client, who: dict[str, str], text: str, source: str) -> Any:
    response = client.post("/chat/documents", headers=who, json={"text": text, "source": source})
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_a_chat_answer_cites_the_document_and_the_session_is_the_users(client, alice):
    added = add_text(client, alice, ZORBLANDIA, "zorblandia.txt")
    assert added["chunks"] >= 2
    again = client.post("/chat/documents", headers=alice, json={"text": ZORBLANDIA})
    assert again.status_code == 200
    assert again.json()["created"] is False

    reply = client.post(
        "/chat", headers=alice, json={"message": "What is the capital of Zorblandia?"}
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert "Quexton" in body["answer"]
    assert body["citations"][0]["source"] == "zorblandia.txt"
    assert "Quexton" in body["citations"][0]["text"]
    session = body["session_id"]

    history = client.get(f"/chat/sessions/{session}", headers=alice)
    assert history.status_code == 200
    assert [m["role"] for m in history.json()["messages"]] == ["user", "assistant"]
    listed = client.get("/chat/sessions", headers=alice).json()["sessions"]
    assert [s["id"] for s in listed] == [session]

    bob = new_caller("bob")
    assert client.get(f"/chat/sessions/{session}", headers=bob).status_code == 404
    assert client.delete(f"/chat/sessions/{session}", headers=bob).status_code == 404
    stolen = client.post("/chat", headers=bob, json={"message": "hi", "session_id": session})
    assert stolen.status_code == 404
    assert stolen.headers["content-type"] == "application/problem+json"
    assert client.get("/chat/documents", headers=bob).json()["documents"] == []

    assert client.delete(f"/chat/sessions/{session}", headers=alice).status_code == 204
    assert client.get(f"/chat/sessions/{session}", headers=alice).status_code == 404


def test_an_uploaded_pdf_is_cited_by_page(client, alice):
    pdf = two_page_pdf(ORBITS, ZORBLANDIA)
    uploaded = client.post("/media/upload", headers=alice, files={"file": ("atlas.pdf", pdf)})
    assert uploaded.status_code == 201, uploaded.text
    added = client.post("/chat/documents", headers=alice, json={"file_id": uploaded.json()["id"]})
    assert added.status_code == 201, added.text
    assert added.json()["pages"] == 2
    assert added.json()["source"] == "atlas.pdf"
    reply = client.post(
        "/chat", headers=alice, json={"message": "How tall is Mount Ossery in Zorblandia?"}
    ).json()
    best = reply["citations"][0]
    assert best["page"] == 2
    assert "Ossery" in best["text"]
    document = added.json()["id"]
    assert client.delete(f"/chat/documents/{document}", headers=alice).status_code == 204
    assert client.get("/chat/documents", headers=alice).json()["documents"] == []


def test_the_openai_sdk_talks_to_the_platform(app_host, alice):
    from openai import OpenAI

    # The SDK sends its api_key as "Authorization: Bearer": alice's JWT, as OpenAI clients would.
    token = alice["authorization"].removeprefix("Bearer ")
    sdk = OpenAI(
        base_url=f"{app_host}/v1",
        api_key=token,  # nothing else: base URL and key, as Open WebUI configures it
        timeout=60,
    )
    with httpx.Client(base_url=app_host, timeout=60) as client:
        add_text(client, alice, ZORBLANDIA, "zorblandia.txt")
    completion = sdk.chat.completions.create(
        model="default",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is the currency of Zorblandia?"},
        ],
    )
    assert completion.object == "chat.completion"
    answer = completion.choices[0].message.content
    assert answer is not None
    assert "kron" in answer
    assert completion.choices[0].message.role == "assistant"
    assert completion.usage is not None
    streamed = sdk.chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": "Say hello."}],
        stream=True,
        max_tokens=16,
        extra_body={"retrieval": False},
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in streamed if chunk.choices)
    assert text.strip()


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/chat", None, 400),
        ("/chat", {}, 422),
        ("/chat", {"message": ""}, 422),
        ("/chat", {"message": "hi", "options": {"top_k": 0}}, 422),
        ("/chat", {"message": "hi", "session_id": str(uuid.uuid4())}, 404),
        ("/chat", {"message": "x" * 9000}, 413),
        ("/chat/documents", {"text": "a", "file_id": str(uuid.uuid4())}, 422),
        ("/chat/documents", {"file_id": str(uuid.uuid4())}, 404),
        ("/chat/reasoning", {"question": ""}, 422),
        ("/chat/reasoning", {"question": "x" * 9000}, 413),
        ("/v1/chat/completions", {"model": "m", "messages": []}, 422),
        (
            "/v1/chat/completions",
            {"model": "m", "messages": [{"role": "assistant", "content": "x"}]},
            422,
        ),
    ],
)
def test_bad_input_is_a_problem_not_a_crash(client, alice, path, body, status):
    if body is None:  # not JSON at all
        headers = {**alice, "content-type": "application/json"}
        response = client.post(path, headers=headers, content=b"{not json")
    else:
        response = client.post(path, headers=alice, json=body)
    assert response.status_code == status, response.text
    if path.startswith("/v1/"):  # OpenAI's error object, which the openai SDK shows
        assert response.json()["error"]["message"]
    else:
        assert response.headers["content-type"] == "application/problem+json"


def test_reasoning_over_http_returns_steps(client, alice):
    add_text(client, alice, ZORBLANDIA, "zorblandia.txt")
    response = client.post(
        "/chat/reasoning",
        headers=alice,
        json={"question": "What is the national dish of Zorblandia?"},
    )
    assert response.status_code == 200, response.text
    chain = response.json()
    assert [s["kind"] for s in chain["steps"]] == ["retrieve", "relate", "conclude"]
    assert "eel" in chain["answer"]
    assert chain["confidence"] > 0.3
