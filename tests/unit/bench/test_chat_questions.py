"""The chat benchmark's labelled corpus and its hit-rate scoring."""

from __future__ import annotations

import pytest

from datasets.chat_questions import LABELLED, corpus, hit_rate


def test_hit_rate_counts_answers_within_the_first_k() -> None:
    ranked = [[3, 1, 2], [5, 4], []]
    assert hit_rate(ranked, [1, 4, 0], 1) == 0
    assert hit_rate(ranked, [1, 4, 0], 2) == pytest.approx(2 / 3)
    assert hit_rate(ranked, [2, 9, 0], 5) == pytest.approx(1 / 3)


def test_hit_rate_needs_one_ranking_per_answer() -> None:
    with pytest.raises(ValueError, match="one ranked list"):
        hit_rate([[1]], [1, 2], 5)


@pytest.mark.parametrize("size", [40, 1000])
def test_corpus_is_distinct_and_labels_point_at_the_facts(size: int) -> None:
    texts, answers = corpus(size)
    assert len(texts) == size
    assert len(set(texts)) == size
    assert [texts[a] for a in answers] == [item.fact for item in LABELLED]
    assert corpus(size) == (texts, answers)  # deterministic
