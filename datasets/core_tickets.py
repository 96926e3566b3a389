"""Generated support tickets with planted topics and anomalies: the data of ``python -m bench core``
and of the AI-core tests (deterministic for a seed)."""

from __future__ import annotations

import random

TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "billing": (
        [
            "I was charged twice for my {x} subscription this month",
            "Please refund the duplicate charge on my {x} invoice",
            "My credit card was billed the wrong amount for {x}",
            "Why does my invoice show an extra fee for {x}?",
            "The payment for {x} went through twice, I need a refund",
        ],
        ["premium", "annual", "family", "business", "monthly", "pro"],
    ),
    "login": (
        [
            "I cannot log in to my account, the password reset email never arrives",
            "Login fails with invalid password even after resetting it on {x}",
            "Two-factor code is rejected when I sign in from my {x}",
            "Locked out of my account after too many login attempts on {x}",
            "The password reset link has expired and I still cannot sign in on {x}",
        ],
        ["iphone", "laptop", "android phone", "tablet", "work computer", "browser"],
    ),
    "shipping": (
        [
            "My package with the {x} has not been delivered yet, tracking shows no update",
            "The courier lost my order of {x}, where is my delivery?",
            "Delivery of my {x} is two weeks late",
            "Tracking number for the {x} order does not work, shipment is stuck",
            "The {x} arrived at the wrong address, the parcel was misdelivered",
        ],
        ["headphones", "shoes", "coffee machine", "books", "camera", "desk lamp"],
    ),
}

ANOMALIES = [
    "qwxz vprt lkjh zzzq mnbv xxcv trrr plok",
    "The mitochondria is the powerhouse of the cell and photosynthesis happens in leaves",
    "asdf jkl; qwer uiop zxcv bnm, lorem ipsum dolor",
    "Recipe: whisk three eggs with flour, bake at 180 degrees for forty minutes",
]


def planted(per_topic: int, seed: int = 7) -> tuple[list[str], list[str | None]]:
    """Texts and their planted topic (None for an anomaly), shuffled with ``seed``."""
    rng = random.Random(seed)
    rows: list[tuple[str, str | None]] = []
    for topic, (templates, fillers) in TOPICS.items():
        for _ in range(per_topic):
            rows.append((rng.choice(templates).format(x=rng.choice(fillers)), topic))
    rows.extend((text, None) for text in ANOMALIES)
    rng.shuffle(rows)
    return [t for t, _ in rows], [topic for _, topic in rows]
