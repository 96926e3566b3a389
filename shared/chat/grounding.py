"""Answers that stay within their sources.

``extract_answer`` picks the cited sentences closest to the question (cosine of sentence vectors)
and joins them with their citation marks: an answer that can only say what the passages say.

``check_phrasing`` decides whether a model's rewording of such an answer may replace it: every
number in the rewording must occur in the sources, and most of the extractive answer's content
words must survive (``MIN_CONTENT_RECALL``). A small model that drifts, adds facts or drops the
point fails the check, and the extractive answer is used instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.chat.api import Citation
from shared.chat.chunking import split_sentences

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MAX_SENTENCES = 2
# A second sentence joins the first only when it is nearly as relevant: a weaker one tends to
# answer a different question.
SECOND_SENTENCE_RATIO = 0.9
MIN_CONTENT_RECALL = 0.6
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+|\d+(?:[.,]\d+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A short list on purpose: only words that carry no fact are ignored when comparing answers.
_STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have he her his in is it its of on or she that the "  # noqa: SIM905
    "their them there they this to was were which who will with".split()
)


@dataclass(frozen=True)
class Extracted:
    """The answer text, the 1-based citation numbers it uses, and its best sentence's score."""

    text: str
    used: list[int]
    score: float


def extract_answer(
    query_vector: npt.NDArray[np.float32], citations: list[Citation]
) -> Extracted | None:
    """The best sentences of ``citations`` for the query, each followed by ``[n]`` (n: its
    citation's 1-based number); None without citations."""
    from shared.embeddings.service import embed_checked

    sentences = [
        (number, sentence)
        for number, citation in enumerate(citations, start=1)
        for sentence in split_sentences(citation.text)
    ]
    if not sentences:
        return None
    vectors = embed_checked([sentence for _, sentence in sentences]).vectors
    scores = vectors @ query_vector
    order = sorted(range(len(sentences)), key=lambda i: -float(scores[i]))
    best = float(scores[order[0]])
    chosen = [order[0]]
    for index in order[1:MAX_SENTENCES]:
        if float(scores[index]) >= best * SECOND_SENTENCE_RATIO:
            chosen.append(index)
    chosen.sort()  # in reading order
    parts = [f"{sentences[i][1]} [{sentences[i][0]}]" for i in chosen]
    used = sorted({sentences[i][0] for i in chosen})
    return Extracted(text=" ".join(parts), used=used, score=round(best, 6))


def check_phrasing(phrased: str, extracted: str, sources: list[str]) -> bool:
    """True when ``phrased`` may stand in for ``extracted`` (see the module docstring)."""
    phrased = phrased.strip()
    if not phrased or len(phrased) > 3 * len(extracted) + 40:
        return False
    source_numbers = {n for text in sources for n in _NUMBER.findall(text)}
    if any(number not in source_numbers for number in _NUMBER.findall(phrased)):
        return False
    wanted = _content_words(strip_marks(extracted))
    if not wanted:
        return True
    kept = _content_words(phrased)
    return len(wanted & kept) / len(wanted) >= MIN_CONTENT_RECALL


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP_WORDS}


def strip_marks(text: str) -> str:
    """``text`` without its ``[n]`` citation marks."""
    return re.sub(r"\s*\[\d+\]", "", text)
