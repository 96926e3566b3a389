"""The knowledge graph's interface, its records, and the logic both implementations share.

The graph holds three things:

- ``(:User {id})`` and ``(:Concept {name})`` nodes; concept names are normalised (lower-case,
  stripped, inner whitespace collapsed) so "Neural  Networks" and "neural networks" are one node;
- ``(:User)-[:LEARNED {confidence, at}]->(:Concept)``: a user met a concept; ``confidence`` keeps
  the highest value seen, ``at`` the latest time (integer epoch seconds);
- ``(:Concept)-[:RELATED {weight}]->(:Concept)``: an undirected link stored once, from the name that
  sorts first to the other; ``weight`` is an integer that grows with every co-occurrence.

``CypherGraphStore`` holds the validation and the Cypher. The Cypher is the subset that Neo4j,
FalkorDB (the Bolt server the Neo4j implementation is tested against) and ladybug (the embedded
engine) all accept, so the two implementations differ only in how a statement reaches the engine.
Two rules come from that subset: timestamps are integers (FalkorDB's Bolt listener crashes on
temporal values) and no list parameter may be empty (ladybug cannot type an empty list).
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from shared.errors import ServiceUnavailableError

MAX_CONCEPT_CHARS = 200  # longer "concepts" are sentences, not concepts: refused
MAX_CONCEPTS_PER_CALL = 64  # learn() links every pair: 64 names are 2016 links
RELATED_SCAN_ROWS = 1000  # rows related() reads before keeping one per concept


class GraphUnavailableError(ServiceUnavailableError):
    """The knowledge graph cannot be reached, is held by another process, or failed a statement."""

    title = "Knowledge Graph Unavailable"


@dataclass(frozen=True)
class LearnedConcept:
    """A concept a user has learned: the highest confidence seen and the latest time (epoch s)."""

    name: str
    confidence: float
    at: int


@dataclass(frozen=True)
class RelatedConcept:
    """A concept related to a seed concept ``via``; ``weight`` is the link's strength."""

    name: str
    via: str
    weight: int


@runtime_checkable
class GraphStore(Protocol):
    """What the rest of the platform may ask of the knowledge graph.

    Every method raises ``GraphUnavailableError`` (503) when the graph cannot serve it, and
    ``ValueError`` for arguments that are a programming error (an empty user id, a confidence
    outside [0, 1]). Concept names are normalised on the way in; names that normalise to nothing
    are ignored.
    """

    def learn(self, user_id: str, concepts: Sequence[str], *, confidence: float, at: int) -> None:
        """Record that ``user_id`` learned ``concepts`` at ``at`` (epoch seconds).

        Keeps max(confidence) and max(at) on each LEARNED edge, and strengthens the RELATED link
        between every pair of the given concepts by 1 (they occurred together).
        """
        ...

    def relate(self, a: str, b: str, *, weight: int = 1) -> None:
        """Link two concepts (created if missing), adding ``weight`` to the link's weight."""
        ...

    def concepts(self, user_id: str, *, limit: int = 50) -> list[LearnedConcept]:
        """The user's learned concepts, most recent first (then most confident, then by name)."""
        ...

    def related(
        self, user_id: str, concepts: Sequence[str], *, limit: int = 10
    ) -> list[RelatedConcept]:
        """Concepts linked to ``concepts`` (or, when it is empty, to the user's learned ones).

        The seeds themselves are never returned; each related concept appears once, through its
        strongest link; strongest first. RELATED links are shared knowledge (no user in them);
        only ``user_id``'s own LEARNED edges are ever read, and only when ``concepts`` is empty.
        """
        ...

    def forget_user(self, user_id: str) -> int:
        """Delete the user's node and LEARNED edges; return how many edges went. Concepts stay."""
        ...

    def ping(self) -> None:
        """Raise ``GraphUnavailableError`` unless the graph answers a trivial query."""
        ...

    def close(self) -> None:
        """Release connections and files. The store may not be used afterwards."""
        ...


def normalise_concept(name: str) -> str:
    """Lower-case, strip and collapse inner whitespace: the key a Concept node is stored under."""
    return " ".join(name.lower().split())


def _names(concepts: Sequence[str]) -> list[str]:
    """Normalised, de-duplicated (first occurrence wins), empty ones dropped; refuses long ones."""
    if isinstance(concepts, str):
        raise TypeError("concepts must be a sequence of names, not one string")
    names: dict[str, None] = {}
    for concept in concepts:
        name = normalise_concept(concept)
        if len(name) > MAX_CONCEPT_CHARS:
            raise ValueError(f"a concept name is longer than {MAX_CONCEPT_CHARS} characters")
        if name:
            names[name] = None
    return list(names)


def _user(user_id: str) -> str:
    if not user_id or not user_id.strip():
        raise ValueError("user_id must not be empty")
    return user_id


def _positive(value: int, what: str) -> int:
    if value < 1:
        raise ValueError(f"{what} must be at least 1")
    return value


# A single statement per operation: each one is atomic on every engine without an explicit
# transaction (FalkorDB's Bolt listener cannot roll a transaction back).
_MERGE_LEARNED = """
MERGE (u:User {id: $user})
WITH u
UNWIND $names AS name
MERGE (c:Concept {name: name})
MERGE (u)-[r:LEARNED]->(c)
ON CREATE SET r.confidence = $confidence, r.at = $at
ON MATCH SET
  r.confidence = CASE WHEN r.confidence < $confidence THEN $confidence ELSE r.confidence END,
  r.at = CASE WHEN r.at < $at THEN $at ELSE r.at END
"""
_MERGE_RELATED = """
UNWIND $pairs AS pair
MATCH (a:Concept {name: pair.a})
MATCH (b:Concept {name: pair.b})
MERGE (a)-[l:RELATED]->(b)
ON CREATE SET l.weight = $weight
ON MATCH SET l.weight = l.weight + $weight
"""
# Pairs are a separate clause appended only when there are any: ladybug refuses an empty $pairs.
LEARN = _MERGE_LEARNED
LEARN_WITH_PAIRS = _MERGE_LEARNED + "WITH count(*) AS learned\n" + _MERGE_RELATED
RELATE = """
MERGE (a:Concept {name: $a})
MERGE (b:Concept {name: $b})
MERGE (a)-[l:RELATED]->(b)
ON CREATE SET l.weight = $weight
ON MATCH SET l.weight = l.weight + $weight
"""
CONCEPTS = """
MATCH (:User {id: $user})-[r:LEARNED]->(c:Concept)
RETURN c.name AS name, r.confidence AS confidence, r.at AS at
ORDER BY at DESC, confidence DESC, name ASC
LIMIT $limit
"""
RELATED_TO_GIVEN = """
UNWIND $names AS seed_name
MATCH (seed:Concept {name: seed_name})-[l:RELATED]-(other:Concept)
WHERE NOT other.name IN $names
RETURN other.name AS name, seed.name AS via, l.weight AS weight
ORDER BY weight DESC, name ASC, via ASC
LIMIT $scan
"""
RELATED_TO_LEARNED = """
MATCH (:User {id: $user})-[:LEARNED]->(learned:Concept)
WITH collect(learned.name) AS seeds
UNWIND seeds AS seed_name
MATCH (seed:Concept {name: seed_name})-[l:RELATED]-(other:Concept)
WHERE NOT other.name IN seeds
RETURN other.name AS name, seed.name AS via, l.weight AS weight
ORDER BY weight DESC, name ASC, via ASC
LIMIT $scan
"""
FORGET_USER = """
MATCH (u:User {id: $user})
OPTIONAL MATCH (u)-[r:LEARNED]->(:Concept)
WITH u, count(r) AS edges
DETACH DELETE u
RETURN edges
"""
PING = "RETURN 1 AS one"


class CypherGraphStore(ABC):
    """``GraphStore`` over any engine that runs the Cypher above; subclasses supply the I/O.

    ``_run`` executes one parameterised statement and returns its rows as lists of values; it
    must raise ``GraphUnavailableError`` for engine and connection failures.
    """

    @abstractmethod
    def _run(self, query: str, parameters: Mapping[str, Any]) -> list[list[Any]]:
        """Run one statement with parameters (never values spliced into the text)."""

    def learn(self, user_id: str, concepts: Sequence[str], *, confidence: float, at: int) -> None:
        user = _user(user_id)
        if not (math.isfinite(confidence) and 0.0 <= confidence <= 1.0):
            raise ValueError("confidence must be within [0, 1]")
        names = _names(concepts)
        if len(names) > MAX_CONCEPTS_PER_CALL:
            raise ValueError(f"at most {MAX_CONCEPTS_PER_CALL} concepts per call")
        if not names:
            return
        # Each pair once, stored from the name that sorts first: the link is undirected.
        pairs = [{"a": a, "b": b} for a, b in itertools.combinations(sorted(names), 2)]
        parameters: dict[str, Any] = {
            "user": user,
            "names": names,
            "confidence": float(confidence),
            "at": int(at),
        }
        if pairs:
            parameters |= {"pairs": pairs, "weight": 1}
        self._run(LEARN_WITH_PAIRS if pairs else LEARN, parameters)

    def relate(self, a: str, b: str, *, weight: int = 1) -> None:
        first, second = sorted((normalise_concept(a), normalise_concept(b)))
        if not first or first == second:
            raise ValueError("relate needs two different, non-empty concept names")
        if max(len(first), len(second)) > MAX_CONCEPT_CHARS:
            raise ValueError(f"a concept name is longer than {MAX_CONCEPT_CHARS} characters")
        self._run(RELATE, {"a": first, "b": second, "weight": _positive(weight, "weight")})

    def concepts(self, user_id: str, *, limit: int = 50) -> list[LearnedConcept]:
        rows = self._run(CONCEPTS, {"user": _user(user_id), "limit": _positive(limit, "limit")})
        return [LearnedConcept(str(n), float(c), int(t)) for n, c, t in rows]

    def related(
        self, user_id: str, concepts: Sequence[str], *, limit: int = 10
    ) -> list[RelatedConcept]:
        user = _user(user_id)
        _positive(limit, "limit")
        names = _names(concepts)
        if names:
            rows = self._run(RELATED_TO_GIVEN, {"names": names, "scan": RELATED_SCAN_ROWS})
        else:
            rows = self._run(RELATED_TO_LEARNED, {"user": user, "scan": RELATED_SCAN_ROWS})
        # Rows come strongest first: the first row of a name is its strongest link.
        strongest: dict[str, RelatedConcept] = {}
        for name, via, weight in rows:
            strongest.setdefault(str(name), RelatedConcept(str(name), str(via), int(weight)))
        ranked = sorted(strongest.values(), key=lambda r: (-r.weight, r.name, r.via))
        return ranked[:limit]

    def forget_user(self, user_id: str) -> int:
        rows = self._run(FORGET_USER, {"user": _user(user_id)})
        return int(rows[0][0]) if rows else 0

    def ping(self) -> None:
        self._run(PING, {})
