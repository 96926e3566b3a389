"""``POST /api/suggestions``: ranked, explained suggestions for one input.

Two sources, each a declared step with its fallback:

- known patterns (Qdrant, ``suggest_patterns``): the caller's stored patterns most similar to
  the input; score = similarity x (1 + 0.1 x log(1 + times the pattern was seen)). Evidence: the
  similarity, the pattern's representative examples, its size and trend.
- the knowledge graph (``relate``): concepts linked to the input's concepts; score =
  0.5 x weight / strongest weight (a graph link alone never outranks a close pattern match).
  Evidence: the link ("<concept> -- <via>", weight). A related concept that is also one of a
  matched pattern's top terms adds its link to that pattern's evidence.

Suggestions are ranked by score; each names the pattern (or concept) and evidence behind it.
"""

from __future__ import annotations

import math

from shared.config import get_settings
from shared.core import knowledge
from shared.core.api import Suggestion, SuggestionsRequest, SuggestionsResponse
from shared.core.clients import embeddings_client
from shared.core.pipeline import Trace
from shared.errors import BadRequestError, PayloadTooLargeError
from shared.graph.base import RelatedConcept

GRAPH_WEIGHT = 0.5


def suggest(owner: str, request: SuggestionsRequest) -> SuggestionsResponse:
    """Ranked suggestions for ``request.text`` (see the module docstring)."""
    from shared.graph.concepts import extract_concepts

    settings = get_settings()
    if not request.text.strip():
        raise BadRequestError("text is empty")
    if len(request.text) > settings.embeddings_max_chars:
        raise PayloadTooLargeError(
            f"text has {len(request.text)} characters; the limit is {settings.embeddings_max_chars}"
        )
    trace = Trace()
    vector = trace.timed("embed", lambda: embeddings_client().embed([request.text]))
    concepts = extract_concepts(request.text, limit=8)
    threshold = settings.core_suggest_min_similarity

    def known() -> list[knowledge.KnownPattern]:
        return knowledge.nearest(owner, vector, min_similarity=threshold, limit=request.limit)[0]

    patterns = trace.run("suggest_patterns", known, _no_patterns)
    related = _related(owner, concepts, trace)
    suggestions = [_from_pattern(p, related) for p in patterns]
    strongest = max((r.weight for r in related), default=1)
    suggestions.extend(_from_concept(r, strongest) for r in related)
    suggestions.sort(key=lambda s: (-s.score, s.suggestion))
    ranked = [s.model_copy(update={"rank": i + 1}) for i, s in enumerate(suggestions)]
    return SuggestionsResponse(
        suggestions=ranked[: request.limit],
        concepts=concepts,
        steps=trace.steps,
        degraded=trace.degraded,
    )


def _related(owner: str, concepts: list[str], trace: Trace) -> list[RelatedConcept]:
    if not concepts:
        trace.skip("relate", "no concepts in the text")
        return []

    def related() -> list[RelatedConcept]:
        from shared.graph import GraphUnavailableError, get_graph
        from shared.resilience import guard

        with guard("graph", counts=(GraphUnavailableError,)):
            return get_graph().related(owner, concepts, limit=10)

    return trace.run("relate", related, _no_links, without="suggestions without related concepts")


def _no_patterns() -> list[knowledge.KnownPattern]:
    return []


def _no_links() -> list[RelatedConcept]:
    return []


def _from_pattern(pattern: knowledge.KnownPattern, related: list[RelatedConcept]) -> Suggestion:
    payload = pattern.payload
    name = str(payload.get("name", ""))
    seen = int(payload.get("times_seen", 1))
    size = int(payload.get("size", 0))
    trend = payload.get("trend")
    terms = set(payload.get("top_terms", []))
    examples = [str(e) for e in payload.get("representatives", [])][:3]
    evidence = [f"similarity {pattern.similarity:.2f} to known pattern '{name}'"]
    evidence += [f"example: {e}" for e in examples]
    evidence += [
        f"graph: {r.name} -- {r.via} (weight {r.weight})" for r in related if r.name in terms
    ]
    score = pattern.similarity * (1 + 0.1 * math.log1p(seen))
    trend_text = f", trend {trend}" if trend else ""
    return Suggestion(
        rank=0,
        kind="pattern",
        suggestion=f"Treat as the recurring pattern '{name}'",
        score=round(score, 4),
        pattern_id=pattern.pattern_id,
        pattern_name=name,
        evidence=evidence,
        explanation=(
            f"The input is {pattern.similarity:.0%} similar to pattern '{name}' "
            f"({size} items over {seen} analyses{trend_text}); handle it like its examples."
        ),
    )


def _from_concept(link: RelatedConcept, strongest: int) -> Suggestion:
    score = GRAPH_WEIGHT * link.weight / max(strongest, 1)
    return Suggestion(
        rank=0,
        kind="concept",
        suggestion=f"Look at '{link.name}'",
        score=round(score, 4),
        evidence=[f"graph: {link.name} -- {link.via} (weight {link.weight})"],
        explanation=(
            f"'{link.name}' is linked to '{link.via}', a concept of the input, in the knowledge "
            f"graph (seen together {link.weight} times)."
        ),
    )
