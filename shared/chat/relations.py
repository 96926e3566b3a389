"""The concepts of a question and the related ones from the user's knowledge graph.

A question's concepts rarely match the graph's names exactly ("amber" asked, "amber trade"
learned), so the user's learned concepts that share a word with the question's are related too,
and seed the graph's RELATED search together with the question's own. A graph that is down (or
whose breaker is open) costs only the relations: the reason is added to ``degraded``.
"""

from __future__ import annotations

from shared.errors import ServiceUnavailableError

RELATED_LIMIT = 5
LEARNED_SCAN = 200  # the user's most recent learned concepts compared word by word


def learn(user_id: str, concepts: list[str], confidence: float, degraded: list[str]) -> None:
    """Record ``concepts`` as learned by the user now (best effort: see the module docstring)."""
    import time

    from shared.graph import GraphUnavailableError, get_graph
    from shared.resilience import guard

    if not concepts:
        return
    try:
        with guard("graph", counts=(GraphUnavailableError,)):
            get_graph().learn(
                user_id, concepts, confidence=min(1.0, max(0.0, confidence)), at=int(time.time())
            )
    except ServiceUnavailableError as exc:
        degraded.append(f"knowledge graph unavailable ({exc.detail}): concepts not recorded")


def relate(user_id: str, question: str, degraded: list[str]) -> tuple[list[str], list[str]]:
    """(the question's concepts, related concept names, closest first)."""
    from shared.graph import GraphUnavailableError, get_graph
    from shared.graph.concepts import extract_concepts
    from shared.resilience import guard

    concepts = extract_concepts(question)
    if not concepts:
        return [], []
    words = {word for concept in concepts for word in concept.split()}
    try:
        with guard("graph", counts=(GraphUnavailableError,)):
            graph = get_graph()
        learned = [c.name for c in graph.concepts(user_id, limit=LEARNED_SCAN)]
        sharing = [n for n in learned if n not in concepts and words & set(n.split())]
        linked = [
            r.name for r in graph.related(user_id, [*concepts, *sharing], limit=RELATED_LIMIT)
        ]
    except ServiceUnavailableError as exc:
        degraded.append(f"knowledge graph unavailable ({exc.detail}): no related concepts")
        return concepts, []
    related = list(dict.fromkeys([*sharing, *linked]))
    return concepts, related[:RELATED_LIMIT]
