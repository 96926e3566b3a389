"""Splitting documents into chunks for retrieval, and chunks into sentences for answers.

A chunk is a run of whole sentences of at most ``max_chars`` characters (a longer sentence is cut
at word boundaries), so a citation quotes readable text. Consecutive chunks share their boundary
sentence when it fits (``overlap_chars``): a fact that spans two chunks is whole in one of them.
Chunks never cross pages, so every citation names one page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# A sentence ends at . ! or ? followed by space and an upper-case letter, digit or quote, or at a
# blank line. Abbreviations such as "e.g. the" stay whole because a lower-case word follows.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])|\n\s*\n")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Chunk:
    """``number`` is 0-based within the document; ``page`` is 1-based or None for plain text."""

    number: int
    page: int | None
    text: str


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` with whitespace collapsed; empty pieces dropped."""
    pieces = (_SPACE.sub(" ", piece).strip() for piece in _SENTENCE_END.split(text))
    return [piece for piece in pieces if piece]


def chunk_pages(
    pages: Iterable[tuple[int | None, str]], *, max_chars: int, overlap_chars: int
) -> list[Chunk]:
    """Chunks of each ``(page, text)`` in order, numbered across the whole document."""
    chunks: list[Chunk] = []
    for page, text in pages:
        for piece in _chunk_text(text, max_chars, overlap_chars):
            chunks.append(Chunk(number=len(chunks), page=page, text=piece))
    return chunks


def _chunk_text(text: str, max_chars: int, overlap_chars: int) -> list[str]:
    sentences = [s for sentence in split_sentences(text) for s in _fit(sentence, max_chars)]
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        if current and size + 1 + len(sentence) > max_chars:
            chunks.append(" ".join(current))
            tail = current[-1]
            carried = len(tail) <= overlap_chars and len(tail) + 1 + len(sentence) <= max_chars
            current, size = ([tail], len(tail)) if carried else ([], 0)
        current.append(sentence)
        size += len(sentence) + (1 if size else 0)
    if current:
        chunks.append(" ".join(current))
    return chunks


def _fit(sentence: str, max_chars: int) -> list[str]:
    """``sentence`` cut at spaces into pieces of at most ``max_chars`` (a word longer than that
    is cut where it must be)."""
    if len(sentence) <= max_chars:
        return [sentence]
    pieces: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        cut = rest.rfind(" ", 0, max_chars + 1)
        cut = cut if cut > 0 else max_chars
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces
