"""Built-in label sets for zero-shot classification: label -> descriptions.

Several short descriptions per label work better than one: each is embedded and the label's
vector is their normalised mean, which averages out the wording of any single description.
"""

from __future__ import annotations

from shared.errors import NotFoundError

LABEL_SETS: dict[str, dict[str, list[str]]] = {
    "sentiment": {
        "positive": ["I love this, it is great", "a happy, satisfied, positive opinion"],
        "negative": ["I hate this, it is terrible", "an angry, disappointed, negative opinion"],
        "neutral": [
            "a neutral, factual statement with no opinion",
            "the meeting is scheduled for Monday at 10 am",
        ],
    },
    "support_intent": {
        "billing": ["a question about an invoice, a charge or a refund", "payment and billing"],
        "account_access": ["cannot log in or reset a password", "account access and sign-in"],
        "technical_issue": ["the app crashes or shows an error", "a bug or technical problem"],
        "cancellation": ["wants to cancel or end a subscription", "close my account"],
        "shipping": ["where is my order, delivery and shipping", "a late or lost package"],
    },
    "topic": {
        "sports": ["sports, games, teams and athletes", "football, tennis, a match result"],
        "politics": ["politics, elections and government", "a law, a minister, parliament"],
        "business": ["business, markets and companies", "stocks, revenue and the economy"],
        "technology": ["technology, software and computers", "a new app, AI or a gadget"],
        "health": ["health, medicine and illness", "doctors, patients and treatment"],
        "science": ["science and research", "physics, biology, chemistry and space"],
    },
}


def label_set(name: str) -> dict[str, list[str]]:
    """The built-in set ``name``; 404 when there is none."""
    found = LABEL_SETS.get(name)
    if found is None:
        raise NotFoundError(f"no label set {name[:100]!r}", known=sorted(LABEL_SETS))
    return found


def descriptions_of(labels: dict[str, str | list[str]] | list[str]) -> dict[str, list[str]]:
    """Labels from a request as label -> descriptions (a bare label describes itself)."""
    if isinstance(labels, list):
        return {label: [label] for label in labels}
    return {label: [d] if isinstance(d, str) else list(d) for label, d in labels.items()}
