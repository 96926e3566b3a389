"""The benchmark's sentences: 512 distinct English sentences of about 20 tokens, deterministic."""

from __future__ import annotations

import itertools

WHO = (
    "The new manager",
    "A tired nurse",
    "Our support team",
    "The city council",
    "A curious student",
    "The delivery driver",
    "My neighbour's daughter",
    "The research group",
)
DID = (
    "quietly reviewed",
    "strongly criticised",
    "finally approved",
    "carefully explained",
    "accidentally deleted",
    "happily shared",
    "barely understood",
    "publicly praised",
)
WHAT = (
    "the quarterly budget report",
    "a long list of customer complaints",
    "the plan for the new cycling lanes",
    "an unusual result from the last experiment",
    "the schedule for next week's night shifts",
    "a proposal to move the office downtown",
    "the photos from the summer festival",
    "the safety rules for the chemistry lab",
)
WHEN = (
    "before the meeting on Monday morning.",
    "during a short call with the regional director.",
    "after lunch, to everyone's surprise.",
    "late at night while the building was empty.",
    "in front of a crowded room of visitors.",
    "without asking anybody for permission first.",
    "as soon as the storm had passed.",
    "while waiting for the delayed train home.",
)

# Every 7th combination (7 is prime to 8, so every part varies from one sentence to the next).
SENTENCES: tuple[str, ...] = tuple(
    f"{who} {did} {what} {when}"
    for who, did, what, when in itertools.islice(
        itertools.product(WHO, DID, WHAT, WHEN), 0, 512 * 7, 7
    )
)
assert len(SENTENCES) == 512, len(SENTENCES)
