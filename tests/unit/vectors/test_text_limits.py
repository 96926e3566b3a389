"""Input limits of the text endpoints: 400 for nothing to embed, 413 for too much."""

from __future__ import annotations

import pytest

from shared.embeddings.limits import check_texts
from shared.errors import BadRequestError, PayloadTooLargeError


def test_empty_list_and_blank_texts_are_bad_requests(settings):
    with pytest.raises(BadRequestError, match="texts is empty"):
        check_texts([])
    with pytest.raises(BadRequestError, match=r"documents\[1\] is empty"):
        check_texts(["fine", "   "], field="documents")


def test_too_many_texts_and_too_long_texts_are_too_large(settings):
    with pytest.raises(PayloadTooLargeError, match="limit is 256"):
        check_texts(["x"] * (settings.embeddings_max_texts + 1))
    with pytest.raises(PayloadTooLargeError, match=r"texts\[0\] has 8193 characters"):
        check_texts(["a" * (settings.embeddings_max_chars + 1)])


def test_limits_come_from_settings(settings, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_MAX_TEXTS", "2")
    from shared.config import reset_settings

    reset_settings()
    with pytest.raises(PayloadTooLargeError):
        check_texts(["a", "b", "c"])
    check_texts(["a", "b"])


def test_lone_surrogates_are_bad_requests_not_tokenizer_crashes(settings):
    # json.loads('"\\ud800"') gives such a string; the tokenizer cannot take it
    with pytest.raises(BadRequestError, match="not valid Unicode"):
        check_texts(["fine", "broken \ud800 text"])
    check_texts(["zero\u200bwidth", "emoji 🙂", "Ünïcode"])
