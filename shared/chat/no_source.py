"""When an answer must rest on the caller's knowledge, and when nothing was found to rest it on.

A question is about the caller's knowledge when the caller has documents (or the request asks for
sourced answers: ``require_sources``) and it is not small talk. If retrieval then keeps no passage
(none scored ``CHAT_MIN_SCORE`` or more, or the knowledge base could not be searched), the answer
says that no source was found instead of letting a model answer from what it thinks it knows:
a small model asked about "the capital of Zorblandia" invents one with confidence.

Small talk (greetings, thanks, farewells, questions about the assistant itself) is answered by
the model as before: it states no fact about the caller's world.
"""

from __future__ import annotations

import re

NO_SOURCE_ANSWER = (
    "I found no source for this in your documents, so I can't answer it from them. "
    "Add a document that covers it, or ask about something your documents contain."
)
KNOWLEDGE_BASE_DOWN_ANSWER = (
    "I couldn't search your documents just now, so I can't answer this from them. "
    "Please try again in a moment."
)

_SMALL_TALK = re.compile(
    r"^\s*(?:"
    r"h(?:i|ello|ey|owdy)|good\s+(?:morning|afternoon|evening|night)|greetings|yo|"
    r"thanks?(?:\s+you)?|thank\s+you|thx|cheers|ok(?:ay)?|cool|great|nice|"
    r"bye|goodbye|see\s+you|"
    r"how\s+are\s+you|how'?s\s+it\s+going|what'?s\s+up|"
    r"who\s+are\s+you|what\s+(?:can|do)\s+you\s+do|what\s+are\s+you|help"
    r")\b[\s\w,'!.?]{0,40}$",
    re.IGNORECASE,
)
SMALL_TALK_MAX_WORDS = 8


def is_small_talk(message: str) -> bool:
    """A short greeting, thanks, farewell or question about the assistant itself."""
    return len(message.split()) <= SMALL_TALK_MAX_WORDS and bool(_SMALL_TALK.match(message))


def needs_sources(user_id: str, message: str, *, require_sources: bool) -> bool:
    """Whether an answer to ``message`` must cite the caller's documents (module docstring).

    Asks PostgreSQL whether the caller has documents; when it cannot tell (down), it assumes
    they do: saying "no source" is safe, inventing is not."""
    from shared.chat.repository import chat_repository
    from shared.errors import ServiceUnavailableError

    if is_small_talk(message):
        return False
    if require_sources:
        return True
    try:
        return chat_repository().has_documents(user_id)
    except ServiceUnavailableError:
        return True
