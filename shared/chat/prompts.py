"""The prompts sent to the language model, and fitting a conversation into its context window.

Three uses: ``grounded_messages`` (a capable backend answers from numbered passages and cites
them), ``phrasing_messages`` (the small embedded model rewords an answer built from the passages;
it is given nothing else to say) and ``conversation_messages`` (no passage was relevant: the
model answers from the conversation alone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from shared.chat.api import Citation
from shared.chat.grounding import strip_marks

if TYPE_CHECKING:
    from shared.llm import ChatMessage

# Tokens kept free besides the answer: chat-template markup the counts do not see.
TEMPLATE_MARGIN_TOKENS = 64

GROUNDED_SYSTEM = (
    "You answer questions using only the numbered passages below. Cite the passages you use as "
    "[1], [2] and so on. If the passages do not contain the answer, say that you do not know."
)
PHRASING_SYSTEM = (
    "Rewrite the given answer as one or two clear sentences. Keep every fact and number exactly "
    "as given. Do not add anything."
)
CONVERSATION_SYSTEM = "You are a helpful, concise assistant."


def _message(role: str, content: str) -> ChatMessage:
    from shared.llm import ChatMessage

    return ChatMessage(role=role, content=content)  # type: ignore[arg-type]


def passages_block(citations: Sequence[Citation]) -> str:
    return "\n\n".join(
        f"[{n}] ({c.source}{f', page {c.page}' if c.page else ''}) {c.text}"
        for n, c in enumerate(citations, start=1)
    )


def grounded_messages(
    question: str,
    citations: Sequence[Citation],
    history: Sequence[ChatMessage],
    related: Sequence[str],
    system: str | None = None,
) -> list[ChatMessage]:
    parts = [system or GROUNDED_SYSTEM, "Passages:\n" + passages_block(citations)]
    if related:
        parts.append("Topics this user has asked about before: " + ", ".join(related))
    return [_message("system", "\n\n".join(parts)), *history, _message("user", question)]


def phrasing_messages(question: str, extracted: str) -> list[ChatMessage]:
    return [
        _message("system", PHRASING_SYSTEM),
        _message("user", f"Question: {question}\nAnswer: {strip_marks(extracted)}"),
    ]


def conversation_messages(
    question: str, history: Sequence[ChatMessage], system: str | None = None
) -> list[ChatMessage]:
    return [
        _message("system", system or CONVERSATION_SYSTEM),
        *history,
        _message("user", question),
    ]


def fit_history(
    history: Sequence[ChatMessage],
    *,
    budget_tokens: int,
    max_messages: int,
    count_tokens: Callable[[str], int],
) -> list[ChatMessage]:
    """The most recent messages of ``history`` that fit in ``budget_tokens`` (and number at most
    ``max_messages``), oldest first. Whole messages only: a cut message misleads more than a
    missing one."""
    kept: list[ChatMessage] = []
    used = 0
    for item in reversed(history[-max_messages:] if max_messages else []):
        cost = count_tokens(item.content) + 4  # role markers
        if used + cost > budget_tokens:
            break
        kept.append(item)
        used += cost
    kept.reverse()
    return kept
