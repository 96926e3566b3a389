"""Chunks are whole sentences within the size limit, never cross pages, and overlap by the
boundary sentence; a sentence longer than a chunk is cut at spaces."""

from __future__ import annotations

import itertools

from shared.chat.chunking import chunk_pages, split_sentences


def test_sentences_split_at_end_marks_but_not_inside_abbreviations():
    text = "Quexton is the capital. It was founded in 1642, e.g. by traders!  Is it big? Yes."
    assert split_sentences(text) == [
        "Quexton is the capital.",
        "It was founded in 1642, e.g. by traders!",
        "Is it big?",
        "Yes.",
    ]


def test_chunks_hold_whole_sentences_within_the_limit_and_carry_the_boundary_sentence():
    sentences = [f"Sentence number {i} says something about topic {i}." for i in range(30)]
    chunks = chunk_pages([(None, " ".join(sentences))], max_chars=200, overlap_chars=80)
    assert len(chunks) > 3
    for chunk in chunks:
        assert len(chunk.text) <= 200
        assert chunk.text.endswith(".")
    for before, after in itertools.pairwise(chunks):
        last_sentence = split_sentences(before.text)[-1]
        assert after.text.startswith(last_sentence)
    covered = {s for chunk in chunks for s in split_sentences(chunk.text)}
    assert covered == set(sentences)
    assert [c.number for c in chunks] == list(range(len(chunks)))


def test_chunks_never_cross_pages_and_are_numbered_across_the_document():
    chunks = chunk_pages(
        [(1, "Page one has this. And that."), (2, ""), (3, "Page three text.")],
        max_chars=500,
        overlap_chars=100,
    )
    assert [(c.number, c.page, c.text) for c in chunks] == [
        (0, 1, "Page one has this. And that."),
        (1, 3, "Page three text."),
    ]


def test_a_sentence_longer_than_a_chunk_is_cut_at_spaces():
    long_sentence = " ".join(["word"] * 100) + "."
    chunks = chunk_pages([(None, long_sentence)], max_chars=50, overlap_chars=0)
    assert all(len(c.text) <= 50 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == long_sentence.split()
