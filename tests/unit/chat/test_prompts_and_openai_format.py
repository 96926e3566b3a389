"""History windowing keeps the most recent whole messages that fit; the OpenAI-compatible request
is validated like OpenAI's and a streamed answer parses as OpenAI's event stream."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from shared.chat.api import Usage
from shared.chat.openai_api import (
    ChatCompletionRequest,
    ChatCompletionResponse,
    Choice,
    ChoiceMessage,
    as_event_stream,
)
from shared.chat.prompts import fit_history
from shared.llm import ChatMessage


def _words(text: str) -> int:
    return len(text.split())


def test_history_keeps_the_most_recent_whole_messages_that_fit():
    history = [ChatMessage("user", " ".join(["w"] * 10)) for _ in range(5)]
    history.append(ChatMessage("assistant", "short reply"))
    kept = fit_history(history, budget_tokens=30, max_messages=20, count_tokens=_words)
    # each 10-word message costs 14, the reply 6: the reply and one message fit in 30
    assert kept == history[-2:]
    assert (
        fit_history(history, budget_tokens=1000, max_messages=3, count_tokens=_words)
        == (history[-3:])
    )
    assert fit_history(history, budget_tokens=1000, max_messages=0, count_tokens=_words) == []


def test_the_request_must_end_with_a_user_message_and_ask_for_one_choice():
    ok = ChatCompletionRequest.model_validate(
        {"model": "default", "messages": [{"role": "user", "content": "hi"}], "seed": 7}
    )
    assert ok.retrieval is True
    with pytest.raises(ValidationError):
        ChatCompletionRequest.model_validate(
            {"model": "m", "messages": [{"role": "assistant", "content": "hi"}]}
        )
    with pytest.raises(ValidationError):
        ChatCompletionRequest.model_validate(
            {"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": 2}
        )


def test_text_content_parts_are_joined():
    request = ChatCompletionRequest.model_validate(
        {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                }
            ],
        }
    )
    assert request.messages[0].text() == "a\nb"


def test_a_streamed_answer_is_openai_event_stream_ending_with_done():
    response = ChatCompletionResponse(
        id="chatcmpl-1",
        created=1,
        model="m",
        choices=[Choice(message=ChoiceMessage(content="Hello there."))],
        usage=Usage(prompt_tokens=1, completion_tokens=2, total_tokens=3),
        citations=[],
        answer_mode="conversational",
        grounded=False,
        degraded=[],
    )
    events = as_event_stream(response).decode().strip().split("\n\n")
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == "Hello there."
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
