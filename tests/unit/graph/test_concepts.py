"""The keyphrase extractor on real chat messages: what each is about, deterministically."""

from __future__ import annotations

import pytest

from shared.graph.concepts import STOP_WORDS, extract_concepts


def test_two_word_phrases_win_over_their_words():
    text = (
        "Can you explain how gradient descent works in neural networks? "
        "I keep reading about backpropagation and neural networks."
    )
    assert extract_concepts(text) == ["neural networks", "gradient descent", "backpropagation"]


def test_a_question_yields_its_subject_not_its_wording():
    assert extract_concepts("What is the difference between a Python list and a tuple?") == [
        "python list",
        "tuple",
    ]


def test_programming_language_names_with_symbols_survive():
    text = "I am learning C++ and C# for game development with Unity."
    assert extract_concepts(text) == ["game development", "c++", "c#", "unity"]


def test_pairs_never_span_punctuation():
    text = "Kubernetes pods, Kubernetes services and Docker containers: how do they relate?"
    concepts = extract_concepts(text)
    assert concepts == ["kubernetes pods", "kubernetes services", "docker containers"]
    assert "pods kubernetes" not in concepts


def test_the_limit_cuts_the_final_ranking():
    text = "Kubernetes pods, Kubernetes services and Docker containers: how do they relate?"
    assert extract_concepts(text, limit=2) == ["kubernetes pods", "kubernetes services"]
    assert extract_concepts(text, limit=0) == []


def test_a_word_seen_outside_its_pair_is_kept():
    text = "SQL joins are hard. SQL is everywhere, and SQL indexes make joins fast."
    concepts = extract_concepts(text)
    assert concepts[0] == "sql"
    assert "sql indexes" in concepts


def test_small_talk_has_no_concepts():
    assert extract_concepts("Thanks! That is really helpful, please tell me more.") == ["helpful"]
    assert extract_concepts("Hi, can you help me?") == []
    assert extract_concepts("") == []


def test_possessives_and_case_are_folded():
    # "python's gil" twice is the pair "python gil", and neither word occurs outside it.
    assert extract_concepts("Python's GIL. PYTHON's gil!") == ["python gil"]


def test_same_text_same_answer():
    text = "The transformer architecture uses self-attention over every token in a sequence."
    assert extract_concepts(text) == extract_concepts(text)
    assert extract_concepts(text)[0] == "transformer architecture"


@pytest.mark.parametrize("word", ["the", "and", "please", "explain", "learn", "what's"])
def test_documented_stop_words(word: str):
    assert word in STOP_WORDS
