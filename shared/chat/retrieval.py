"""Finding the passages an answer rests on.

``retrieve`` embeds the query, takes the ``CHAT_CANDIDATES`` nearest chunks of the user's
documents (one search across all of them: the cap is on the total, not per document), adds the
passages the session's last answer cited, reranks them all against the query, drops those under
``CHAT_MIN_SCORE`` and keeps the best ``top_k``. With the default bi-encoder reranker the rerank
score is the same cosine the search computed, so only passages without a score are embedded
again; a configured cross-encoder rescores every candidate.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from shared.chat.api import Citation
from shared.chat.documents import COLLECTION, user_filter
from shared.config import get_settings

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from shared.vectors.store import ScoredPoint

# A message that leans on something said before is read together with the previous user message
# ("When was it founded?" after "What is the capital of Zorblandia?"): one with a referring word,
# one that goes on from the last ("And the population?", "What about exports?"), or a short one
# that names nothing of its own ("Population?"). A short question that names its own subject
# ("Who painted the Mona Lisa?") stands alone: joined to an unrelated previous question it would
# find that question's passages and be answered from them.
_FOLLOW_UP = re.compile(
    r"\b(it|its|it's|they|them|their|this|that|these|those|he|she|his|her|there|then|also|"
    r"else|more|why|how come)\b",
    re.IGNORECASE,
)
_GOES_ON = re.compile(r"^\W*(and|or|but|so|what about|how about)\b", re.IGNORECASE)
FOLLOW_UP_MAX_WORDS = 8


@dataclass(frozen=True)
class Retrieved:
    """The kept passages, best first, and the query vector they were scored against."""

    citations: list[Citation]
    query: str
    query_vector: npt.NDArray[np.float32]


def retrieval_query(message: str, previous_user_message: str | None) -> str:
    """The text to search with: the message, joined to the previous question for a follow-up."""
    if previous_user_message and _is_follow_up(message):
        return f"{previous_user_message}\n{message}"
    return message


def _is_follow_up(message: str) -> bool:
    text = message.strip()
    if _FOLLOW_UP.search(text) or _GOES_ON.search(text):
        return True
    words = text.split()
    return len(words) <= FOLLOW_UP_MAX_WORDS and not _names_its_own_subject(words)


def _names_its_own_subject(words: list[str]) -> bool:
    """A capitalised word that does not start a sentence: a name the message brings itself."""
    return any(
        word[:1].isupper() and not before.endswith((".", "!", "?"))
        for before, word in pairwise(words)
    )


def retrieve(
    user_id: str, query: str, top_k: int, carried: list[Citation] | None = None
) -> Retrieved:
    """The best ``top_k`` passages for ``query`` among the user's documents and ``carried``."""
    from shared.embeddings.service import embed
    from shared.vectors.factory import get_vector_store
    from shared.vectors.store import VectorQuery

    settings = get_settings()
    embedded = embed([query], field="message")
    query_vector = embedded.vectors[0]
    found = get_vector_store().search(
        COLLECTION,
        user_id,
        VectorQuery(
            vector=query_vector.tolist(),
            filter=user_filter(user_id),
            limit=settings.chat_candidates,
        ),
    )
    # (passage, search score); carried passages have no score against this query yet.
    candidates: dict[tuple[uuid.UUID, int], tuple[Citation, float | None]] = {}
    for point in found:
        citation = _citation(point)
        candidates[(citation.document_id, citation.chunk)] = (citation, citation.score)
    for old in carried or []:
        candidates.setdefault((old.document_id, old.chunk), (old, None))
    ranked = _rerank(query, query_vector, list(candidates.values()))
    kept = [c for c in ranked if c.score >= settings.chat_min_score][:top_k]
    return Retrieved(citations=kept, query=query, query_vector=query_vector)


def _citation(point: ScoredPoint) -> Citation:
    payload = point.payload
    return Citation(
        document_id=uuid.UUID(payload["document_id"]),
        source=payload.get("source", ""),
        page=payload.get("page"),
        chunk=int(payload.get("chunk", 0)),
        score=float(point.score),
        text=payload.get("_text", ""),
    )


def _rerank(
    query: str,
    query_vector: npt.NDArray[np.float32],
    candidates: list[tuple[Citation, float | None]],
) -> list[Citation]:
    """Candidates rescored against the query, best first."""
    from shared.inference.cross_encoder import CrossEncoder
    from shared.inference.text_models import get_reranker

    if not candidates:
        return []
    reranker = get_reranker()
    if isinstance(reranker, CrossEncoder):
        scores = [float(s) for s in reranker.score(query, [c.text for c, _ in candidates])]
    else:
        scores = _cosines(query_vector, candidates)
    rescored = [
        citation.model_copy(update={"score": round(score, 6)})
        for (citation, _), score in zip(candidates, scores, strict=True)
    ]
    return sorted(rescored, key=lambda c: -c.score)


def _cosines(
    query_vector: npt.NDArray[np.float32], candidates: list[tuple[Citation, float | None]]
) -> list[float]:
    """The search's cosine where there is one; the others (carried passages) embedded now."""
    from shared.embeddings.service import embed_checked

    scores = [score for _, score in candidates]
    missing = [i for i, score in enumerate(scores) if score is None]
    if missing:
        vectors = embed_checked([candidates[i][0].text for i in missing]).vectors
        for i, value in zip(missing, vectors @ query_vector, strict=True):
            scores[i] = float(value)
    return [score if score is not None else 0.0 for score in scores]
