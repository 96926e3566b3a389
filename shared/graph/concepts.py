"""Concepts in a message: a small keyphrase extractor with no model and no downloads.

Candidates are single words and pairs of adjacent words that are not stop words, never spanning
punctuation ("gradient descent", "python"). Each is scored by how often it occurs, times a bonus
for appearing early, and pairs count double: a two-word phrase is more specific than either word.
A word is dropped when a chosen pair already covers every occurrence of it, so "neural networks"
does not also yield "neural" and "networks". Ties are broken by first position, then
alphabetically: the same text always gives the same list.

The stop words are the common English function words plus the words people use to ask for help
("explain", "please", "learn"), which are not what a conversation is about.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from shared.graph.base import normalise_concept

# Function words (articles, pronouns, auxiliaries, prepositions, conjunctions, common adverbs).
_FUNCTION_WORDS = """
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each either else even ever every few for from further get gets getting got had
hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself
his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself just let's like
many may me might more most much must mustn't my myself neither no nor not now of off on once only
or other others ought our ours ourselves out over own per quite rather really same shall shan't
she she'd she'll she's should shouldn't so some such than that that's the their theirs them
themselves then there there's these they they'd they'll they're they've this those though through
thus to too under until up upon us very via was wasn't we we'd we'll we're we've were weren't what
what's when when's where where's whether which while who who's whom whose why why's will with
within without won't would wouldn't yes yet you you'd you'll you're you've your yours yourself
yourselves one two three first second new old well
"""
# Words of asking and chatting: frequent in messages, never their subject.
_CONVERSATION_WORDS = """
answer ask asked basically best better bit call called understand understanding difference
different example examples explain explained explaining explanation good great hello help hey hi
idea know learn learned learning lot make makes mean means need needs okay ok please question
questions right say show simple simply sure tell thank thanks thing things think try trying use
used uses using want way ways work works going go able actually kind sort something anything
everything nothing someone thing's today time times look looking give let see seems
keep read reading relate related talk wonder wondering curious interested currently
returns return returned lets takes take took gives gave happens happen happened causes
caused seem seemed done getting doing come comes came find found write writing wrote
"""
STOP_WORDS = frozenset((_FUNCTION_WORDS + _CONVERSATION_WORDS).split())

# A word: letters/digits with inner hyphens or apostrophes, and a trailing "+"/"#" (c++, c#).
_WORD = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*(?:\+\+|#)?")
# Punctuation that ends a phrase: a pair never spans it.
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"\n\u2014\u2013/|]+")
PAIR_BONUS = 2.0
EARLY_BONUS = 0.5  # the first word scores up to 1.5x a word at the very end
MIN_WORD_CHARS = 2


@dataclass
class _Candidate:
    phrase: str
    count: int
    first: int  # index of the first word of its first occurrence


def _words(chunk: str) -> list[str]:
    # A possessive is its word: "python's" is "python".
    return [word.removesuffix("'s") for word in _WORD.findall(chunk)]


def _is_content(word: str) -> bool:
    return (
        word not in STOP_WORDS
        and (len(word) >= MIN_WORD_CHARS or word.endswith(("+", "#")))
        and not word.replace("-", "").isdigit()
    )


def _candidates(text: str) -> tuple[dict[str, _Candidate], dict[str, _Candidate], int]:
    """Single words and adjacent pairs, counted, with their first position; and the word count."""
    singles: dict[str, _Candidate] = {}
    pairs: dict[str, _Candidate] = {}
    position = 0
    for chunk in _BREAK.split(text.lower()):
        words = _words(chunk)
        for index, word in enumerate(words):
            at = position + index
            if not _is_content(word):
                continue
            _count(singles, word, at)
            if index + 1 < len(words) and _is_content(words[index + 1]):
                _count(pairs, f"{word} {words[index + 1]}", at)
        position += len(words)
    return singles, pairs, position


def _count(table: dict[str, _Candidate], phrase: str, at: int) -> None:
    if phrase in table:
        table[phrase].count += 1
    else:
        table[phrase] = _Candidate(phrase, 1, at)


def extract_concepts(text: str, *, limit: int = 8) -> list[str]:
    """Up to ``limit`` keyphrases of ``text``, best first, normalised like Concept names.

    Deterministic, no I/O. Returns an empty list for text without content words.
    """
    if limit < 1:
        return []
    singles, pairs, total = _candidates(text)
    if not singles:
        return []

    def score(candidate: _Candidate, bonus: float) -> float:
        early = 1.0 + EARLY_BONUS * (1.0 - candidate.first / max(total, 1))
        return candidate.count * bonus * early

    ranked = sorted(
        [(score(c, 1.0), c) for c in singles.values()]
        + [(score(c, PAIR_BONUS), c) for c in pairs.values()],
        key=lambda item: (-item[0], item[1].first, item[1].phrase),
    )
    chosen: list[str] = []
    covered: Counter[str] = Counter()  # word -> occurrences inside chosen pairs
    for _, candidate in ranked:
        words = candidate.phrase.split()
        if len(words) == 1:
            if covered[candidate.phrase] >= candidate.count:
                continue  # every occurrence is inside a chosen pair
        else:
            for word in words:
                covered[word] += candidate.count
            # A word chosen earlier that occurs only inside this pair is now redundant.
            chosen = [c for c in chosen if c not in words or covered[c] < singles[c].count]
        chosen.append(candidate.phrase)
    # Cut at the end, not while choosing: a later pair may still drop a word chosen earlier.
    return [normalise_concept(phrase) for phrase in chosen[:limit]]
